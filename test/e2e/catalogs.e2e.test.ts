import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, parseJournal, runBin, tempDir } from '../helpers/cli.js';

// Catalogs and documentation-only runbooks through the built CLI (docs/format.md, "Catalogs and
// documentation-only runbooks"), from a directory outside the repository.

let outside: { path: string; remove: () => void };
let dir: string;
const CATALOGS = join(ROOT, 'examples/catalogs');

beforeAll(() => {
  outside = tempDir('runbook-catalogs-');
  dir = join(outside.path, 'rb');
  mkdirSync(dir);
  for (const name of ['kubernetes-mixin.yaml', 'gitlab-postgres.yaml'])
    copyFileSync(join(CATALOGS, name), join(dir, name));
});
afterAll(() => outside.remove());

const env = (): Record<string, string> => ({ RUNBOOK_STATE_DIR: join(outside.path, 'state') });

describe('catalogs through the CLI', () => {
  it('validate --strict takes every runbook of both catalogs', async () => {
    const result = await runBin(['validate', '--strict', dir], { cwd: outside.path, env: env() });
    expect(result.stdout).toBe('✓ 18 runbooks valid\n');
    expect(result.code).toBe(0);
  });

  it('validate says a problem of the third --- document at its line in the file', async () => {
    const bad = join(outside.path, 'bad');
    mkdirSync(bad);
    const text = readFileSync(join(CATALOGS, 'gitlab-postgres.yaml'), 'utf8');
    const lines = text.split('\n');
    const at = lines.findIndex((line) => line === 'title: Transaction ID wraparound approaching');
    lines.splice(at + 1, 0, 'severity_level: SEV2');
    writeFileSync(join(bad, 'pg.yaml'), lines.join('\n'));
    const result = await runBin(['validate', '--format', 'json', bad], {
      cwd: outside.path,
      env: env(),
    });
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout) as {
      files: Array<{
        id: string | null;
        errors: Array<{ line: number; col: number; message: string }>;
      }>;
    };
    expect(report.files.map((file) => file.id)).toEqual([
      'pg-pgbouncer-saturation',
      'pg-replication-lag',
      null,
      'pg-replication-slot-inactive',
      'pg-too-many-connections',
    ]);
    expect(
      report.files[2]?.errors.map((e) => `bad/pg.yaml:${e.line}:${e.col} ${e.message}`),
    ).toEqual([`bad/pg.yaml:${at + 2}:1 unknown key "severity_level"`]);
  });

  it('a duplicate id across two files is said at both places', async () => {
    const twice = join(outside.path, 'twice');
    mkdirSync(twice);
    copyFileSync(join(CATALOGS, 'gitlab-postgres.yaml'), join(twice, 'a.yaml'));
    writeFileSync(
      join(twice, 'pg-replication-lag.yaml'),
      'id: pg-replication-lag\ntitle: T\nsummary: S\n',
    );
    const result = await runBin(['validate', twice], { cwd: outside.path, env: env() });
    expect(result.code).toBe(2);
    const line =
      readFileSync(join(twice, 'a.yaml'), 'utf8').split('\n').indexOf('id: pg-replication-lag') + 1;
    expect(result.stdout.split('\n').filter((l) => l.includes('duplicate runbook id'))).toEqual([
      `twice/a.yaml:${line}:5: error: duplicate runbook id "pg-replication-lag" (also in twice/pg-replication-lag.yaml)`,
      `twice/pg-replication-lag.yaml:1:1: error: duplicate runbook id "pg-replication-lag" (also in twice/a.yaml:${line})`,
    ]);
  });

  it('list --json gives each runbook of a catalog, documentation_only marked', async () => {
    const result = await runBin(['list', '--json', '--dir', dir], {
      cwd: outside.path,
      env: env(),
    });
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(18);
    expect(rows.find((row) => row.id === 'kube-cpu-overcommit')).toEqual({
      id: 'kube-cpu-overcommit',
      title: 'KubeCPUOvercommit — the cluster cannot survive losing a node',
      severity: 'warning',
      service: 'kubernetes',
      tags: ['kubernetes-mixin', 'capacity'],
      file: 'rb/kubernetes-mixin.yaml',
      documentation_only: true,
    });
    expect(rows.find((row) => row.id === 'kube-job-failed')?.documentation_only).toBe(false);
  });

  it('show prints a documentation-only runbook with its links', async () => {
    const result = await runBin(['show', 'kubelet-too-many-pods', '--dir', dir], {
      cwd: outside.path,
      env: env(),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'KubeletTooManyPods — a node is close to its pod limit  kubelet-too-many-pods',
        'info · kubernetes · #kubernetes-mixin · #nodes',
        'rb/kubernetes-mixin.yaml',
        '',
        'A node runs more than 95% of the pods its kubelet allows (maxPods, 110 by default): new pods will not fit on it.',
        '',
        'Documentation only: no steps; `runbook run` prints its guidance',
        '',
        'Links',
        '  - https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubelettoomanypods/',
        '',
      ].join('\n'),
    );
  });

  it('run of a documentation-only runbook prints its guidance through | cat, exits 0 and journals the run', async () => {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} run pg-replication-slot-inactive --dir rb | cat`;
    const stdout = execFileSync('sh', ['-c', command], {
      cwd: outside.path,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env() },
      encoding: 'utf8',
    });
    const [guidance, run] = stdout.split('\n▶ ');
    expect(guidance).toBe(
      [
        'Guidance  pg-replication-slot-inactive has no steps to run: read, then act',
        '',
        'Summary',
        "  A replication slot has no consumer: the primary keeps every WAL segment since the slot's position, and its disk fills.",
        '',
        'Description',
        '  If the replica or consumer of the slot is gone for good, drop the slot on the primary',
        '  (pg_drop_replication_slot). If it comes back, it catches up from the slot.',
        '',
        'Links',
        '  - https://www.postgresql.org/docs/current/warm-standby.html#STREAMING-REPLICATION-SLOTS',
        '',
      ].join('\n'),
    );
    expect(run).toMatch(
      /^An inactive replication slot holds back WAL {2}pg-replication-slot-inactive {2}SEV3 · postgres\n/,
    );
    const journal = /journal: (\S+\.jsonl)\n$/.exec(stdout)?.[1];
    expect(journal).toBeDefined();
    const events = parseJournal(readFileSync(journal as string, 'utf8'));
    expect(events.map((event) => event.type)).toEqual(['run.start', 'run.end']);
    expect(events[1]).toMatchObject({ status: 'succeeded' });
  });

  it('run --format json carries the guidance in the one document', async () => {
    const result = await runBin(['run', 'kube-hpa-maxed-out', '--dir', dir, '--format', 'json'], {
      cwd: outside.path,
      env: env(),
    });
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(document.status).toBe('succeeded');
    expect(document.steps).toEqual([]);
    expect(document.guidance).toEqual({
      summary:
        'A HorizontalPodAutoscaler runs as many replicas as it may: more load will not get more pods, and latency or errors may follow.\n',
      description:
        'Decide whether the load is expected (raise maxReplicas, if the nodes can hold them) or not\n(find where it comes from before scaling).\n',
      symptoms: [],
      escalation: [
        {
          after: '1h',
          to: 'the team owning the workload',
          severity: null,
          via: null,
          contact: null,
        },
      ],
      references: [
        {
          title: null,
          url: 'https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubehpamaxedout/',
        },
      ],
    });
  });

  it('check of a documentation-only runbook is UNKNOWN (3): nothing to check', async () => {
    const result = await runBin(['check', 'kube-cpu-overcommit', '--dir', dir], {
      cwd: outside.path,
      env: env(),
    });
    expect(result.code).toBe(3);
    expect(result.stdout.split('\n')[0]).toBe(
      'RUNBOOK UNKNOWN - 1 UNKNOWN: kube-cpu-overcommit/-: nothing to check: a documentation-only runbook (no steps; read it with: runbook run kube-cpu-overcommit)',
    );
  });

  it('run of an id no catalog holds suggests the nearest', async () => {
    const result = await runBin(['run', 'kube-job-faild', '--dir', dir], {
      cwd: outside.path,
      env: env(),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('did you mean "kube-job-failed"?');
  });

  it("runbook test runs the scenarios of a catalog's runbooks, each named by runbook: <id>", async () => {
    const result = await runBin(['test', CATALOGS, '--format', 'json'], {
      cwd: outside.path,
      env: env(),
    });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      runbooks: Array<{
        id: string;
        runbook_file: string;
        scenarios: Array<{ status: string }>;
      }>;
    };
    expect(
      report.runbooks.map((one) => [one.id, one.runbook_file, one.scenarios.map((s) => s.status)]),
    ).toEqual([
      ['kube-pod-crash-looping', join(CATALOGS, 'kubernetes-mixin.yaml'), ['passed']],
      ['kube-job-failed', join(CATALOGS, 'kubernetes-mixin.yaml'), ['passed']],
    ]);
  });

  it('a scenario file naming an id its catalog does not hold is an error at runbook:', async () => {
    const tests = join(outside.path, 'tests');
    mkdirSync(tests);
    copyFileSync(join(CATALOGS, 'kubernetes-mixin.yaml'), join(tests, 'kubernetes-mixin.yaml'));
    writeFileSync(
      join(tests, 'kubernetes-mixin.test.yaml'),
      'runbook: kube-job-faild\nscenarios:\n  - name: x\n    expect: { status: succeeded }\n',
    );
    const result = await runBin(['test', tests], { cwd: outside.path, env: env() });
    expect(result.code).toBe(2);
    expect(result.stdout.split('\n').slice(0, 2)).toEqual([
      'tests/kubernetes-mixin.test.yaml (kube-job-faild)',
      '  tests/kubernetes-mixin.test.yaml:1:10: error: no runbook kube-job-faild in tests/kubernetes-mixin.yaml, nor in another runbook file of this directory',
    ]);
  });
});
