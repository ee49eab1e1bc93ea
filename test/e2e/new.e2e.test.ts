import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, runBin, tempDir } from '../helpers/cli.js';
import { TEMPLATE_NAMES } from '../../src/cli/new.js';

interface Scenario {
  name: string;
  steps?: Record<string, unknown>;
  answers?: Record<string, unknown>;
  expect: { ran: string[]; skipped: string[]; commands?: Record<string, string> };
}

let dir: { path: string; remove: () => void };
beforeEach(() => (dir = tempDir('runbook-new-')));
afterEach(() => dir.remove());

/** Every step of a runbook file: its id and its `when:`. */
function stepsOf(file: string): Array<{ id: string; when?: string }> {
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const detection = (doc.detection as { checks?: unknown[] } | undefined)?.checks ?? [];
  const rest = ['diagnosis', 'resolution', 'verification', 'rollback'].flatMap(
    (section) => (doc[section] as unknown[] | undefined) ?? [],
  );
  return [...detection, ...rest] as Array<{ id: string; when?: string }>;
}

describe('runbook new', () => {
  it.each(TEMPLATE_NAMES)(
    'the %s template: validate --strict passes, and the scenarios cover both sides of each when:',
    async (template) => {
      const made = await runBin(
        ['new', `api-${template}`, '--from-template', template, '--dir', 'rb'],
        {
          cwd: dir.path,
        },
      );
      expect(made).toMatchObject({ code: 0, stderr: '' });
      expect(made.stdout).toBe(
        `wrote rb/api-${template}.yaml\nwrote rb/api-${template}.test.yaml\nnext: runbook validate --strict rb/api-${template}.yaml && runbook test rb/api-${template}.yaml\n`,
      );
      const validated = await runBin(['validate', '--strict', 'rb'], { cwd: dir.path });
      expect(validated).toMatchObject({ code: 0, stdout: '✓ 1 runbook valid\n', stderr: '' });

      const runbookFile = join(dir.path, 'rb', `api-${template}.yaml`);
      const steps = stepsOf(runbookFile);
      const ids = steps.map((step) => step.id);
      const file = parse(
        readFileSync(join(dir.path, 'rb', `api-${template}.test.yaml`), 'utf8'),
      ) as {
        runbook: string;
        scenarios: Scenario[];
      };
      expect(file.runbook).toBe(`api-${template}`);
      expect(file.scenarios).toHaveLength(2);
      // Every key that names a step names one of the runbook's.
      for (const scenario of file.scenarios) {
        for (const named of [
          ...Object.keys(scenario.steps ?? {}),
          ...Object.keys(scenario.answers ?? {}),
          ...scenario.expect.ran,
          ...scenario.expect.skipped,
          ...Object.keys(scenario.expect.commands ?? {}),
        ])
          expect(ids).toContain(named);
        // Every step is either run or skipped, in the runbook's order.
        expect([...scenario.expect.ran, ...scenario.expect.skipped].sort()).toEqual(
          [...ids].sort(),
        );
        expect(scenario.expect.ran).toEqual(ids.filter((id) => scenario.expect.ran.includes(id)));
      }
      // Each when: is true in one scenario and false in another.
      for (const step of steps.filter((s) => s.when !== undefined)) {
        expect(file.scenarios.some((s) => s.expect.ran.includes(step.id))).toBe(true);
        expect(file.scenarios.some((s) => s.expect.skipped.includes(step.id))).toBe(true);
      }
      // The commands the scenarios expect are the ones a dry run of the runbook shows.
      const plan = await runBin(
        ['run', `api-${template}`, '--dir', 'rb', '--dry-run', '--format', 'json'],
        {
          cwd: dir.path,
        },
      );
      expect(plan.code).toBe(0);
      const planned = new Map(
        (JSON.parse(plan.stdout) as { steps: Array<{ id: string; command: string }> }).steps.map(
          (step) => [step.id, step.command],
        ),
      );
      for (const scenario of file.scenarios)
        for (const [step, command] of Object.entries(scenario.expect.commands ?? {}))
          expect(command).toBe(planned.get(step));
    },
  );

  it('writes exactly these files for the http template, with the schema line relative to them', async () => {
    const result = await runBin(['new', 'api-down', '--from-template', 'http', '--dir', 'rb'], {
      cwd: dir.path,
    });
    expect(result.code).toBe(0);
    const schema = relative(join(dir.path, 'rb'), join(ROOT, 'schema'));
    expect(readFileSync(join(dir.path, 'rb/api-down.yaml'), 'utf8')).toBe(
      `# yaml-language-server: $schema=${schema}/runbook.schema.json
id: api-down
title: Api down
severity: P3
tags: [http]
summary: >
  The service does not answer 200 on its health endpoint. Ask it to restart, then check that it
  answers again.
vars:
  base_url:
    description: Where the service listens
    env: SERVICE_URL
    default: http://127.0.0.1:8080
detection:
  symptoms:
    - The health endpoint does not answer 200
  checks:
    - id: health
      name: Health endpoint answers 200
      uses: http.get
      with: { url: "\${{ vars.base_url }}/health", timeout: 5s }
      expect: { status: 200, latency_ms: { warn: 500, crit: 2000 } }
resolution:
  - id: restart
    name: Ask the service to restart itself
    when: steps.health.outputs.status != 200
    uses: http.post
    with: { url: "\${{ vars.base_url }}/admin/restart", timeout: 10s }
    confirm: true
verification:
  - id: healthy-again
    name: Health endpoint answers 200 again
    uses: http.get
    with: { url: "\${{ vars.base_url }}/health", timeout: 5s }
    expect: { status: 200 }
    retry: { attempts: 5, delay: 2s }
`,
    );
    expect(readFileSync(join(dir.path, 'rb/api-down.test.yaml'), 'utf8')).toBe(
      `# yaml-language-server: $schema=${schema}/scenario.schema.json
runbook: api-down
scenarios:
  - name: the service is healthy, nothing is restarted
    steps:
      health: { outputs: { status: 200, latency_ms: 12 } }
      healthy-again: { outputs: { status: 200, latency_ms: 12 } }
    expect:
      ran: [health, healthy-again]
      skipped: [restart]
      findings: []
      status: succeeded
      exit_code: 0
      rollback: false
  - name: the service answers 503 and a restart brings it back
    steps:
      health: { outputs: { status: 503, latency_ms: 12 } }
      restart: { outputs: { status: 202, latency_ms: 30 } }
      healthy-again:
        - { outputs: { status: 503, latency_ms: 12 } }
        - { outputs: { status: 200, latency_ms: 12 } }
    answers:
      restart: yes
    expect:
      ran: [health, restart, healthy-again]
      skipped: []
      commands:
        restart: POST http://127.0.0.1:8080/admin/restart
      findings: [health]
      status: succeeded
      exit_code: 0
      rollback: false
`,
    );
  });

  it('without --dir writes into the first runbook directory, shell template by default', async () => {
    const result = await runBin(['new', 'disk-full'], {
      cwd: dir.path,
      env: { RUNBOOK_DIR: 'mine' },
    });
    expect(result).toMatchObject({
      code: 0,
      stdout:
        'wrote mine/disk-full.yaml\nwrote mine/disk-full.test.yaml\nnext: runbook validate --strict mine/disk-full.yaml && runbook test mine/disk-full.yaml\n',
    });
    expect(readFileSync(join(dir.path, 'mine/disk-full.yaml'), 'utf8')).toContain(
      '\nid: disk-full\ntitle: Disk full\nseverity: P3\ntags: [disk]\n',
    );
  });

  it('refuses to overwrite without --force (exit 2, nothing written), and overwrites with it', async () => {
    const file = join(dir.path, 'api-down.yaml');
    writeFileSync(file, 'mine\n');
    const refused = await runBin(['new', 'api-down', '--dir', '.'], { cwd: dir.path });
    expect(refused).toMatchObject({
      code: 2,
      stdout: '',
      stderr:
        'runbook: api-down.yaml already exists; nothing was written\nhint: pass --force to overwrite, or choose another id\n',
    });
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    expect(() => readFileSync(join(dir.path, 'api-down.test.yaml'))).toThrow(/ENOENT/);
    const forced = await runBin(['new', 'api-down', '--dir', '.', '--force'], { cwd: dir.path });
    expect(forced.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^# yaml-language-server: .*\nid: api-down\n/);
  });

  it.each([
    ['Api-Down', 'invalid runbook id "Api-Down"'],
    ['-x', 'invalid runbook id "-x"'],
    ['../escape', 'invalid runbook id "../escape"'],
    ['a"b\nc', 'invalid runbook id "a\\"b\\nc"'],
  ])('refuses the id %j (exit 2)', async (id, message) => {
    const result = await runBin(['new', '--dir', '.', '--', id], { cwd: dir.path });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `runbook: ${message}: an id is kebab-case (lowercase letters, digits and hyphens, starting with a letter or digit)\nhint: for example: runbook new api-down\n`,
    );
  });

  it('refuses a flag as the directory, and a directory it cannot make (exit 2)', async () => {
    expect(await runBin(['new', 'x', '--dir', '--help'], { cwd: dir.path })).toMatchObject({
      code: 2,
      stdout: '',
      stderr:
        'error: --dir needs a value, and got the option --help\nhint: put its value right after --dir\n',
    });
    expect(await runBin(['new', 'x', '--dir', '-x'], { cwd: dir.path })).toMatchObject({
      code: 2,
      stdout: '',
      stderr:
        'runbook: --dir needs a directory (got "-x")\nhint: write ./-name for a directory whose name starts with -\n',
    });
    expect(
      await runBin(['new', 'x', '--dir', '/proc/runbook-new'], { cwd: dir.path }),
    ).toMatchObject({
      code: 2,
      stdout: '',
      stderr:
        "runbook: cannot write in /proc/runbook-new: ENOENT: no such file or directory, mkdir '/proc/runbook-new'\n",
    });
  });

  it('refuses an unknown template (exit 2)', async () => {
    const result = await runBin(['new', 'x', '--from-template', 'k8s'], { cwd: dir.path });
    expect(result).toMatchObject({
      code: 2,
      stderr:
        'error: --from-template must be one of shell, http, psql, pm2, docker, wrangler (got "k8s")\n',
    });
  });
});
