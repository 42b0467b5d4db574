// Temporary modified UTF-7 mailbox-name encoder (RFC 3501 §5.1.3) for the bench corpus.
// TO BE REPLACED by `encodeMailboxName` from src/protocol/mutf7.ts (serializer branch) once merged.

/** Encodes a UTF-8 mailbox name as modified UTF-7: printable ASCII stays, '&' becomes '&-', any other
 * run is UTF-16BE in base64 with ',' for '/' and no padding, between '&' and '-'. */
export function encodeMailboxName(name: string): string {
  let out = '';
  let run = '';
  const flush = () => {
    if (run === '') return;
    const utf16 = Buffer.from(run, 'utf16le').swap16();
    out += `&${utf16.toString('base64').replace(/=+$/, '').replaceAll('/', ',')}-`;
    run = '';
  };
  for (const char of name) {
    const code = char.codePointAt(0)!;
    if (code >= 0x20 && code <= 0x7e) {
      flush();
      out += char === '&' ? '&-' : char;
    } else {
      run += char;
    }
  }
  flush();
  return out;
}
