import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

const INVALID = join(ROOT, 'test/fixtures/invalid');
const ENGINE = join(ROOT, 'test/fixtures/engine');
const ESC = String.fromCharCode(27);

describe('list, show and validate', () => {
  it('list --json prints { id, title, severity, service, tags, file, documentation_only } for every runbook', async () => {
    const result = await runCli(['list', '--json']);
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(rows).toContainEqual({
      id: 'demo-api-down',
      title: 'Demo API returns 503',
      severity: 'P2',
      service: 'demo-api',
      tags: ['demo', 'http'],
      file: 'runbooks/demo/demo-api-down.yaml',
      documentation_only: false,
    });
  });

  it('list filters by severity, tag and service, and prints a table', async () => {
    const p1 = JSON.parse((await runCli(['list', '--json', '--severity', 'P1'])).stdout) as Array<{
      id: string;
      severity: string;
    }>;
    expect(p1.map((r) => [r.id, r.severity])).toEqual([
      ['agent-factory-api-rate-limiting', 'P1/P2'],
      ['agent-factory-database-pool-exhausted', 'P0/P1'],
      ['agent-factory-deployment-failure', 'P0/P1'],
      ['agent-factory-incident-response', 'P0/P1/P2/P3'],
      ['cloud-code-container-failures', 'P1'],
      ['cloud-code-github-webhooks-failing', 'P1'],
      ['cloud-code-high-error-rate', 'P1'],
      ['cloud-code-rollback', 'P0/P1/P2'],
      ['cloud-code-security-incident', 'P0/P1'],
      ['cookcam-api-down', 'P0/P1'],
      ['cookcam-db-connections', 'P1'],
      ['cookcam-memory-leak', 'P1/P2'],
      ['cookcam-mitigation', 'P0/P1/P2'],
      ['cookcam-stripe-webhooks', 'P1'],
      ['fondation-complete-system-failure', 'P1'],
      ['fondation-convex-connection-lost', 'P1'],
      ['fondation-data-corruption', 'P1'],
      ['fondation-disk-full', 'P1'],
      ['fondation-failover-secondary', 'P1'],
      ['fondation-jobs-stuck-running', 'P1'],
      ['fondation-rollback-deployment', 'P1/P2'],
      ['fondation-security-breach', 'P1'],
      ['fondation-worker-not-processing', 'P1'],
      ['pitchey-database-issues', 'P1/P2'],
      ['pitchey-platform-outage', 'P1'],
      ['pitchey-security-incident', 'P1/P2'],
    ]);
    expect(JSON.parse((await runCli(['list', '--json', '--severity', 'P9'])).stdout)).toEqual([]);
    const demo = JSON.parse((await runCli(['list', '--json', '--tag', 'demo'])).stdout) as Array<{
      id: string;
    }>;
    expect(demo.map((r) => r.id)).toEqual(['demo-api-down']);
    expect(JSON.parse((await runCli(['list', '--json', '--service', 'nope'])).stdout)).toEqual([]);
    const table = await runCli(['list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+SEVERITY\s+SERVICE\s+TITLE$/);
    expect(table.stdout).toMatch(/demo-api-down\s+P2\s+demo-api\s+Demo API returns 503/);
  });

  it('show prints the sections, steps and effects; --json the parsed runbook', async () => {
    const text = await runCli(['show', 'demo-api-down']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Demo API returns 503');
    expect(text.stdout).toMatch(/remove-stale-lock destructive/);
    expect(text.stdout).toContain('[ ] Why did the deploy crash without removing its lock?');
    const json = JSON.parse((await runCli(['show', 'demo-api-down', '--json'])).stdout) as {
      id: string;
      file: string;
      resolution: unknown[];
    };
    expect(json.id).toBe('demo-api-down');
    expect(json.file).toBe('runbooks/demo/demo-api-down.yaml');
    expect(json.resolution).toHaveLength(2);
  });

  it('show puts a variable on one line: its choices, then its folded description', async () => {
    const text = await runCli(['show', 'cloud-code-high-error-rate']);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    const variables = lines.slice(lines.indexOf('Variables') + 1, lines.indexOf('Symptoms') - 1);
    expect(variables.map((line) => line.split('  ').filter(Boolean)[0]?.trim())).toEqual([
      'worker',
      'worker_url',
      'scope',
      'tail_duration',
    ]);
    expect(variables[2]).toBe(
      '  scope                one of route, widespread, rate-limit, api, deployment  What diagnosis found: route (one route fails), widespread, rate-limit (rate limit errors), api (Anthropic or GitHub API errors) or deployment (the last deployment brought the errors)',
    );
  });

  it('--format json is --json where only --json was, and the two must agree', async () => {
    for (const args of [['list'], ['show', 'demo-api-down'], ['adapters']]) {
      const json = await runCli([...args, '--json']);
      const format = await runCli([...args, '--format', 'json']);
      expect(format.code).toBe(0);
      expect(JSON.parse(format.stdout)).toEqual(JSON.parse(json.stdout));
    }
    const text = await runCli(['list', '--format', 'text']);
    expect(text.stdout).toBe((await runCli(['list'])).stdout);
    const both = await runCli(['list', '--json', '--format', 'text']);
    expect([both.code, both.stdout, both.stderr]).toEqual([
      2,
      '',
      'error: --json and --format text ask for two formats\n',
    ]);
    const bad = await runCli(['history', '--format', 'yaml']);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      'error: --format must be one of text, json (got "yaml")\n',
    ]);
  });

  it('validate --format json lists every error with its position', async () => {
    const result = await runCli(['validate', INVALID, '--format', 'json']);
    expect(result.code).toBe(2);
    const doc = JSON.parse(result.stdout) as {
      valid: boolean;
      error_count: number;
      files: Array<{
        file: string;
        valid: boolean;
        errors: Array<{ line: number; col: number; message: string }>;
      }>;
    };
    expect(doc.valid).toBe(false);
    expect(doc.files.map((f) => [f.file, f.errors.length])).toEqual([
      ['test/fixtures/invalid/alias-bomb.yaml', 1],
      ['test/fixtures/invalid/binary.yaml', 1],
      ['test/fixtures/invalid/empty.yaml', 1],
      ['test/fixtures/invalid/malformed.yaml', 1],
      ['test/fixtures/invalid/three-mistakes.yaml', 3],
    ]);
    expect(doc.error_count).toBe(7);
    expect(doc.files[4]?.errors.map((e) => `${e.line}:${e.col}`)).toEqual(['1:5', '6:5', '9:50']);
  });

  it('validate --format junit gives a test case per file and a failure per invalid file', async () => {
    const result = await runCli(['validate', INVALID, ENGINE, '--format', 'junit']);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="runbook validate" tests="8" failures="5">/,
    );
    expect(result.stdout).toContain(
      '<testcase classname="runbook.validate" name="test/fixtures/engine/control.yaml"/>',
    );
    expect(result.stdout).toContain(
      'three-mistakes.yaml:6:5: unknown key &quot;timout&quot; (did you mean &quot;timeout&quot;?)',
    );
  });

  it('validate runbooks exits 0; --strict fails an unguarded destructive step', async () => {
    expect((await runCli(['validate', 'runbooks', '--strict'])).code).toBe(0);
    const file = join(ROOT, 'test/fixtures/strict/unguarded.yaml');
    expect((await runCli(['validate', file])).code).toBe(0);
    const strict = await runCli(['validate', file, '--strict']);
    expect(strict.code).toBe(2);
    expect(strict.stdout).toContain(
      'unguarded.yaml:4:9: error: destructive step "prune" has no guard',
    );
    expect(strict.stdout).toContain('hint: add a when: condition or confirm: true');
  });

  it('colours only when asked: FORCE_COLOR turns colour on, NO_COLOR wins over it', async () => {
    const plain = await runCli(['validate', join(INVALID, 'three-mistakes.yaml')]);
    expect(plain.stdout).not.toContain(ESC);
    const forced = await runCli(['validate', join(INVALID, 'three-mistakes.yaml')], {
      env: { FORCE_COLOR: '1' },
    });
    expect(forced.stdout).toContain(`${ESC}[`);
    const none = await runCli(['validate', join(INVALID, 'three-mistakes.yaml')], {
      env: { FORCE_COLOR: '1', NO_COLOR: '1' },
    });
    expect(none.stdout).not.toContain(ESC);
  });
});
