import { loader } from '../common/lazy.js';
import { arg, defineCommand, dirFlag, flag } from './define.js';

/** What making a report needs, loaded only by `runbook report`: nothing of it is on `run`'s path
 * (docs/performance.md). */
const loadReport = loader('the incident report', () => import('./report-make.js'));

export const report = defineCommand({
  name: 'report',
  summary: 'Write the post-incident report of a run: summary, findings, timeline, checklist',
  args: {
    runId: arg.optional('run-id', 'the run (runbook history lists them); or --incident'),
  },
  flags: {
    format: flag.choice('--format <format>', 'md or json', ['md', 'json']),
    out: flag.string('--out <file>', 'write it to this file (atomically) instead of printing it'),
    dir: dirFlag,
    incident: flag.string(
      '--incident <id>',
      "one report of every run of this incident, by everyone (run --incident), instead of one run's",
    ),
  },
  handler: async ({ runId }, options, io) => (await loadReport()).makeReport(runId, options, io),
});
