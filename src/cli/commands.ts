/** The commands bundle: every command and the parser, loaded on first use by main.ts, so that
 * `runbook --version` never loads them. */
export { runProgram } from './program.js';
import { loader } from '../common/lazy.js';
/** A worker thread of `runbook import` (src/cli/import-pool.ts) loads this bundle and calls it. */
export const importWorker = loader('the import worker', () => import('./import-worker.js'));
