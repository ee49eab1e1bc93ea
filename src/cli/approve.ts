import { hostname } from 'node:os';
import { NotFoundError, UsageError, RunbookError } from '../common/errors.js';
import { currentUser } from '../engine/user.js';
import { visible } from '../report/visible.js';
import { loadConfig } from '../schema/config.js';
import { isRunId } from '../state/run-index.js';
import { arg, defineCommand } from './define.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { openStateStore } from './setup.js';

/** Refused: the person may not approve this step (they run it, or are not of its group). */
class NotApproverError extends RunbookError {
  constructor(message: string, hint?: string) {
    super('declined', message, hint);
  }
}

/** `runbook approve <run-id> <step>`: another person's approval (docs/state.md#approvals). */
export const approve = defineCommand({
  name: 'approve',
  summary: "Approve a step of someone else's run that waits for it (approval: in the runbook)",
  args: {
    runId: arg.required('run-id', 'the run waiting (runbook status lists runs in progress)'),
    step: arg.required('step', 'the step waiting for approval'),
  },
  flags: {},
  handler: ({ runId, step }, _options, io) => approveCommand(runId, step, io),
});

async function approveCommand(runId: string, step: string, io: Io): Promise<number> {
  if (!isRunId(runId) || runId.includes('..'))
    throw new UsageError(
      `"${visible(runId)}" is not a run id`,
      'runbook status lists runs in progress',
    );
  const config = await loadConfig(io.cwd, io.env);
  const store = await openStateStore(io, config);
  try {
    const book = store.approvals;
    if (!book)
      throw new UsageError(
        `approvals by another person need the team database, and runs are kept in ${store.description}`,
        'set RUNBOOK_STATE_URL, or state: { url_env: NAME } in runbook.config.yaml (docs/state.md)',
      );
    const approval = await book.read(runId, step);
    if (!approval)
      throw new NotFoundError(
        `run ${runId} has not asked for an approval of step "${visible(step)}"`,
        'runbook status lists runs in progress; a step asks once the run reaches it',
      );
    const me = currentUser(io.env);
    if (approval.approved_by !== null) {
      io.stdout.write(
        `Step ${step} of run ${runId} was approved already, by ${approval.approved_by}@${approval.approved_host ?? '?'} at ${approval.approved_at ?? '?'}.\n`,
      );
      return EXIT.ok;
    }
    if (me === approval.runner)
      throw new NotApproverError(
        `you (${me}) are running ${runId}: step ${step} needs someone else's approval`,
        approval.approvers === null
          ? 'ask anyone else on the team to run this command'
          : `ask a member of ${approval.by}: ${approval.approvers.join(', ')}`,
      );
    if (approval.approvers !== null && !approval.approvers.includes(me))
      throw new NotApproverError(
        `step ${step} of run ${runId} needs a member of ${approval.by} (${approval.approvers.join(', ')}); you are ${me}`,
      );
    const given = await book.give(runId, step, me, hostname());
    io.stdout.write(
      given
        ? `Approved step ${step} of ${approval.runner}'s run ${runId}: it goes on.\n`
        : `Step ${step} of run ${runId} was approved already.\n`,
    );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
