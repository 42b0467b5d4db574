// A TCP relay on 127.0.0.1 that records every chunk a client writes, in arrival order: a small
// client write on loopback arrives as one chunk, so a chunk shows what the client sent together.
// It also keeps both directions interleaved, to tell what the client sent before which reply, and
// when each connection came.
import { startTcpRelay } from './tcp-relay.js';

export interface RecordingRelay {
  port: number;
  /** Client→server chunks so far, as latin1 text. */
  chunks: string[];
  /**
   * Chunks of both directions in the order they reached the relay, and each new connection;
   * `connection` counts the relay's connections from 0.
   */
  both: Array<{ from: 'client' | 'server' | 'connect'; text: string; connection: number }>;
  close(): Promise<void>;
}

export async function startRecordingRelay(targetHost: string, targetPort: number): Promise<RecordingRelay> {
  const chunks: string[] = [];
  const both: RecordingRelay['both'] = [];
  let connections = 0;
  const relay = await startTcpRelay(targetHost, targetPort, (client, upstream) => {
    const connection = connections++;
    both.push({ from: 'connect', text: '', connection });
    client.on('data', (chunk: Buffer) => {
      chunks.push(chunk.toString('latin1'));
      both.push({ from: 'client', text: chunk.toString('latin1'), connection });
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) =>
      both.push({ from: 'server', text: chunk.toString('latin1'), connection }),
    );
    upstream.pipe(client);
    client.on('end', () => upstream.end());
  });
  return { ...relay, chunks, both };
}
