import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runBin, tempDir } from '../helpers/cli.js';
import { makeRecorders, runbookIds } from '../helpers/recorders.js';
import {
  clockWords,
  dryRunArgs,
  plannedStep,
  runClock,
  SHIPPED_PLANS,
  shippedPlan,
  type PlannedStep,
  type ShippedPlan,
} from '../helpers/shipped-plans.js';

/**
 * Every shipped runbook planned by bin/runbook.js under a PATH where every tool is a recorder: each
 * plan of test/fixtures/shipped-plans.yaml, step by step (ids in order, sections, statuses,
 * effects, the exact redacted commands, why a step is skipped), and nothing called. The file is
 * written by scripts/shipped-plans.mjs and reviewed; the tests below it pin what each family's
 * plans must say, whatever the file says.
 */

interface JsonRun {
  run_id: string;
  journal: string | null;
  status: string;
  exit_code: number;
  mode: string;
  findings: string[];
  steps: Array<{
    id: string;
    section: string;
    status: string;
    effect: string;
    command: string | null;
    reason?: string;
    outputs: Record<string, unknown>;
    exit_code: number | null;
    duration_ms: number;
    attempts: number;
  }>;
}

const dir = tempDir('runbook-shipped-plans-');
const recorders = makeRecorders(dir.path);
afterAll(() => dir.remove());

function envOf(family: string): Record<string, string> {
  return {
    ...SHIPPED_PLANS[family]?.env,
    PATH: recorders.bin,
    HOME: dir.path,
    RUNBOOK_STATE_DIR: join(dir.path, 'state'),
  };
}

const title = (plan: Pick<ShippedPlan, 'runbook' | 'args'>): string =>
  [plan.runbook, ...plan.args].join(' ');

const PLANS = Object.entries(SHIPPED_PLANS).flatMap(([family, { plans }]) =>
  plans.map((plan) => [title(plan), family, plan] as const),
);

