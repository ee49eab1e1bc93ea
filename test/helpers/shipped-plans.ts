import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './cli.js';
import type { PlannedStep } from './planned-step.mjs';

export { clockWords, plannedStep, runClock, type PlannedStep } from './planned-step.mjs';

/** One dry run of a shipped runbook: its arguments, and every step it plans, in order. */
export interface ShippedPlan {
  runbook: string;
  args: string[];
  steps: PlannedStep[];
}

/** A folder of runbooks/: the environment of its dry runs, what they never show, and its plans. */
export interface ShippedFamily {
  env: Record<string, string>;
  never_shown: string[];
  plans: ShippedPlan[];
}

export const SHIPPED_PLANS_FILE = join(ROOT, 'test/fixtures/shipped-plans.yaml');

/** test/fixtures/shipped-plans.yaml, by family. */
export const SHIPPED_PLANS = (
  parse(readFileSync(SHIPPED_PLANS_FILE, 'utf8')) as { families: Record<string, ShippedFamily> }
).families;

/** The plan of `runbook` with exactly these arguments. */
export function shippedPlan(runbook: string, args: string[] = []): ShippedPlan {
  const found = Object.values(SHIPPED_PLANS)
    .flatMap((family) => family.plans)
    .find((plan) => plan.runbook === runbook && plan.args.join('\0') === args.join('\0'));
  if (!found) throw new Error(`no plan of ${runbook} ${args.join(' ')} in ${SHIPPED_PLANS_FILE}`);
  return found;
}

/** The family (folder of runbooks/) of a shipped runbook. */
export function familyOf(runbook: string): string {
  const found = Object.entries(SHIPPED_PLANS).find(([, family]) =>
    family.plans.some((plan) => plan.runbook === runbook),
  );
  if (!found) throw new Error(`${runbook} has no plan in ${SHIPPED_PLANS_FILE}`);
  return found[0];
}

/** The arguments of a plan's dry run, as the file's plans were made (scripts/shipped-plans.mjs). */
export function dryRunArgs(family: string, plan: Pick<ShippedPlan, 'runbook' | 'args'>): string[] {
  return [
    'run',
    plan.runbook,
    '--dry-run',
    '--non-interactive',
    '--dir',
    join(ROOT, 'runbooks', family),
    '--format',
    'json',
    ...plan.args,
  ];
}
