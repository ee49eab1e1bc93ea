import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runBin, tempDir } from '../helpers/cli.js';
import { makeRecorders, runbookIds } from '../helpers/recorders.js';

/**
 * Every shipped runbook dry-run by bin/runbook.js with no environment value at all (no --var, none
 * of their environment variables), every tool a recorder: each plans (exit 0), a value it lacks
 * shows as `<name>` in the commands, the plan lists what it lacked, and nothing is called
 * (docs/commands.md#dry-runs-and-read-only-runs).
 */

interface PlanDoc {
  status: string;
  exit_code: number;
  mode: string;
  steps: Array<{
    id: string;
    status: string;
    command: string | null;
    condition?: string;
    reason?: string;
  }>;
  missing_vars: Array<{ name: string; secret: boolean; how: string; placeholder: string }>;
  warnings?: string[];
}

const dir = tempDir('runbook-no-values-');
const recorders = makeRecorders(dir.path);
afterAll(() => dir.remove());
const ENV = { PATH: recorders.bin, HOME: dir.path, RUNBOOK_STATE_DIR: join(dir.path, 'state') };

const RUNBOOKS = readdirSync(join(ROOT, 'runbooks'))
  .sort()
  .flatMap((family) => runbookIds(join(ROOT, 'runbooks', family)).map((id) => [id, family]));
const familyOf = new Map(RUNBOOKS.map(([id, family]) => [id, family]));

const plan = (id: string, ...args: string[]): ReturnType<typeof runBin> =>
  runBin(
    ['run', id, '--dry-run', '--non-interactive', '--dir', `runbooks/${familyOf.get(id)}`, ...args],
    { env: ENV },
  );

/** What each runbook that needs values lacks without any: the 25 that refused a plan before. */
const MISSING: Record<string, string[]> = {
  'agent-factory-api-rate-limiting': ['prometheus_url', 'deployment_url', 'vercel_token'],
  'agent-factory-database-pool-exhausted': [
    'prometheus_url',
    'supabase_url',
    'supabase_service_key',
    'deployment_url',
    'vercel_token',
  ],
  'agent-factory-deployment-failure': ['deployment_url', 'vercel_token'],
  'agent-factory-incident-response': [
    'prometheus_url',
    'supabase_url',
    'supabase_service_key',
    'deployment_url',
    'vercel_token',
  ],
  'agent-factory-security-incident': [
    'supabase_url',
    'supabase_anon_key',
    'deployment_url',
    'vercel_token',
  ],
  'cloud-code-security-incident': ['new_encryption_key'],
  'cookcam-db-connections': ['database_url'],
  'cookcam-mitigation': ['option', 'app_dir', 'database_url'],
  'cookcam-stripe-webhooks': ['database_url'],
  'demo-api-down': ['state_dir'],
  'fondation-convex-connection-lost': ['convex_url'],
  'fondation-failover-secondary': ['primary_host'],
  'fondation-jobs-stuck-running': ['convex_url'],
  'fondation-restore-from-backup': ['config_backup', 'creds_backup'],
  'fondation-worker-not-processing': ['convex_url'],
  'pitchey-database-issues': ['prometheus_url', 'api_url', 'infra_url', 'logs_url'],
  'pitchey-error-analysis': ['logs_url', 'apm_url'],
  'pitchey-frontend-issues': ['logs_url', 'apm_url'],
  'pitchey-high-error-rate': ['prometheus_url', 'api_url', 'logs_url', 'infra_url'],
  'pitchey-monitoring-system-issues': [
    'monitoring_url',
    'logs_url',
    'apm_url',
    'infra_url',
    'alerts_url',
    'monitoring_worker',
    'repo_dir',
  ],
  'pitchey-performance-analysis': ['apm_url', 'infra_url'],
  'pitchey-performance-degradation': ['prometheus_url', 'infra_url', 'logs_url'],
  'pitchey-platform-outage': [
    'api_url',
    'frontend_url',
    'monitoring_url',
    'infra_url',
    'logs_url',
    'alerts_url',
    'worker_name',
  ],
  'pitchey-quick-health-check': ['api_url', 'monitoring_url', 'infra_url', 'logs_url', 'apm_url'],
  'pitchey-security-incident': ['security_url', 'logs_url', 'infra_url'],
};

