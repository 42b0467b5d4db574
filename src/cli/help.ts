// The --help text; kept in step with docs/interimap.1 (same options, same wording of defaults).

export const HELP = `Usage: interimap [OPTION ...] [MAILBOX ...]
  or:  interimap [OPTION ...] --repair [MAILBOX ...]
  or:  interimap [OPTION ...] --delete MAILBOX [MAILBOX ...]
  or:  interimap [OPTION ...] --rename SOURCE DEST
Synchronize two QRESYNC-capable IMAP servers, both ways, keeping state in a database.

Commands (default: synchronize the listed mailboxes, or those of the configuration):
      --repair              compare both servers in full and repair the database
      --delete              delete the MAILBOXes on each target
      --rename              rename SOURCE to DEST on each target

Options:
      --config=FILE         configuration file (default: $XDG_CONFIG_HOME/interimap/config;
                            a relative FILE starts from $XDG_CONFIG_HOME/interimap)
      --target=TARGET       limit --delete/--rename to local, remote or database
                            (repeatable, or comma-separated)
      --watch[=SECONDS]     keep synchronizing, sleeping SECONDS between two runs
                            (default 60, or 900 with --notify)
      --notify              let the servers push changes (IMAP NOTIFY); implies --watch
  -q, --quiet               print only warnings and errors
      --debug               log IMAP traffic; twice: do not redact credentials
      --trace=FILE          record every state transition of the run in FILE
                            (JSON lines, mode 0600; no message data, no credential)
  -h, --help                print this help and exit
      --version             print the version and exit

Debugging (no configuration file needed; nothing is synchronized):
      --statechart[=FILE]   write the state charts to FILE and exit (default:
                            interimap-statecharts.html for html, else stdout; - for stdout)
      --statechart-format=FORMAT
                            html (default: one page, inline SVG), mermaid, dot or json
      --trace-in=TRACE      draw the run trace TRACE (from --trace) over the HTML page:
                            visited states, failures and why, per-mailbox timings

See interimap(1) for the configuration file.
`;
