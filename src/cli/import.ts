import { loader } from '../common/lazy.js';
import { arg, defineCommand, flag } from './define.js';

/** The importer and its Markdown parser are never on `run`'s path (docs/performance.md). */
const loadImport = loader('runbook import', () => import('./import-make.js'));

export const importCommand = defineCommand({
  name: 'import',
  summary: 'Turn Markdown runbooks into strict-valid runbook YAML, and say what needs a person',
  args: {
    paths: {
      ...arg.variadic('paths', 'Markdown files, or directories of them (*.md, *.markdown)'),
      completes: 'paths',
    },
  },
  flags: {
    outDir: flag.string('--out-dir <dir>', 'where to write (default: the first runbook directory)'),
    service: flag.string(
      '--service <name>',
      'the service: set in each runbook, and its ids’ prefix',
    ),
    severityScheme: flag.string(
      '--severity-scheme <name>',
      'the severity scheme to write (default: the one the page’s levels fit)',
    ),
    dryRun: flag.boolean('--dry-run', 'write nothing: print what would be written'),
    force: flag.boolean('--force', 'overwrite runbook files that exist'),
    format: flag.choice('--format <format>', 'text or json', ['text', 'json']),
  },
  handler: async ({ paths }, options, io) => (await loadImport()).importFiles(paths, options, io),
});
