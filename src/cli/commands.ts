/** The commands bundle: every command and the parser, loaded on first use by main.ts, so that
 * `runbook --version` never loads them. */
export { runProgram } from './program.js';
