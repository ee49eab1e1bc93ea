/** Every command, loaded together on first use: `runbook --version` and `--help` never load them. */
export { adaptersCommand } from './adapters.js';
export { checkCommand } from './check.js';
export { doctorCommand } from './doctor.js';
export { listCommand } from './list.js';
export { runCommand } from './run.js';
export { schemaCommand } from './schema.js';
export { showCommand } from './show.js';
export { validateCommand } from './validate.js';
