// The `interimap` command as installed (dist/cli/interimap.cjs, package.json's bin): runs the
// bundled program next to it through the compile cache. NODE_DISABLE_COMPILE_CACHE, Node's own
// switch for its compile cache, turns ours off too.
import { fileURLToPath } from 'node:url';
import { cacheDirectory } from '../config/paths.js';
import { runProgram } from './compile-cache.js';

runProgram(
  fileURLToPath(new URL('./program.cjs', import.meta.url)),
  process.env.NODE_DISABLE_COMPILE_CACHE ? undefined : cacheDirectory(process.env),
);
