import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BIN, ROOT, runBin, tempDir } from '../helpers/cli.js';
import { checkJunit } from '../helpers/junit.js';

// The examples in examples/ci run here as a team would use them: the script copied to ci/ of a
// real git repository (with a bare repository as its origin), the built CLI on PATH as `runbook`,
// and the commands of the GitHub workflow and the GitLab job taken from their YAML.
const EXAMPLES = join(ROOT, 'examples/ci');
let dir: { path: string; remove: () => void };
let repo: string;
let env: Record<string, string>;
let hasTest: boolean;

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, env, encoding: 'utf8' }).trim();
}

function sh(command: string, extra: Record<string, string> = {}): { code: number; out: string } {
  const result = spawnSync('bash', ['-c', command], {
    cwd: repo,
    env: { ...env, ...extra },
    encoding: 'utf8',
  });
  return { code: result.status ?? -1, out: result.stdout + result.stderr };
}

async function newRunbook(id: string, dirName: string, template = 'http'): Promise<void> {
  const made = await runBin(['new', id, '--from-template', template, '--dir', dirName], {
    cwd: repo,
  });
  expect(made.code).toBe(0);
}

beforeAll(async () => {
  dir = tempDir('runbook-ci-');
  const bin = join(dir.path, 'bin');
  mkdirSync(bin);
  symlinkSync(BIN, join(bin, 'runbook'));
  env = {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    HOME: dir.path,
    GIT_AUTHOR_NAME: 'On Call',
    GIT_AUTHOR_EMAIL: 'oncall@example.com',
    GIT_COMMITTER_NAME: 'On Call',
    GIT_COMMITTER_EMAIL: 'oncall@example.com',
    GIT_CONFIG_NOSYSTEM: '1',
  };
  hasTest = (await runBin(['test', '--help'])).stdout.startsWith('Usage: runbook test');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', join(dir.path, 'origin.git')], {
    env,
  });
  repo = join(dir.path, 'work');
  execFileSync('git', ['clone', '-q', join(dir.path, 'origin.git'), repo], { env });
  git('checkout', '-q', '-b', 'main');
  mkdirSync(join(repo, 'ci'));
  copyFileSync(join(EXAMPLES, 'changed-runbooks.sh'), join(repo, 'ci/changed-runbooks.sh'));
  await newRunbook('api-down', 'runbooks/api');
  await newRunbook('disk-full', 'runbooks/api', 'shell');
  await newRunbook('worker-stuck', 'runbooks/workers', 'pm2');
  writeFileSync(join(repo, 'README.md'), 'runbooks\n');
  git('add', '-A');
  git('commit', '-qm', 'runbooks');
  git('push', '-q', 'origin', 'main');
  // The change under review: a scenario file of one runbook, a new runbook, and a file that is
  // not a runbook.
  git('checkout', '-q', '-b', 'change');
  const scenarios = join(repo, 'runbooks/api/api-down.test.yaml');
  writeFileSync(
    scenarios,
    readFileSync(scenarios, 'utf8').replace('latency_ms: 30', 'latency_ms: 31'),
  );
  await newRunbook('cache-miss', 'runbooks/workers');
  writeFileSync(join(repo, 'README.md'), 'runbooks, changed\n');
  git('add', '-A');
  git('commit', '-qm', 'change');
});
afterAll(() => dir.remove());

/** The shell lines of the workflow's step that checks runbooks, and its env. */
function githubStep(): { run: string; env: Record<string, string> } {
  const workflow = parse(readFileSync(join(EXAMPLES, 'github-actions.yml'), 'utf8')) as {
    jobs: {
      runbooks: { steps: Array<{ name?: string; run?: string; env?: Record<string, string> }> };
    };
  };
  const step = workflow.jobs.runbooks.steps.find((s) => s.name === 'Check the changed runbooks');
  if (!step?.run || !step.env)
    throw new Error('the workflow has no "Check the changed runbooks" step');
  return { run: step.run, env: step.env };
}

function gitlabScript(): string[] {
  const job = (
    parse(readFileSync(join(EXAMPLES, 'gitlab-ci.yml'), 'utf8')) as {
      runbooks: { script: string[] };
    }
  ).runbooks;
  return job.script;
}

const testLine = (): string =>
  hasTest ? `== runbook test` : `== runbook test: not in this version of runbook, skipped`;

