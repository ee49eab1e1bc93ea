import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, tempDir } from '../helpers/cli.js';
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
    const header = /^ {2}run (\S+) · journal (\S+)$/m.exec(result.stdout);
    const [, runId = '', journal = ''] = header ?? [];
    expect(journal).toBe(join(dir.path, 'state/runs', `${runId}.jsonl`));
    expect(
      result.stdout
        .replaceAll(journal, '<journal>')
        .replaceAll(runId, '<run-id>')
        .replace(/ in \d+ms — /, ' in …ms — '),
    ).toBe(
      [
        '▶ Every kind of step  everything  P1 [dry-run]',
        '  run <run-id> · journal <journal>',
        '',
        'Detection',
        '  ○ health',
        "      $ GET http://127.0.0.1:9/health -H 'authorization: Bearer ***'",
        '',
        'Diagnosis',
        '  ○ processes',
        '      $ ps aux | grep api',
        '  ○ argv-form',
        '      $ pm2 jlist',
        '',
        'Resolution',
        '  − restart [destructive]',
        '      $ pm2 restart api && curl -fsS -H "Authorization: Bearer ***" http://127.0.0.1:9/warm',
        '      when: steps.health.status == "failed" is false',
        '  ○ tell-humans [manual]',
        '      Post in #incidents that the API was restarted.',
        '  ○ announce',
        '      $ POST http://127.0.0.1:9/events --data {"text":"restarted"}',
        '',
        'Verification',
        '  ○ healthy',
        '      $ GET http://127.0.0.1:9/health',
        '',
        'Rollback (runs only if resolution or verification fails)',
        '  ○ rollback',
        '      $ docker restart api-previous',
        '',
        '✔ Planned in …ms — 7 planned, 1 skipped',
        '  journal: <journal>',
        '',
      ].join('\n'),
    );
    expect(result.stdout).not.toContain('s3cr3t-t0ken-value');
  });

  it('gives the plan as JSON: every step planned, with its command and effect', async () => {
    const result = await runBin(['run', 'everything', '--dry-run', '--format', 'json'], {
      cwd: dir.path,
      env: env(),
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(calls()).toBe('');
    const doc = JSON.parse(result.stdout) as {
      status: string;
      steps: Array<{
        id: string;
        status: string;
        effect: string;
        command: string | null;
        outputs: Record<string, unknown>;
        reason?: string;
      }>;
    };
    expect(doc.status).toBe('succeeded');
    expect(doc.steps.map((s) => [s.id, s.status, s.effect, s.command])).toEqual([
      ['health', 'planned', 'read', "GET http://127.0.0.1:9/health -H 'authorization: Bearer ***'"],
      ['processes', 'planned', 'read', 'ps aux | grep api'],
      ['argv-form', 'planned', 'write', 'pm2 jlist'],
      [
        'restart',
        'skipped',
        'destructive',
        'pm2 restart api && curl -fsS -H "Authorization: Bearer ***" http://127.0.0.1:9/warm',
      ],
      ['tell-humans', 'planned', 'manual', null],
      [
        'announce',
        'planned',
        'write',
        'POST http://127.0.0.1:9/events --data {"text":"restarted"}',
      ],
      ['healthy', 'planned', 'read', 'GET http://127.0.0.1:9/health'],
      ['rollback', 'planned', 'write', 'docker restart api-previous'],
    ]);
    expect(doc.steps.map((s) => [s.id, s.outputs, s.reason])).toEqual([
      ['health', {}, undefined],
      ['processes', {}, undefined],
      ['argv-form', {}, undefined],
      ['restart', {}, 'when: steps.health.status == "failed" is false'],
      ['tell-humans', { instruction: 'Post in #incidents that the API was restarted.' }, undefined],
      ['announce', {}, undefined],
      ['healthy', {}, undefined],
      ['rollback', {}, undefined],
    ]);
    expect(result.stdout).not.toContain('s3cr3t-t0ken-value');
  });
});
