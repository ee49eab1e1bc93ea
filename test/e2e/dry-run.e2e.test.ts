import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runBin, runCli, tempDir } from '../helpers/cli.js';
import { makeRecorders } from '../helpers/recorders.js';

const EVERYTHING = `
id: everything
title: Every kind of step
severity: P1
vars:
  base_url: { default: "http://127.0.0.1:9" }
  token: { env: API_TOKEN, secret: true }
detection:
  checks:
    - id: health
      uses: http.get
      with: { url: "\${{ vars.base_url }}/health", headers: { authorization: "Bearer \${{ vars.token }}" } }
      expect: { status: 200 }
diagnosis:
  - id: processes
    run: ps aux | grep api
    effect: read
  - id: argv-form
    run: [pm2, jlist]
resolution:
  - id: restart
    when: steps.health.status == "failed"
    run: >-
      pm2 restart api && curl -fsS -H "Authorization: Bearer \${{ vars.token }}" \${{ vars.base_url }}/warm
    effect: destructive
  - id: tell-humans
    manual: "Post in #incidents that the API was restarted." 
  - id: announce
    uses: http.post
    with: { url: "\${{ vars.base_url }}/events", body: { text: restarted } }
verification:
  - id: healthy
    uses: http.get
    with: { url: "\${{ vars.base_url }}/health" }
    expect: { status: 200 }
    retry: { attempts: 3, delay: 1s }
rollback:
  - id: rollback
    run: docker restart api-previous
`;

describe('run --dry-run', () => {
  const dir = tempDir();
  const { bin, calls } = makeRecorders(dir.path);
  const env = () => ({
    PATH: bin,
    RUNBOOK_STATE_DIR: join(dir.path, 'state'),
    API_TOKEN: 's3cr3t-t0ken-value',
  });

  beforeAll(() => {
    mkdirSync(join(dir.path, 'runbooks/all'), { recursive: true });
    writeFileSync(join(dir.path, 'runbooks/all/everything.yaml'), EVERYTHING);
  });
  afterAll(() => dir.remove());

  it('prints every step’s exact command and calls nothing', async () => {
    const result = await runBin(['run', 'everything', '--dry-run', '--non-interactive'], {
      cwd: dir.path,
      env: env(),
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(calls()).toBe('');
    const out = result.stdout;
    for (const command of [
      "$ GET http://127.0.0.1:9/health -H 'authorization: Bearer ***'",
      '$ ps aux | grep api',
      '$ pm2 jlist',
      '$ pm2 restart api && curl -fsS -H "Authorization: Bearer ***" http://127.0.0.1:9/warm',
      '$ POST http://127.0.0.1:9/events --data {"text":"restarted"}',
      '$ docker restart api-previous',
    ]) {
      expect(out).toContain(command);
    }
    expect(out).toContain('Post in #incidents that the API was restarted.');
    expect(out).toContain('Rollback (runs only if resolution or verification fails)');
    expect(out).not.toContain('s3cr3t-t0ken-value');
  });

  it('gives the plan as JSON: every step planned, with its command and effect', async () => {
    const result = await runBin(['run', 'everything', '--dry-run', '--format', 'json'], {
      cwd: dir.path,
      env: env(),
    });
    expect(result.code).toBe(0);
    expect(calls()).toBe('');
    const doc = JSON.parse(result.stdout) as {
      status: string;
      steps: Array<{ id: string; status: string; effect: string; command: string | null }>;
    };
    expect(doc.status).toBe('succeeded');
    expect(doc.steps.map((s) => [s.id, s.status, s.effect])).toEqual([
      ['health', 'planned', 'read'],
      ['processes', 'planned', 'read'],
      ['argv-form', 'planned', 'write'],
      ['restart', 'skipped', 'destructive'],
      ['tell-humans', 'planned', 'manual'],
      ['announce', 'planned', 'write'],
      ['healthy', 'planned', 'read'],
      ['rollback', 'planned', 'write'],
    ]);
    expect(doc.steps.every((s) => s.effect === 'manual' || typeof s.command === 'string')).toBe(
      true,
    );
    expect(result.stdout).not.toContain('s3cr3t-t0ken-value');
  });

  it('plans every shipped runbook without calling anything', async () => {
    // In-process (the subprocess path is covered above): 40-odd runbooks stay quick.
    const dir = join(ROOT, 'runbooks');
    const listed = await runCli(['list', '--json', '--dir', dir], { env: env() });
    const ids = (JSON.parse(listed.stdout) as Array<{ id: string }>).map((r) => r.id);
    expect(ids.length).toBeGreaterThan(40);
    for (const id of ids) {
      // Whatever each runbook requires, a plan can take a placeholder for it.
      const shown = JSON.parse(
        (await runCli(['show', id, '--json', '--dir', dir], { env: env() })).stdout,
      ) as {
        vars?: Record<string, unknown>;
      };
      const varFlags = Object.entries(shown.vars ?? {}).flatMap(([name, definition]) => {
        const def =
          definition !== null && typeof definition === 'object'
            ? (definition as { required?: boolean; default?: unknown; choices?: unknown[] })
            : {};
        if (!def.required || def.default !== undefined) return [];
        return ['--var', `${name}=${String(def.choices?.[0] ?? 'placeholder')}`];
      });
      const run = await runCli(
        ['run', id, '--dry-run', '--non-interactive', '--dir', dir, ...varFlags],
        { env: env() },
      );
      expect(run.code, `${id}: ${run.stderr}`).toBe(0);
    }
    expect(calls()).toBe('');
  }, 120_000);
});
