// Log lines and progress redraws for stderr, gathered and written once per turn of the event loop.
// A write to a pipe or terminal is a synchronous system call that wakes the reader: a mailbox's
// worth of "Updated flags" lines one by one cost ~10 ms of a +10 ms incremental run's main thread.

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
 * `target` written once per event-loop turn, in order, until end(). What is pending when the process
 * exits is written then (Node writes to pipes, files and terminals synchronously: nothing is lost).
 */
export function batchedStream(target: TextStream): BatchedStream {
  let pending: string[] = [];
  let size = 0;
  let scheduled: NodeJS.Immediate | undefined;
  const flush = () => {
    if (scheduled !== undefined) clearImmediate(scheduled);
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
      else scheduled ??= setImmediate(flush);
      return true;
    },
    end() {
      flush();
      ended = true;
      process.removeListener('exit', flush);
    },
  };
}
