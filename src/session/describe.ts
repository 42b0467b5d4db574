// A short one-line log form of a parsed response, for the session's trace hook when the integrator
// supplies no raw-line form. Bodies are shown by size, never by content.
import type { Response, ResponseCode } from '../protocol/types.js';

export function describeResponse(response: Response): string {
  if (response.kind === 'continuation') return `+ ${response.text}`;
  if (response.kind === 'tagged')
    return `${response.tag} ${response.status}${code(response.code)} ${response.text}`;
  switch (response.type) {
    case 'OK':
    case 'NO':
    case 'BAD':
    case 'PREAUTH':
    case 'BYE':
      return `* ${response.type}${code(response.code)} ${response.text}`;
    case 'EXISTS':
    case 'RECENT':
    case 'EXPUNGE':
      return `* ${response.number} ${response.type}`;
    case 'FETCH': {
      const { uid, flags, modseq, bodies } = response.attributes;
      const parts: string[] = [];
      if (uid !== undefined) parts.push(`UID ${uid}`);
      if (modseq !== undefined) parts.push(`MODSEQ (${modseq})`);
      if (flags !== undefined) parts.push(`FLAGS (${flags.join(' ')})`);
      for (const body of bodies ?? []) parts.push(`BODY[${body.section}] {${body.size} bytes}`);
      return `* ${response.seq} FETCH (${parts.join(' ')})`;
    }
    case 'VANISHED':
      return `* VANISHED${response.earlier ? ' (EARLIER)' : ''} ${response.uids.length} range(s)`;
    case 'CAPABILITY':
    case 'ENABLED':
      return `* ${response.type} ${response.capabilities.join(' ')}`;
    case 'LIST':
    case 'LSUB':
    case 'STATUS':
      return `* ${response.type} ${response.mailbox}`;
    case 'OTHER':
      return `* ${response.name}`;
    default:
      return `* ${response.type}`;
  }
}

function code(value: ResponseCode | undefined): string {
  if (value === undefined) return '';
  return value.name === 'OTHER' ? ` [${value.atom}]` : ` [${value.name}]`;
}
