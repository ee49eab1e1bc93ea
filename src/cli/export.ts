import { loader } from '../common/lazy.js';
import { arg, defineCommand, dirFlag, flag } from './define.js';

/** The exporter is never on `run`'s path (docs/performance.md). */
const loadExport = loader('runbook export', () => import('./export-make.js'));

export const exportCommand = defineCommand({
  name: 'export',
  summary: 'Write a runbook as readable Markdown, for a wiki (runbook import reads it back)',
  args: { id: arg.required('id', 'runbook id') },
  flags: {
    dir: dirFlag,
    format: flag.choice('--format <format>', 'md (Markdown)', ['md']),
    out: flag.string('--out <file>', 'write to this file instead of standard output'),
    force: flag.boolean('--force', 'overwrite the --out file if it exists'),
  },
  handler: async ({ id }, options, io) => (await loadExport()).exportRunbook(id, options, io),
});
