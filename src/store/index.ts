// The state database's public surface.
export { StoreError, type StoreErrorCode } from './errors.js';
export { SCHEMA_VERSION } from './schema.js';
export { type OpenOptions, StateStore } from './state-store.js';
export type * from './types.js';
