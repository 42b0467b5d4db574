// The program users get: the bundle tools/bundle.mjs builds from tsc's output (package.json's bin).
// Tests that run the command run this file; tests of modules import dist/src as usual.
import { fileURLToPath } from 'node:url';

/** dist/test/helpers/ → dist/cli/interimap.cjs, whatever the current directory. */
export const INTERIMAP = fileURLToPath(new URL('../../cli/interimap.cjs', import.meta.url));
