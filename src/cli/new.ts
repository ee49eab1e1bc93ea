import { loader } from '../common/lazy.js';
import { arg, defineCommand, flag } from './define.js';

/** The templates of `runbook new` (src/cli/templates.ts); the first is the default. */
export const TEMPLATE_NAMES = ['shell', 'http', 'psql', 'pm2', 'docker', 'wrangler'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Writing a runbook from a template is never on `run`'s path (docs/performance.md). */
const loadNew = loader('runbook new', () => import('./new-make.js'));

export const newCommand = defineCommand({
  name: 'new',
  summary: 'Write a strict-valid runbook and its scenario file from a template',
  args: {
    id: {
      ...arg.required('id', 'the new runbook’s id (kebab-case); the file is <dir>/<id>.yaml'),
      completes: 'nothing',
    },
  },
  flags: {
    fromTemplate: flag.choice(
      '--from-template <template>',
      'what the runbook starts from: shell, http, psql, pm2, docker or wrangler',
      TEMPLATE_NAMES,
    ),
    dir: flag.string('--dir <dir>', 'where to write it (default: the first runbook directory)'),
    force: flag.boolean('--force', 'overwrite existing files'),
  },
  handler: async ({ id }, { fromTemplate, dir, force }, io) =>
    (await loadNew()).newRunbook(id, { template: fromTemplate, dir, force }, io),
});
