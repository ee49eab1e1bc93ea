// How test/fixtures/shipped-plans.yaml keeps a planned step. Shared by the test that checks the
// file (test/e2e/shipped-plans.e2e.test.ts) and the script that writes it (scripts/shipped-plans.mjs),
// so that both read a dry run the same way; plain JavaScript for the script (planned-step.d.mts types
// it for the tests).
import { readFileSync } from 'node:fs';

const EPOCH_MS = /\b\d{13}\b/g;
const INSTANT = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\b/g;
/** How far from its journal's run.start the run's own clock (`run.started_at`, read when its steps
 * start) may be. */
const NEAR_MS = 60_000;
const MONTH_MS = 31 * 24 * 3600 * 1000;

/** The run's id and the instant its journal says it started (run.start), from its JSON document. */
export function runClock(doc) {
  if (!doc.journal) throw new Error(`run ${doc.run_id} has no journal: its start is unknown`);
  const first = JSON.parse(readFileSync(doc.journal, 'utf8').split('\n')[0]);
  if (first.type !== 'run.start') throw new Error(`${doc.journal} does not start with run.start`);
  return { id: doc.run_id, startedAt: first.ts };
}

/**
 * What the run's clock put in a text, as words: the run's id `<run-id>`; an instant near the run's
 * start `<started-at>`; epoch milliseconds a whole number of minutes before the start
 * `<started-at - N min, in ms>`. Any other instant or number stays as it is, and so fails a
 * comparison with the file.
 */
export function clockWords(text, clock) {
  const started = Date.parse(clock.startedAt);
  return text
    .replaceAll(clock.id, '<run-id>')
    .replace(INSTANT, (instant) =>
      Math.abs(Date.parse(instant) - started) <= NEAR_MS ? '<started-at>' : instant,
    )
    .replace(EPOCH_MS, (digits) => {
      const back = started - Number(digits);
      const minutes = Math.round(back / 60_000);
      return Math.abs(back - minutes * 60_000) <= NEAR_MS / 2 && back >= 0 && back <= MONTH_MS
        ? `<started-at - ${minutes} min, in ms>`
        : digits;
    });
}

/** Every string of a JSON value in clock words. */
function worded(value, clock) {
  if (typeof value === 'string') return clockWords(value, clock);
  if (Array.isArray(value)) return value.map((item) => worded(item, clock));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, worded(v, clock)]));
  return value;
}

/** A step of a dry run's JSON document as the file keeps it: id, section, status, effect, command,
 * its outputs when it has any (a manual step's instruction, the values `dry_run:` assumes), the
 * condition it is planned on when the plan could not decide it and, when it is skipped, why; in
 * clock words. */
export function plannedStep(step, clock) {
  const { id, section, status, effect, command, outputs, condition, reason } = step;
  return {
    id,
    section,
    status,
    effect,
    command: command === null ? null : clockWords(command, clock),
    ...(Object.keys(outputs ?? {}).length === 0 ? {} : { outputs: worded(outputs, clock) }),
    ...(condition === undefined ? {} : { condition }),
    ...(reason === undefined ? {} : { reason: clockWords(reason, clock) }),
  };
}
