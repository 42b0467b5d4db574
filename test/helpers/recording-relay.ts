// A TCP relay on 127.0.0.1 that records every chunk a client writes, in arrival order: a small
// client write on loopback arrives as one chunk, so a chunk shows what the client sent together.
// It also keeps both directions interleaved, to tell what the client sent before which reply.
import { connect, createServer, type Socket } from 'node:net';

export interface RecordingRelay {
  port: number;
  /** Client→server chunks so far, as latin1 text. */
  chunks: string[];
  /** Chunks of both directions in the order they reached the relay. */
  both: Array<{ from: 'client' | 'server'; text: string }>;
  close(): Promise<void>;
}

export async function startRecordingRelay(targetHost: string, targetPort: number): Promise<RecordingRelay> {
  const chunks: string[] = [];
  const both: RecordingRelay['both'] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: targetHost, port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      chunks.push(chunk.toString('latin1'));
      both.push({ from: 'client', text: chunk.toString('latin1') });
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => both.push({ from: 'server', text: chunk.toString('latin1') }));
    upstream.pipe(client);
    client.on('end', () => upstream.end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay: no TCP address');
  return {
    port: address.port,
    chunks,
    both,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
