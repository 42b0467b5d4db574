// Log lines and progress redraws for stderr, gathered and written at most every FLUSH_MS.
// A write to a pipe or terminal is a synchronous system call that wakes the reader, which may take
// our CPU: 57 writes of an incremental run's ~200 log lines cost it 10-11 ms of main thread
// (profile, loopback and +10 ms); a person reading the log does not see a tenth of a second.

/** How long a line may wait for the lines after it. */
const FLUSH_MS = 100;
/** Beyond this many pending characters, a write goes out at once (a --debug trace can be large). */
const MAX_PENDING = 64 * 1024;

export interface TextStream {
  write(text: string): unknown;
  /** A terminal's width, read through to the stream beneath. */
  readonly columns?: number;
}

export interface BatchedStream extends TextStream {
  /** Writes what is pending, and from now on every write at once: before the process writes to the stream directly. */
  end(): void;
}

/**
 * `target` written in batches, in order, until end(). What is pending when the process exits is
 * written then (Node writes to pipes, files and terminals synchronously: nothing is lost).
 */
export function batchedStream(target: TextStream): BatchedStream {
  let pending: string[] = [];
  let size = 0;
  let scheduled: NodeJS.Timeout | undefined;
  const flush = () => {
    if (scheduled !== undefined) clearTimeout(scheduled);
    scheduled = undefined;
    if (pending.length === 0) return;
    const text = pending.length === 1 ? pending[0]! : pending.join('');
    pending = [];
    size = 0;
    target.write(text);
  };
  let ended = false;
  process.once('exit', flush);
  return {
    get columns() {
      return target.columns;
    },
    write(text: string) {
      if (ended) return target.write(text);
      pending.push(text);
      size += text.length;
      if (size >= MAX_PENDING) flush();
      // Unreferenced: the process exits when only this waits, and writes it at exit.
      else scheduled ??= setTimeout(flush, FLUSH_MS).unref();
      return true;
    },
    end() {
      flush();
      ended = true;
      process.removeListener('exit', flush);
    },
  };
}
