import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../../helpers/cli.js';
import { hostileValues, injectedFiles, type RunStep } from '../../helpers/hostile.js';
import { startSshd, type Sshd } from '../../helpers/sshd.js';

/**
 * The hostile values through `--var` into steps that run on a host over a real sshd: in a shell
 * string, an argv, the environment and stdin, each arrives as the same text on the other side.
 * Every value goes through the same two steps (an ssh connection costs seconds here).
 */

const dir = tempDir('rb-hostile-ssh-');
const MARK = join(dir.path, 'injected');
const VALUES = hostileValues(MARK).filter((value) => !value.includes('\0'));
const NAMES = VALUES.map((_value, index) => `v${index + 1}`);
const value = (name: string) => `\${{ vars.${name} }}`;

/** Each value bare, double-quoted, single-quoted and from the environment, in one sh -c string. */
const RUN = NAMES.map(
  (name) => `${value(name)} "${value(name)}" '${value(name)}' "$${name.toUpperCase()}"`,
).join(' ');

const RUNBOOK = {
  id: 'hostile-ssh',
  title: 'Hostile values over ssh',
  vars: Object.fromEntries(NAMES.map((name) => [name, { required: true }])),
  diagnosis: [
    {
      id: 'run',
      on: 'local-test',
      env: Object.fromEntries(NAMES.map((name) => [name.toUpperCase(), value(name)])),
      run: `printf '[%s]' ${RUN}`,
    },
    {
      id: 'action',
      on: 'local-test',
      uses: 'shell.run',
      with: {
        command: ['sh', '-c', 'printf "[%s]" "$@" "$V"; cat', 'sh', ...NAMES.map(value)],
        env: { V: value('v1') },
        stdin: NAMES.map(value).join('|'),
      },
    },
  ],
};

let sshd: Sshd;
let steps: Map<string, RunStep>;

beforeAll(async () => {
  sshd = await startSshd(dir.path);
  writeFileSync(
    join(dir.path, 'runbook.config.yaml'),
    `hosts:\n  local-test: ${sshd.hostConfig}\n`,
  );
  mkdirSync(join(dir.path, 'runbooks'));
  writeFileSync(join(dir.path, 'runbooks/hostile-ssh.yaml'), stringify(RUNBOOK));
  const vars = NAMES.flatMap((name, index) => ['--var', `${name}=${VALUES[index] ?? ''}`]);
  const result = await runCli(
    ['run', 'hostile-ssh', '--dir', join(dir.path, 'runbooks'), ...vars, '--format', 'json'],
    { cwd: dir.path, env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') } },
  );
  const doc = JSON.parse(result.stdout || '{"steps":[]}') as { steps: RunStep[] };
  steps = new Map(doc.steps.map((step) => [step.id, step]));
}, 120_000);

afterAll(async () => {
  await sshd?.stop();
  dir.remove();
});

describe('hostile values in steps on a host over ssh', () => {
  it('arrive as they are, in a shell string and its environment', () => {
    expect(steps.get('run')).toMatchObject({
      status: 'succeeded',
      outputs: { stdout: VALUES.map((text) => `[${text}]`.repeat(4)).join('') },
    });
  });

  it('arrive as they are, in an argv, the environment and stdin', () => {
    expect(steps.get('action')).toMatchObject({
      status: 'succeeded',
      outputs: {
        stdout: `${[...VALUES, VALUES[0]].map((text) => `[${text}]`).join('')}${VALUES.join('|')}`,
      },
    });
  });

  it('ran no command on either side', () => {
    expect(injectedFiles(MARK)).toEqual([]);
  });
});
