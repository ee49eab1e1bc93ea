import {
  defineAction,
  type ActionContext,
  type ActionOutcome,
  type Adapter,
  type ProcessRequest,
  type ProcessResult,
} from '../adapter.js';
import { firstLine } from '../support/lines.js';
import { binaryPreflight } from '../support/preflight.js';
import { runTool } from '../support/run-tool.js';
import { journalInput, unitInput, type JournalInput, type UnitInput } from './inputs.js';
import {
  CONTROL_VERBS,
  SYSTEMCTL,
  controlRequest,
  describeRequest,
  isActiveRequest,
  journalRequest,
  statusRequest,
  type ControlVerb,
} from './argv.js';
import { journalOutputs, parseJournal, parseShow, statusOutputs } from './parse.js';
import { managerDown, toolError } from './errors.js';
import { SYSTEMD_OUTPUTS } from './outputs.js';

/** `systemctl is-active` exits 3 for any state but active (inactive, failed, activating…). */
const NOT_ACTIVE_EXIT = 3;

/** Runs a request; a non-zero exit gets the tool's own first line as the error. */
async function runSystemd(
  ctx: ActionContext,
  request: ProcessRequest,
  parse?: (result: ProcessResult) => Record<string, unknown>,
): Promise<{ outcome: ActionOutcome; result: ProcessResult | undefined }> {
  let result: ProcessResult | undefined;
  const exec = async (req: ProcessRequest): Promise<ProcessResult> =>
    (result = await ctx.exec(req));
  const outcome = await runTool({ ...ctx, exec }, request, parse, managerDown);
  if (outcome.unavailable) return { outcome, result };
  if (!outcome.ok && result && result.exitCode !== null && result.exitCode !== 0 && !result.error) {
    const error = toolError(request, result);
    if (error) outcome.error = error;
  }
  return { outcome, result };
}

async function status(input: UnitInput, ctx: ActionContext): Promise<ActionOutcome> {
  const { outcome } = await runSystemd(ctx, statusRequest(input), (result) =>
    statusOutputs(parseShow(result.stdout)),
  );
  if (outcome.ok && outcome.outputs.load_state === 'not-found') {
    outcome.ok = false;
    outcome.error = `unit ${input.unit} not found (LoadState=not-found): check its name with systemctl list-units --all`;
  }
  return outcome;
}

/** Inactive is an answer, not a failure: ok with `active: false`, for `expect` to judge. */
async function isActive(input: UnitInput, ctx: ActionContext): Promise<ActionOutcome> {
  const { outcome, result } = await runSystemd(ctx, isActiveRequest(input));
  const state = result ? firstLine(result.stdout) : undefined;
  const answered =
    result !== undefined &&
    !result.error &&
    !result.timedOut &&
    !result.interrupted &&
    (result.exitCode === 0 || result.exitCode === NOT_ACTIVE_EXIT);
  if (!answered || !state) {
    if (outcome.ok) return { ...outcome, ok: false, error: 'systemctl is-active printed no state' };
    return outcome;
  }
  const { error: _notAFailure, ...rest } = outcome;
  return {
    ...rest,
    ok: true,
    outputs: { ...outcome.outputs, active: result.exitCode === 0, state },
  };
}

async function journal(input: JournalInput, ctx: ActionContext): Promise<ActionOutcome> {
  const { outcome, result } = await runSystemd(ctx, journalRequest(input), (done) =>
    journalOutputs(parseJournal(done.stdout)),
  );
  // The raw JSON lines are not repeated: `entries` carries them.
  delete outcome.outputs.stdout;
  delete outcome.outputs.json;
  // journalctl --grep exits 1, silently, when nothing matches: that is an empty answer.
  const nothingMatched =
    input.grep !== undefined &&
    result?.exitCode === 1 &&
    !result.error &&
    !result.timedOut &&
    !result.interrupted &&
    !result.stdout.trim() &&
    !result.stderr.trim();
  if (!nothingMatched) return outcome;
  const { error: _error, ...answered } = outcome;
  return { ...answered, ok: true, outputs: { ...outcome.outputs, ...journalOutputs([]) } };
}

function control(verb: ControlVerb) {
  return defineAction({
    summary: `systemctl ${verb} <unit>: outputs exit_code, stdout, stderr`,
    input: unitInput,
    effect: CONTROL_VERBS[verb],
    outputs: SYSTEMD_OUTPUTS.control,
    describe: (input) => describeRequest(controlRequest(verb, input)),
    run: async (input, ctx) => (await runSystemd(ctx, controlRequest(verb, input))).outcome,
  });
}

export const systemd = {
  name: 'systemd',
  summary: 'systemd units through systemctl and their logs through journalctl',
  binary: SYSTEMCTL,
  actions: {
    status: defineAction({
      summary:
        'systemctl show <unit>: outputs active, active_state, sub_state, load_state, result, main_pid, started_at, restarts, memory_bytes',
      input: unitInput,
      effect: 'read',
      outputs: SYSTEMD_OUTPUTS.status,
      describe: (input) => describeRequest(statusRequest(input)),
      run: status,
    }),
    is_active: defineAction({
      summary:
        'systemctl is-active <unit>: outputs active (boolean) and state; an inactive unit is an answer, not a failure',
      input: unitInput,
      effect: 'read',
      outputs: SYSTEMD_OUTPUTS.is_active,
      describe: (input) => describeRequest(isActiveRequest(input)),
      run: isActive,
    }),
    start: control('start'),
    stop: control('stop'),
    restart: control('restart'),
    reload: control('reload'),
    journal: defineAction({
      summary:
        'journalctl -u <unit> -o json: outputs entries (timestamp, message, priority, level, pid), count, errors, warnings, text',
      input: journalInput,
      effect: 'read',
      outputs: SYSTEMD_OUTPUTS.journal,
      describe: (input) => describeRequest(journalRequest(input)),
      run: journal,
    }),
  },
  preflight: ({ env }) =>
    binaryPreflight(SYSTEMCTL, env, {
      versionArgs: ['--version'],
      pickVersion: (output) => /^systemd (\d+)/m.exec(output)?.[1],
      hint: 'systemd units need a machine booted with systemd',
    }),
} satisfies Adapter;