const step = (plan: ShippedPlan, id: string): PlannedStep => {
  const found = plan.steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id} in the plan of ${title(plan)}`);
  return found;
};

describe('the plan of every shipped runbook, exactly', () => {
  it('has a family for each folder of runbooks/, and a plan for each runbook in it', () => {
    const folders = readdirSync(join(ROOT, 'runbooks')).sort();
    expect(Object.keys(SHIPPED_PLANS).sort()).toEqual(folders);
    for (const [family, { plans }] of Object.entries(SHIPPED_PLANS))
      expect([...new Set(plans.map((plan) => plan.runbook))].sort(), family).toEqual(
        runbookIds(join(ROOT, 'runbooks', family)),
      );
    expect(new Set(PLANS.map(([, , plan]) => plan.runbook)).size).toBe(42);
    expect(new Set(PLANS.map(([name]) => name)).size).toBe(48);
    expect(PLANS).toHaveLength(48);
  });

  it.each(PLANS)('%s', async (_title, family, plan) => {
    const result = await runBin(dryRunArgs(family, plan), { env: envOf(family) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as JsonRun;
    expect([doc.status, doc.exit_code, doc.mode, doc.findings]).toEqual([
      'succeeded',
      0,
      'dry-run',
      [],
    ]);
    const clock = runClock(doc);
    expect(doc.steps.map((s) => plannedStep(s, clock))).toEqual(plan.steps);
    // What the file leaves out is the same for every step of a plan: nothing ran.
    const kept = new Set([
      'id',
      'section',
      'status',
      'effect',
      'command',
      'outputs',
      'condition',
      'reason',
    ]);
    expect(doc.steps.map((s) => Object.entries(s).filter(([key]) => !kept.has(key)))).toEqual(
      doc.steps.map(() => [
        ['exit_code', null],
        ['duration_ms', 0],
        ['attempts', 0],
      ]),
    );
    for (const secret of SHIPPED_PLANS[family]?.never_shown ?? [])
      expect(result.stdout).not.toContain(secret);
    expect(recorders.calls()).toBe('');
  });
});

describe('cloud-code: the text of a dry run shows every command', () => {
  // Found through runbook.config.yaml's dirs, from the repository, as a person would run them.
  it.each(SHIPPED_PLANS['cloud-code']?.plans.map((plan) => [title(plan), plan] as const) ?? [])(
    '%s',
    async (_title, plan) => {
      const result = await runBin(
        ['run', plan.runbook, '--dry-run', '--non-interactive', ...plan.args],
        { cwd: ROOT, env: envOf('cloud-code') },
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const header = /^ {2}run (\S+) · journal (\S+)$/m.exec(result.stdout);
      if (!header) throw new Error(`no run id in:\n${result.stdout}`);
      const clock = runClock({ run_id: header[1] ?? '', journal: header[2] ?? null });
      const lines = result.stdout.split('\n');
      expect(
        lines
          .filter((line) => line.startsWith('      $ '))
          .map((line) => clockWords(line.slice('      $ '.length), clock)),
      ).toEqual(plan.steps.flatMap((s) => (s.command === null ? [] : s.command.split('\n'))));
      expect(
        lines
          .filter((line) => line.startsWith('✔ '))
          .map((line) => line.replace(/ in \S+ — /, ' in … — ')),
      ).toEqual([summary(plan)]);
      for (const secret of SHIPPED_PLANS['cloud-code']?.never_shown ?? [])
        expect(result.stdout).not.toContain(secret);
      expect(recorders.calls()).toBe('');
    },
  );
});

/** The closing line of a dry run's text. */
function summary(plan: ShippedPlan): string {
  const planned = plan.steps.filter((s) => s.status === 'planned').length;
  const skipped = plan.steps.filter((s) => s.status === 'skipped').length;
  return `✔ Planned in … — ${planned} planned${skipped ? `, ${skipped} skipped` : ''}`;
}

describe('what each family’s plans must say', () => {
  it('agent-factory: the guarded step (or the one that changes something) of each, exactly', () => {
    const deployment = 'agent-factory-abc123.vercel.app';
    const pinned: Array<[string, string[], string, string]> = [
      [
        'agent-factory-incident-response',
        ['--var', 'mitigation=rollback'],
        'rollback-deployment',
        'vercel rollback agent-factory-prev99.vercel.app',
      ],
      [
        'agent-factory-database-pool-exhausted',
        [],
        'restart-application',
        `vercel redeploy ${deployment}`,
      ],
      [
        'agent-factory-api-rate-limiting',
        [],
        'rate-limited-requests',
        `vercel logs --deployment ${deployment} --status-code 429 --since 1h --json`,
      ],
      [
        'agent-factory-deployment-failure',
        ['--var', 'remedy=rollback'],
        'rollback-deployment',
        'vercel rollback agent-factory-prev99.vercel.app',
      ],
      [
        'agent-factory-security-incident',
        ['--var', 'rotate_secret_name=OPENAI_API_KEY'],
        'set-rotated-secret',
        "cd . && printf '%s' *** | vercel env add OPENAI_API_KEY production --force",
      ],
    ];
    for (const [runbook, args, id, command] of pinned)
      expect(step(shippedPlan(runbook, args), id), runbook).toMatchObject({
        status: 'planned',
        command,
      });
  });

  it('agent-factory: validates --strict through the binary', async () => {
    const result = await runBin(['validate', '--strict', join(ROOT, 'runbooks/agent-factory')], {
      env: { PATH: recorders.bin },
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('cloud-code: webhooks failing for a secret mismatch plans the rotation, the secret not shown', () => {
    const plan = shippedPlan('cloud-code-github-webhooks-failing', [
      '--var',
      'cause=secret-mismatch',
    ]);
    expect(plan.steps.filter((s) => s.command?.startsWith('wrangler secret put '))).toEqual([
      expect.objectContaining({
        status: 'planned',
        command: 'wrangler secret put ENCRYPTION_KEY --name cloud-code',
      }),
    ]);
  });

  it('cookcam: each incident runbook with its resolution on the path', () => {
    const api = shippedPlan('cookcam-api-down');
    expect(step(api, 'restart')).toMatchObject({
      status: 'planned',
      effect: 'destructive',
      command: 'pm2 restart cookcam-api',
    });
    expect(step(api, 'force-start').status).toBe('skipped');

    const db = shippedPlan('cookcam-db-connections');
    expect(step(db, 'kill-long-queries')).toMatchObject({
      status: 'planned',
      effect: 'destructive',
    });
    expect(step(db, 'kill-long-queries').command).toContain(' and pid in (4242)), ');
    expect(step(db, 'restart-pool').status).toBe('planned');
    expect(step(db, 'terminate-idle').status).toBe('skipped');

    const stripe = shippedPlan('cookcam-stripe-webhooks');
    expect(step(stripe, 'retry-failed').status).toBe('planned');
    expect(step(stripe, 'restart-api')).toMatchObject({
      status: 'planned',
      effect: 'destructive',
      command: 'pm2 restart cookcam-api',
    });

    const memory = shippedPlan('cookcam-memory-leak');
    expect(step(memory, 'restart').status).toBe('planned');
    expect(step(memory, 'start-with-limit').status).toBe('skipped');

    const limited = shippedPlan('cookcam-rate-limit');
    expect(
      ['raise-limit', 'check-config', 'reload-nginx'].map((id) => step(limited, id).status),
    ).toEqual(['planned', 'planned', 'planned']);
    expect(step(limited, 'under-attack').status).toBe('skipped');
  });

  it('cookcam: each mitigation option is its own branch', () => {
    const common = [
      '--var',
      'app_dir=/srv/cookcam',
      '--var',
      'stable_commit=4f2a9c1',
      '--var',
      'backup_file=backup.dump',
    ];
    const branches: Record<string, string[]> = {
      rollback: ['rollback-checkout', 'rollback-build', 'rollback-reload'],
      hotfix: ['hotfix-branch', 'hotfix-change', 'hotfix-push', 'hotfix-build', 'hotfix-reload'],
      'scale-up': ['scale'],
      'database-recovery': ['db-read-only', 'db-restore', 'db-writable'],
    };
    const all = Object.values(branches).flat();
    for (const [option, planned] of Object.entries(branches)) {
      const plan = shippedPlan('cookcam-mitigation', ['--var', `option=${option}`, ...common]);
      expect(
        plan.steps
          .filter((s) => s.section === 'resolution' && s.status === 'planned')
          .map((s) => s.id),
        option,
      ).toEqual(planned);
      expect(
        all.filter((id) => !planned.includes(id)).map((id) => step(plan, id).status),
        option,
      ).toEqual(all.filter((id) => !planned.includes(id)).map(() => 'skipped'));
    }
  });

  it('pitchey: the guarded branches the dry-run assumptions point at', () => {
    const outage = shippedPlan('pitchey-platform-outage', ['--var', 'cause=deployment']);
    expect(step(outage, 'rollback-worker').status).toBe('planned');
    expect(step(outage, 'choose-cause').status).toBe('skipped');
    const errors = shippedPlan('pitchey-high-error-rate');
    expect(step(errors, 'verify-auth-endpoint').status).toBe('planned');
    expect(step(errors, 'database-health').status).toBe('skipped');
    const monitoring = shippedPlan('pitchey-monitoring-system-issues', ['--var', 'redeploy=yes']);
    expect(step(monitoring, 'redeploy-monitoring').status).toBe('planned');
  });
});
