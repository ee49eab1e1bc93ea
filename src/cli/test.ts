import { loader } from '../common/lazy.js';
import { arg, defineCommand, dirFlag, flag } from './define.js';

/** What `runbook test` needs (the scenario runner, its schema and reports), loaded only by it:
 * nothing of it is on `run`'s path (docs/performance.md). */
const loadTest = loader('the scenario runner', () => import('./test-run.js'));

export const test = defineCommand({
  name: 'test',
  summary: 'Run the scenarios of runbooks (<id>.test.yaml): nothing executes (docs/testing.md)',
  args: {
    targets: arg.variadic(
      'ids|paths',
      'runbook ids, scenario files or directories (default: the runbook directories)',
    ),
  },
  flags: {
    dir: dirFlag,
    coverage: flag.boolean(
      '--coverage',
      'list every when: side (true, false) no scenario exercised; exit 1 if any',
    ),
    format: flag.choice('--format <format>', 'text, json or junit', ['text', 'json', 'junit']),
  },
  handler: async ({ targets }, options, io) => (await loadTest()).testCommand(targets, options, io),
});