const plans = new Map<string, PlanDoc>();

describe('a dry run of every shipped runbook without any value', () => {
  it('finds the 42 shipped runbooks, 25 of which need values', () => {
    expect(RUNBOOKS).toHaveLength(42);
    expect(Object.keys(MISSING)).toHaveLength(25);
    for (const id of Object.keys(MISSING)) expect(familyOf.has(id), id).toBe(true);
  });

  it.each(RUNBOOKS)('%s plans, and lists exactly what it lacked', async (id) => {
    const result = await plan(id, '--format', 'json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as PlanDoc;
    plans.set(id, doc);
    expect([doc.status, doc.exit_code, doc.mode]).toEqual(['succeeded', 0, 'dry-run']);
    expect(doc.missing_vars.map((v) => v.name)).toEqual(MISSING[id] ?? []);
    expect(doc.missing_vars.map((v) => v.placeholder)).toEqual(
      (MISSING[id] ?? []).map((name) => `<${name}>`),
    );
    expect(doc.warnings?.length ?? 0).toBe(MISSING[id] ? 1 : 0);
    // Every step is planned whole, or skipped by a condition the plan decided.
    expect(
      doc.steps.filter(
        (s) => !['planned', 'skipped'].includes(s.status) || /^not evaluated/.test(s.reason ?? ''),
      ),
    ).toEqual([]);
    expect(recorders.calls()).toBe('');
  });

  const command = (id: string, step: string): PlanDoc['steps'][number] | undefined =>
    plans.get(id)?.steps.find((s) => s.id === step);

  it('shows each missing value as its placeholder in the commands', () => {
    expect(command('agent-factory-deployment-failure', 'deployment-state')?.command).toBe(
      "GET https://api.vercel.com/v13/deployments/<deployment_url> -H 'authorization: Bearer <vercel_token>'",
    );
    expect(command('fondation-failover-secondary', 'copy-creds')?.command).toBe(
      "scp -r -- '<primary_host>':/srv/claude-creds /srv/",
    );
    expect(command('pitchey-database-issues', 'database-connectivity')?.command).toBe(
      'GET <api_url>/api/health/db',
    );
    expect(command('fondation-restore-from-backup', 'restore-creds')?.command).toBe(
      "tar -xzf /srv/backups/claude-creds-'<creds_backup>'.tar.gz -C /srv/",
    );
    expect(command('cookcam-mitigation', 'db-restore')).toEqual({
      id: 'db-restore',
      section: 'resolution',
      status: 'planned',
      effect: 'destructive',
      command: "pg_restore --clean --if-exists -d '<database_url>' -- ''",
      exit_code: null,
      duration_ms: 0,
      outputs: {},
      attempts: 0,
      condition: 'vars.option == "database-recovery" && vars.backup_file != ""',
      reason: 'condition not decided in a dry run: it reads <option>, which has no value',
    });
  });

  it('says in text, on stderr, what it lacked and how to give it', async () => {
    const result = await plan('cookcam-mitigation');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'warning: no value for 3 required variables, shown as <option>, <app_dir>, <database_url> in the plan: option (--var option=…), app_dir (--var app_dir=… or $COOKCAM_APP_DIR), database_url (--var database_url=… or $DATABASE_URL); a real run refuses without them (--require-vars makes the dry run refuse too)\n',
    );
    expect(result.stdout).toContain(
      '  ○ rollback-checkout — A: check out the previous stable commit [destructive]  if vars.option == "rollback" && vars.stable_commit != ""\n' +
        "      $ git -C '<app_dir>' switch --detach --end-of-options ''\n",
    );
    const demo = await plan('demo-api-down');
    expect(demo.stderr).toBe(
      'warning: no value for a required variable, shown as <state_dir> in the plan: state_dir (--var state_dir=… or $DEMO_STATE_DIR); a real run refuses without it (--require-vars makes the dry run refuse too)\n',
    );
    expect(recorders.calls()).toBe('');
  });

  it('--require-vars refuses as a real run does (exit 2), and so does a real run', async () => {
    const message =
      'runbook: runbook cookcam-db-connections needs a value for: database_url (--var database_url=… or $DATABASE_URL)\nhint: pass them with --var name=value or set the environment variables\n';
    const required = await plan('cookcam-db-connections', '--require-vars');
    expect([required.code, required.stdout, required.stderr]).toEqual([2, '', message]);
    const real = await runBin(
      ['run', 'cookcam-db-connections', '--non-interactive', '--dir', 'runbooks/cookcam'],
      { env: ENV },
    );
    expect([real.code, real.stdout, real.stderr]).toEqual([2, '', message]);
    expect(recorders.calls()).toBe('');
  });

  it('--format junit: a planned step passes, its condition and command are its output', async () => {
    const result = await plan('cookcam-stripe-webhooks', '--format', 'junit');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      '<?xml version="1.0" encoding="UTF-8"?>',
      expect.stringMatching(
        /^<testsuites name="runbook run" tests="9" failures="0" time="\d+\.\d{3}">$/,
      ),
      expect.stringMatching(
        /^ {2}<testsuite name="cookcam-stripe-webhooks" tests="9" failures="0" skipped="1" errors="0" time="\d+\.\d{3}">$/,
      ),
      '    <properties>',
      '      <property name="missing_var" value="database_url"/>',
      '    </properties>',
    ]);
    const fix = lines.findIndex((line) => line.includes('name="fix-webhook-secret"'));
    expect(lines[fix + 1]).toBe(
      '      <skipped message="skipped: when: steps.recent_failures.outputs.signature_errors &gt; 0 is false"/>',
    );
    const restart = lines.findIndex((line) => line.includes('name="restart-api"'));
    expect(lines.slice(restart, restart + 3)).toEqual([
      '    <testcase classname="cookcam-stripe-webhooks.resolution" name="restart-api" time="0.000">',
      '      <system-out>pm2 restart cookcam-api</system-out>',
      '    </testcase>',
    ]);
    expect(lines.slice(-4)).toEqual([
      '    <system-err>warning: no value for a required variable, shown as &lt;database_url&gt; in the plan: database_url (--var database_url=… or $DATABASE_URL); a real run refuses without it (--require-vars makes the dry run refuse too)</system-err>',
      '  </testsuite>',
      '</testsuites>',
      '',
    ]);
    const mitigation = (await plan('cookcam-mitigation', '--format', 'junit')).stdout.split('\n');
    const reload = mitigation.findIndex((line) => line.includes('name="hotfix-reload"'));
    expect(mitigation.slice(reload, reload + 3)).toEqual([
      '    <testcase classname="cookcam-mitigation.resolution" name="hotfix-reload" time="0.000">',
      '      <system-out>if vars.option == &quot;hotfix&quot;',
      'pm2 reload cookcam-api</system-out>',
    ]);
    expect(recorders.calls()).toBe('');
  });
});

