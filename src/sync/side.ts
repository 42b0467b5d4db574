// The two servers a sync pairs, and the small helpers every planner uses to address them.

export type Side = 'local' | 'remote';

export const SIDES: readonly Side[] = ['local', 'remote'];

export function otherSide(side: Side): Side {
  return side === 'local' ? 'remote' : 'local';
}

/** One value per server, e.g. the UIDs to expunge on each side. */
export interface PerSide<T> {
  local: T;
  remote: T;
}
