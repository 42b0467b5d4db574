// The logging seam of the connection runtime: the minimal logger it writes to, and how IMAP traffic
// becomes log lines at each --debug level (1: credentials redacted, 2: everything).

/** What the runtime needs from a logger; the CLI's Logger satisfies it. `component` names the side. */
export interface ImapLogger {
  debug(component: string, message: string): void;
  info(component: string, message: string): void;
  warn(component: string, message: string): void;
}

/** 0: no traffic; 1: traffic with credentials redacted; 2: traffic including credentials. */
export type DebugLevel = 0 | 1 | 2;

/** Logs nothing: for callers that want no output. */
export const silentLogger: ImapLogger = {
  debug() {},
  info() {},
  warn() {},
};

/** The session's trace callback for one connection, or undefined when traffic is not logged. */
export function trafficTrace(
  logger: ImapLogger,
  component: string,
  level: DebugLevel,
): ((direction: 'client' | 'server', text: string) => void) | undefined {
  if (level === 0) return undefined;
  return (direction, text) => logger.debug(component, `${direction === 'client' ? 'C' : 'S'}: ${text}`);
}
