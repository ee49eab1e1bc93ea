import { rmSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  json,
  parseJournal,
  ROOT,
  runBin,
  runCli,
  startServer,
  tempDir,
  type TestServer,
} from '../../helpers/cli.js';

/** The example third-party adapter (examples/adapters/vercel), loaded the way a user would load
 * it — by package name from runbook.config.yaml — and run against a local fake Vercel API. */
const TOKEN = 'vercel-t0ken-abcdef123456';

const RUNBOOK = `
id: vercel-bad-deploy
title: Roll back a bad Vercel deployment
vars:
  api: { required: true }
  token: { env: VERCEL_TOKEN, secret: true }
detection:
  checks:
    - id: latest
      uses: vercel.ls
      with: { project: agent-factory, api_url: "\${{ vars.api }}", limit: 5 }
      expect: { latest.state: READY }
diagnosis:
  - id: inspect
    uses: vercel.inspect
    with: { deployment: "\${{ steps.latest.outputs.latest.id }}", api_url: "\${{ vars.api }}" }
    capture: { why: outputs.error_message }
resolution:
  - id: rollback
    when: steps.latest.outputs.latest.state == "ERROR"
    uses: vercel.rollback
    with: { project: agent-factory, deployment: "\${{ steps.latest.outputs.previous_ready.id }}", api_url: "\${{ vars.api }}" }
verification:
  - id: production
    uses: vercel.ls
    with: { project: agent-factory, api_url: "\${{ vars.api }}", target: production }
    expect: "outputs.deployments.exists(d, d.id == 'dpl_good2')"
`;