describe('examples/ci: checks only the runbooks a change touches', () => {
  it('the GitHub workflow step: validate, test and dry-run of the two changed runbooks, JUnit reports', async () => {
    const step = githubStep();
    // GitHub fills BASE from the event; here, the commit the branch started from.
    const { code, out } = sh(step.run, { ...step.env, BASE: git('rev-parse', 'main') });
    const headers = out.split('\n').filter((line) => /^(changed runbooks|==)/.test(line));
    expect(headers).toEqual([
      'changed runbooks: runbooks/api/api-down.yaml runbooks/workers/cache-miss.yaml',
      '== runbook validate --strict',
      testLine(),
      '== runbook run api-down --dry-run',
      '== runbook run cache-miss --dry-run',
    ]);
    expect(out).toContain('✓ 2 runbooks valid\n');
    expect(code).toBe(0);
    const reports = readdirSync(join(repo, step.env.RUNBOOK_JUNIT_DIR ?? '')).sort();
    expect(reports).toEqual(
      hasTest
        ? ['dry-run-api-down.xml', 'dry-run-cache-miss.xml', 'test.xml', 'validate.xml']
        : ['dry-run-api-down.xml', 'dry-run-cache-miss.xml', 'validate.xml'],
    );
    const validate = await checkJunit(readFileSync(join(repo, 'reports/validate.xml'), 'utf8'));
    expect(validate.suites.flatMap((s) => s.cases.map((c) => [c.name, c.failure]))).toEqual([
      ['runbooks/api/api-down.yaml', undefined],
      ['runbooks/workers/cache-miss.yaml', undefined],
    ]);
    const plan = await checkJunit(
      readFileSync(join(repo, 'reports/dry-run-cache-miss.xml'), 'utf8'),
    );
    expect(plan.suites.map((s) => [s.name, s.cases.map((c) => c.name)])).toEqual([
      ['cache-miss', ['health', 'restart', 'healthy-again']],
    ]);
  });

  it('the GitLab job: an invalid changed runbook fails the job with exit 2 before anything is planned', () => {
    const file = join(repo, 'runbooks/workers/cache-miss.yaml');
    const before = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      before.replace('    confirm: true\n', '    confirm: true\n    timout: 5s\n'),
    );
    git('commit', '-qam', 'a mistake');
    try {
      const script = gitlabScript();
      expect(script).toHaveLength(2);
      const { code, out } = sh(script.join('\n'), {
        CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
        RUNBOOK_JUNIT_DIR: 'gl',
      });
      expect(code).toBe(2);
      expect(out).toContain('runbooks/workers/cache-miss.yaml:30:5: error: unknown key "timout"');
      expect(out).toContain('✗ 1 error in 1 of 2 files\n');
      expect(out).not.toContain('== runbook run');
      expect(readdirSync(join(repo, 'gl'))).toEqual(['validate.xml']);
    } finally {
      writeFileSync(file, before);
      git('commit', '-qam', 'fixed');
    }
  });

  it('the pre-commit hook refuses a commit of an invalid runbook, and lets a valid one through', () => {
    copyFileSync(join(EXAMPLES, 'pre-commit'), join(repo, '.git/hooks/pre-commit'));
    const file = join(repo, 'runbooks/workers/worker-stuck.yaml');
    const before = readFileSync(file, 'utf8');
    const head = git('rev-parse', 'HEAD');
    writeFileSync(file, before.replace('id: worker-stuck', 'id: worker_stuck'));
    git('add', file);
    const refused = sh('git commit -qm "breaks it"');
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('changed runbooks: runbooks/workers/worker-stuck.yaml\n');
    expect(refused.out).toContain(
      'runbooks/workers/worker-stuck.yaml:2:5: error: id: must be kebab-case',
    );
    expect(git('rev-parse', 'HEAD')).toBe(head);
    // The pre-commit framework's entry runs the same check.
    const config = parse(readFileSync(join(EXAMPLES, 'pre-commit-config.yaml'), 'utf8')) as {
      repos: Array<{ hooks: Array<{ entry: string; files: string }> }>;
    };
    const hook = config.repos[0]?.hooks[0];
    expect(new RegExp(hook?.files ?? '^$').test('runbooks/workers/worker-stuck.yaml')).toBe(true);
    expect(sh(hook?.entry ?? 'false').code).toBe(2);

    // A change its scenarios catch (the app it restarts) is refused by runbook test.
    writeFileSync(file, before.replace('default: my-app', 'default: worker'));
    git('add', file);
    const caught = sh('git commit -qm "another app"');
    expect(caught.code).toBe(1);
    expect(caught.out).toContain('== runbook test\n');
    expect(caught.out).toContain(
      'commands.restart: expected "pm2 restart my-app", got "pm2 restart worker"',
    );
    expect(git('rev-parse', 'HEAD')).toBe(head);

    // A change its scenarios still pass (a new title): validated, tested and dry-run, then committed.
    const retitled = before.replace(/^title: .*$/m, 'title: Worker stuck (reviewed)');
    expect(retitled).not.toBe(before);
    writeFileSync(file, retitled);
    git('add', file);
    const accepted = sh('git commit -qm "a clearer title"');
    expect(accepted.out).toContain('== runbook test\n');
    expect(accepted.out).toContain('== runbook run worker-stuck --dry-run');
    expect(accepted.code).toBe(0);
    expect(git('rev-parse', 'HEAD')).not.toBe(head);
  });

  it('nothing changed: nothing checked', () => {
    expect(sh('bash ci/changed-runbooks.sh HEAD')).toEqual({
      code: 0,
      out: 'no changed runbooks\n',
    });
    expect(sh('bash ci/changed-runbooks.sh')).toEqual({
      code: 2,
      out: 'usage: changed-runbooks.sh BASE | --staged\n',
    });
  });
});
