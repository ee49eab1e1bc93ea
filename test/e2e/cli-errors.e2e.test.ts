import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runBin, runCli } from '../helpers/cli.js';
import packageJson from '../../package.json' with { type: 'json' };

const INVALID = join(ROOT, 'test/fixtures/invalid');
const STACK = /\n\s+at .+:\d+:\d+/;

describe('bad input: one clear message, a documented exit code, never a stack trace', () => {
  it('reports all three mistakes of a runbook at file:line:col and exits 2', async () => {
    const result = await runBin(['validate', 'test/fixtures/invalid/three-mistakes.yaml']);
    expect(result.code).toBe(2);
    const positions = result.stdout
      .split('\n')
      .filter((line) => /^test\/fixtures\/invalid\/three-mistakes\.yaml:\d+:\d+: error/.test(line));
    expect(positions).toMatchInlineSnapshot(`
      [
        "test/fixtures/invalid/three-mistakes.yaml:1:5: error: id: must be kebab-case: lowercase letters, digits and hyphens",
        "test/fixtures/invalid/three-mistakes.yaml:6:5: error: unknown key "timout"",
        "test/fixtures/invalid/three-mistakes.yaml:9:50: error: diagnosis[1].with.timeout: expected a duration such as 500ms, 5s or 1m",
      ]
    `);
    expect(result.stdout).toContain('hint: did you mean "timeout"?');
    expect(result.stdout).toContain('✗ 3 errors in 1 of 1 file');
  });

  it.each([
    ['malformed.yaml', 'YAML syntax:'],
    ['alias-bomb.yaml', 'refusing a possible alias bomb'],
    ['binary.yaml', 'not a text file'],
    ['empty.yaml', 'file is empty'],
  ])('%s exits 2 with "%s"', async (file, message) => {
    const result = await runBin(['validate', join(INVALID, file)]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(message);
    expect(result.stdout + result.stderr).not.toMatch(STACK);
  });

  it.each([
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['tset', '--help'], "unknown command 'tset'\n(Did you mean test?)"],
    [['list', '--dir', '--help'], 'error: --dir needs a value, and got the option --help'],
    [
      ['run', 'demo-api-down', '--from', '--dry-run'],
      'error: --from needs a value, and got the option --dry-run\nhint: put its value right after --from',
    ],
    [['run'], "missing required argument 'id'"],
    [['run', 'demo-api-down', '--bogus'], "unknown option '--bogus'"],
    [['run', 'no-such-runbook'], 'no runbook with id "no-such-runbook"'],
    [['run', 'demo-api-down', '--var', 'state_dir'], '--var expects name=value'],
    [['run', 'demo-api-down', '--var', 'state_dri=/tmp'], 'did you mean --var state_dir='],
    [['run', 'demo-api-down'], 'needs a value for: state_dir'],
    [
      ['run', 'demo-api-down', '--var', 'state_dir=/tmp', '--env', 'prod'],
      'unknown environment "prod"',
    ],
    [
      ['run', 'demo-api-down', '--var', 'state_dir=/tmp', '--only', 'fixing'],
      '--only: unknown section "fixing"',
    ],
    [
      ['run', 'demo-api-down', '--var', 'state_dir=/tmp', '--from', 'nope'],
      '--from nope: runbook demo-api-down has no such step',
    ],
    [['run', 'demo-api-down', '--dry-run', '--read-only'], 'cannot be combined'],
    [['validate', '--format', 'xml'], '--format must be one of text, json, junit'],
    [['validate', 'no/such/path'], 'no/such/path: no such file or directory'],
    [['list', '--dir', 'test/fixtures/invalid'], 'is not a valid runbook and is not listed'],
  ])('runbook %j → exit 2, with "%s"', async (args, message) => {
    const result = await runBin(args, { env: { RUNBOOK_STATE_DIR: '/tmp/runbook-test-state' } });
    expect(result.stdout + result.stderr).toContain(message);
    expect(result.stdout + result.stderr).not.toMatch(STACK);
    expect(result.code).toBe(2);
  });

  it('refuses to run an invalid runbook: exit 2 with its problems at file:line:col', async () => {
    const result = await runCli(['run', 'three-mistakes', '--dir', INVALID]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('three-mistakes.yaml:6:5: error: unknown key "timout"');
    expect(result.stderr).toContain('fix it, then check with: runbook validate');
  });

  it('--version and --help exit 0', async () => {
    const version = await runBin(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(
      `runbook ${packageJson.version} (Node.js ${process.version}, ${process.platform}-${process.arch})\n`,
    );
    const json = await runBin(['--version', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      runbook: packageJson.version,
      node: process.version,
      platform: process.platform,
      arch: process.arch,
    });
    const help = await runCli(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--dry-run');
  });
});