describe('a dry run whose placeholder an action cannot describe', () => {
  it('plans the step without its command, saying why, instead of an internal error', async () => {
    const here = tempDir();
    try {
      writeFileSync(
        join(here.path, 'pl.yaml'),
        'id: pl\ntitle: PL\nseverity: P3\nvars:\n  db: { required: true }\n  thr: { required: true }\ndiagnosis:\n  - id: lr\n    uses: psql.long_running\n    with: { url: "${{ vars.db }}", threshold: "${{ vars.thr }}" }\n',
      );
      const result = await runBin(
        ['run', 'pl', '--dir', here.path, '--dry-run', '--format', 'json'],
        {
          env: { RUNBOOK_STATE_DIR: join(here.path, 'state') },
        },
      );
      expect(result.code).toBe(0);
      const doc = JSON.parse(result.stdout) as {
        steps: Array<{ id: string; status: string; command: string | null; reason?: string }>;
      };
      expect(doc.steps.map((step) => [step.id, step.status, step.command, step.reason])).toEqual([
        [
          'lr',
          'planned',
          null,
          'not evaluated in a dry run: psql.long_running: "<thr>" is not a duration (use e.g. 500ms, 30s, 5m, 1h)',
        ],
      ]);
    } finally {
      here.remove();
    }
  });
});