describe('a third-party adapter (examples/adapters/vercel)', () => {
  let api: TestServer;
  const dir = tempDir();
  let production = 'dpl_bad3';

  beforeAll(async () => {
    api = await startServer((request, response) => {
      if (request.headers.authorization !== `Bearer ${TOKEN}`)
        return json(response, 403, { error: { message: 'Not authorized' } });
      const url = new URL(request.url ?? '/', 'http://x');
      if (url.pathname === '/v6/deployments') {
        const all = [
          {
            uid: 'dpl_bad3',
            name: 'agent-factory',
            url: 'af-bad3.vercel.app',
            created: 3000,
            state: 'ERROR',
            target: 'production',
            creator: { username: 'dev' },
          },
          {
            uid: 'dpl_good2',
            name: 'agent-factory',
            url: 'af-good2.vercel.app',
            created: 2000,
            state: 'READY',
            target: 'production',
          },
          {
            uid: 'dpl_good1',
            name: 'agent-factory',
            url: 'af-good1.vercel.app',
            created: 1000,
            state: 'READY',
            target: 'production',
          },
        ];
        const deployments =
          url.searchParams.get('target') === 'production'
            ? all.filter((d) => d.uid === production)
            : all;
        return json(response, 200, { deployments });
      }
      if (url.pathname === '/v13/deployments/dpl_bad3') {
        return json(response, 200, {
          id: 'dpl_bad3',
          url: 'af-bad3.vercel.app',
          readyState: 'ERROR',
          createdAt: 3000,
          errorMessage: 'Build failed: missing env SUPABASE_URL',
        });
      }
      const rollback = /^\/v9\/projects\/agent-factory\/rollback\/(\w+)$/.exec(url.pathname);
      if (rollback && request.method === 'POST') {
        production = rollback[1] ?? production;
        return json(response, 201, {});
      }
      json(response, 404, { error: { message: 'not found' } });
    });
    // Installed as a package next to the config, the way users add adapters.
    mkdirSync(join(dir.path, 'node_modules'), { recursive: true });
    symlinkSync(
      join(ROOT, 'examples/adapters/vercel'),
      join(dir.path, 'node_modules/runbook-adapter-vercel'),
    );
    writeFileSync(
      join(dir.path, 'runbook.config.yaml'),
      'dirs: [runbooks]\nadapters: [runbook-adapter-vercel]\n',
    );
    mkdirSync(join(dir.path, 'runbooks/agent-factory'), { recursive: true });
    writeFileSync(join(dir.path, 'runbooks/agent-factory/vercel-bad-deploy.yaml'), RUNBOOK);
  });
  afterAll(async () => {
    await api.close();
    dir.remove();
  });

  it('joins validation, the JSON Schema and `runbook adapters`', async () => {
    expect((await runCli(['validate'], { cwd: dir.path })).code).toBe(0);
    const schema = await runCli(['schema'], { cwd: dir.path });
    expect(schema.stdout).toContain('"const": "vercel.rollback"');
    const adapters = JSON.parse(
      (await runCli(['adapters', '--json'], { cwd: dir.path })).stdout,
    ) as Array<{
      name: string;
      actions: Array<{ name: string; effect: string; summary: string; outputs: object | null }>;
    }>;
    const actions = adapters.find((a) => a.name === 'vercel')?.actions ?? [];
    expect(actions.map(({ name, effect, summary }) => ({ name, effect, summary }))).toEqual([
      {
        name: 'vercel.ls',
        effect: 'read',
        summary:
          'List recent deployments of a project, newest first: deployments, latest, previous_ready',
      },
      {
        name: 'vercel.inspect',
        effect: 'read',
        summary: 'One deployment by id or URL: state, target, url, aliases',
      },
      {
        name: 'vercel.rollback',
        effect: 'destructive',
        summary: 'Roll production back to an earlier deployment (instant rollback)',
      },
    ]);
    // The outputs it declares are listed, and validation holds expressions to them.
    expect(actions.map((action) => Object.keys(action.outputs ?? {}))).toEqual([
      ['status', 'latency_ms', 'deployments', 'count', 'latest', 'previous_ready'],
      [
        'status',
        'latency_ms',
        'id',
        'url',
        'name',
        'state',
        'target',
        'created_at',
        'creator',
        'commit',
        'aliases',
        'error_message',
      ],
      ['status', 'latency_ms', 'deployment'],
    ]);
    writeFileSync(
      join(dir.path, 'runbooks/agent-factory/misread.yaml'),
      'id: misread\ntitle: t\ndiagnosis:\n  - id: a\n    uses: vercel.ls\n    with: { project: x }\n    capture: { last: outputs.previous_redy }\n',
    );
    const misread = await runCli(['validate'], { cwd: dir.path });
    expect(misread.code).toBe(2);
    expect(misread.stdout).toContain(
      'misread.yaml:7:22: error: step "a" (vercel.ls) has no output "previous_redy" in `outputs.previous_redy`',
    );
    expect(misread.stdout).toContain('did you mean "previous_ready"?');
    rmSync(join(dir.path, 'runbooks/agent-factory/misread.yaml'));
    writeFileSync(
      join(dir.path, 'runbooks/agent-factory/typo.yaml'),
      'id: typo\ntitle: t\ndiagnosis:\n  - id: a\n    uses: vercel.ls\n    with: { projct: x }\n',
    );
    const invalid = await runCli(['validate'], { cwd: dir.path });
    expect(invalid.code).toBe(2);
    expect(invalid.stdout).toContain('typo.yaml:6:13: error: unknown key "projct"');
    expect(invalid.stdout).toContain('did you mean "project"?');
  });

  it('runs detection → diagnosis → a guarded rollback → verification, token never shown', async () => {
    production = 'dpl_bad3';
    const state = join(dir.path, 'state');
    const result = await runBin(
      [
        'run',
        'vercel-bad-deploy',
        '--var',
        `api=${api.url}`,
        '--approve',
        'rollback',
        '--format',
        'json',
      ],
      {
        cwd: dir.path,
        env: { VERCEL_TOKEN: TOKEN, RUNBOOK_STATE_DIR: state },
      },
    );
    expect(result.stderr).toBe('');
    const doc = JSON.parse(result.stdout) as {
      status: string;
      run_id: string;
      steps: Array<{
        id: string;
        status: string;
        outputs: Record<string, unknown>;
        command: string;
      }>;
    };
    expect(doc.steps.map((s) => [s.id, s.status])).toEqual([
      ['latest', 'failed'],
      ['inspect', 'succeeded'],
      ['rollback', 'succeeded'],
      ['production', 'succeeded'],
    ]);
    expect(doc.status).toBe('succeeded');
    expect(result.code).toBe(0);
    expect(doc.steps[1]?.outputs.why).toBe('Build failed: missing env SUPABASE_URL');
    expect(doc.steps[2]?.command).toBe(
      `POST ${api.url}/v9/projects/agent-factory/rollback/dpl_good2`,
    );
    expect(api.requests.filter((r) => r.method === 'POST').map((r) => r.url)).toEqual([
      '/v9/projects/agent-factory/rollback/dpl_good2',
    ]);
    const journal = readFileSync(join(state, 'runs', `${doc.run_id}.jsonl`), 'utf8');
    expect(
      parseJournal(journal).map((e) =>
        [
          e.type,
          String(e.type).startsWith('step.') ? (e.id ?? e.step) : e.section,
          e.status,
        ].filter((field) => field !== undefined),
      ),
    ).toEqual([
      ['run.start'],
      ['section.start', 'detection'],
      ['step.start', 'latest'],
      ['step.end', 'latest', 'failed'],
      ['section.end', 'detection', 'succeeded'],
      ['section.start', 'diagnosis'],
      ['step.start', 'inspect'],
      ['step.end', 'inspect', 'succeeded'],
      ['section.end', 'diagnosis', 'succeeded'],
      ['section.start', 'resolution'],
      ['step.confirm', 'rollback'],
      ['step.start', 'rollback'],
      ['step.end', 'rollback', 'succeeded'],
      ['section.end', 'resolution', 'succeeded'],
      ['section.start', 'verification'],
      ['step.start', 'production'],
      ['step.end', 'production', 'succeeded'],
      ['section.end', 'verification', 'succeeded'],
      ['run.end', 'succeeded'],
    ]);
    expect(journal + result.stdout).not.toContain(TOKEN);
  });

  it('refuses the destructive rollback without approval (exit 3), and reports a missing token', async () => {
    production = 'dpl_bad3';
    const declined = await runCli(['run', 'vercel-bad-deploy', '--var', `api=${api.url}`], {
      cwd: dir.path,
      env: { VERCEL_TOKEN: TOKEN, RUNBOOK_STATE_DIR: join(dir.path, 'state') },
    });
    expect(declined.code).toBe(3);
    expect(declined.stdout).toContain('pass --approve rollback');
    const noToken = await runCli(['doctor', 'vercel-bad-deploy', '--var', `api=${api.url}`], {
      cwd: dir.path,
    });
    expect(noToken.code).toBe(1);
    expect(noToken.stdout).toContain('VERCEL_TOKEN is not set');
    const ready = await runCli(['doctor', 'vercel-bad-deploy', '--var', `api=${api.url}`], {
      cwd: dir.path,
      env: { VERCEL_TOKEN: TOKEN },
    });
    expect(ready.stdout).toContain('✓ everything this runbook needs is here');
    expect(ready.code).toBe(0);
  });

  it('a broken adapter module is a configuration error, not a crash', async () => {
    const broken = tempDir();
    writeFileSync(
      join(broken.path, 'bad.mjs'),
      "export default { name: 'bad', actions: { go: { effect: 'sideways' } } };\n",
    );
    writeFileSync(join(broken.path, 'runbook.config.yaml'), 'adapters: [./bad.mjs]\n');
    const result = await runBin(['adapters'], { cwd: broken.path });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bad.mjs action bad.go needs a zod schema as input');
    // Outputs declared in a shape validation cannot use: refused, naming the output.
    writeFileSync(
      join(broken.path, 'odd.mjs'),
      "const input = { safeParse: () => ({ success: true, data: {} }) };\nexport default { name: 'odd', actions: { go: { input, effect: 'read', describe: () => 'go', run: async () => ({ ok: true, exitCode: 0, outputs: {} }), outputs: { rows: { type: 'table' } } } } };\n",
    );
    writeFileSync(join(broken.path, 'runbook.config.yaml'), 'adapters: [./odd.mjs]\n');
    const odd = await runBin(['adapters'], { cwd: broken.path });
    expect(odd.code).toBe(2);
    expect(odd.stderr).toContain(
      'odd.mjs action odd.go has an invalid output "rows": it should be { <name>: { type: string|int|double|bool|list|map|dyn, description, nullable? } }',
    );
    writeFileSync(
      join(broken.path, 'runbook.config.yaml'),
      'adapters: [no-such-adapter-package]\n',
    );
    const missing = await runBin(['adapters'], { cwd: broken.path });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot find adapter package "no-such-adapter-package"');
    broken.remove();
  });
});
