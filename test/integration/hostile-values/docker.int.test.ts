import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/cli.js';
import { startDockerd, type Dockerd } from '../../helpers/dockerd.js';
import { hostileValues, injectedFiles, runWithValue, type RunStep } from '../../helpers/hostile.js';

/**
 * The hostile values through `--var` into the inputs of docker steps, against the real docker
 * CLI and a real dockerd: the command of docker exec and its environment get them as data, option
 * values (--since, --user, --workdir, --filter) as values, and a container name starting with "-"
 * is refused.
 */

const RUNBOOK = `id: hostile-docker
title: Hostile values into docker steps
vars:
  v: { required: true }
diagnosis:
  - id: exec-echo
    uses: docker.exec
    with: { container: svc, command: [echo, "\${{ vars.v }}"] }
    continue_on_error: true
  - id: exec-env
    uses: docker.exec
    with: { container: svc, command: [sh, -c, 'printf %s "$X"'], env: { X: "\${{ vars.v }}" } }
    continue_on_error: true
  - id: exec-user
    uses: docker.exec
    with: { container: svc, command: ["true"], user: "\${{ vars.v }}" }
    continue_on_error: true
  - id: exec-workdir
    uses: docker.exec
    with: { container: svc, command: ["true"], workdir: "\${{ vars.v }}" }
    continue_on_error: true
  - id: logs-since
    uses: docker.logs
    with: { container: svc, since: "\${{ vars.v }}" }
    continue_on_error: true
  - id: ps-name
    uses: docker.ps
    with: { all: true, filter: { name: "\${{ vars.v }}" } }
    continue_on_error: true
  - id: restart
    uses: docker.restart
    with: { container: "\${{ vars.v }}" }
    continue_on_error: true
`;

let engine: Dockerd;
const dir = tempDir('rb-hostile-docker-');
const MARK = join(dir.path, 'injected');
const lines: string[] = [];
let startedAt = '';

/** A step's status and what it said: its output, or why it failed and what docker printed. */
function describeStep(step: RunStep | undefined, value: string): string {
  const printed = [step?.outputs.stdout, step?.outputs.stderr]
    .map((text) => (typeof text === 'string' ? text.trim().split('\n')[0] : ''))
    .find(Boolean);
  const said =
    step?.status === 'succeeded'
      ? JSON.stringify(step.outputs.stdout ?? step.outputs.count)
      : `${step?.reason ?? ''}${printed ? ` | ${printed}` : ''}`;
  // docker picks the time layout it names by the value's length, which varies with the test's
  // temporary paths: only the layout's name is left out.
  const shown = said
    .replaceAll(JSON.stringify(value).slice(1, -1), '<value>')
    .replaceAll(value, '<value>')
    .replace(/ as "2006-01-02[^"]*"/g, ' as "<layout>"');
  return `${step?.status ?? 'missing'}: ${shown}`;
}

beforeAll(async () => {
  engine = await startDockerd();
  await engine.docker([
    'run',
    '--detach',
    '--name',
    'svc',
    '--network',
    'none',
    engine.image,
    'sleep',
    '1000',
  ]);
  startedAt = await engine.docker(['inspect', '--format', '{{.State.StartedAt}}', 'svc']);
  mkdirSync(join(dir.path, 'runbooks'));
  writeFileSync(join(dir.path, 'runbooks/hostile-docker.yaml'), RUNBOOK);
  const values = hostileValues(MARK).filter((value) => !value.includes('\0'));
  for (const [index, value] of values.entries()) {
    const steps = await runWithValue(join(dir.path, 'runbooks'), 'hostile-docker', value, {
      cwd: dir.path,
      env: { ...engine.env, RUNBOOK_STATE_DIR: join(dir.path, 'state') },
    });
    for (const id of steps.keys())
      lines.push(`${index + 1} ${id}: ${describeStep(steps.get(id), value)}`);
  }
}, 180_000);

afterAll(async () => {
  await engine?.stop();
  dir.remove();
});

describe('hostile values into docker steps, against a real dockerd', () => {
  it('are data for the command, values for options, and container names never options', () => {
    expect(lines).toMatchInlineSnapshot(`
      [
        "1 exec-echo: succeeded: "<value>"",
        "1 exec-env: succeeded: "<value>"",
        "1 exec-user: failed: exited with code 126 | unable to find user <value>: no matching entries in passwd file",
        "1 exec-workdir: failed: exited with code 126 | OCI runtime exec failed: exec failed: Cwd must be an absolute path: unknown",
        "1 logs-since: failed: exited with code 1: invalid value for "since": failed to parse value as time or duration: "<value>" | invalid value for "since": failed to parse value as time or duration: "<value>"",
        "1 ps-name: succeeded: 0",
        "1 restart: failed: exited with code 1: Error response from daemon: No such container: <value> | Error response from daemon: No such container: <value>",
        "2 exec-echo: succeeded: "<value>"",
        "2 exec-env: succeeded: "<value>"",
        "2 exec-user: failed: exited with code 126 | unable to find user <value>: no matching entries in passwd file",
        "2 exec-workdir: failed: exited with code 126 | OCI runtime exec failed: exec failed: Cwd must be an absolute path: unknown",
        "2 logs-since: failed: exited with code 1: invalid value for "since": parsing time "<value>" as "<layout>": cannot parse "<value>" as "2006" | invalid value for "since": parsing time "<value>" as "<layout>": cannot parse "<value>" as "2006"",
        "2 ps-name: succeeded: 0",
        "2 restart: failed: exited with code 1: Error response from daemon: No such container: <value> | Error response from daemon: No such container: <value>",
        "3 exec-echo: succeeded: "<value>"",
        "3 exec-env: succeeded: "<value>"",
        "3 exec-user: failed: exited with code 126 | unable to find user <value>: no matching entries in passwd file",
        "3 exec-workdir: failed: exited with code 126 | OCI runtime exec failed: exec failed: Cwd must be an absolute path: unknown",
        "3 logs-since: failed: exited with code 1: invalid value for "since": parsing time "<value>" as "<layout>": cannot parse "<value>" as "2006" | invalid value for "since": parsing time "<value>" as "<layout>": cannot parse "<value>" as "2006"",
        "3 ps-name: succeeded: 0",
        "3 restart: failed: exited with code 1: Error response from daemon: No such container: <value> | Error response from daemon: No such container: <value>",
        "4 exec-echo: succeeded: "<value>"",
        "4 exec-env: succeeded: "<value>"",
        "4 exec-user: failed: exited with code 126 | unable to find user <value>: no matching entries in passwd file",
        "4 exec-workdir: failed: exited with code 126 | OCI runtime exec failed: exec failed: Cwd must be an absolute path: unknown",
        "4 logs-since: failed: exited with code 1: invalid value for "since": parsing time "<value>" as "<layout>": cannot parse "<value>" as "2006" | invalid value for "since": parsing time "<value>" as "<layout>": cannot parse "<value>" as "2006"",
        "4 ps-name: succeeded: 0",
        "4 restart: failed: exited with code 1: Error response from daemon: No such container: <value> | Error response from daemon: No such container: <value>",
        "5 exec-echo: succeeded: "<value>"",
        "5 exec-env: succeeded: "<value>"",
        "5 exec-user: failed: exited with code 126 | unable to find user <value>: no matching entries in passwd file",
        "5 exec-workdir: failed: exited with code 126 | OCI runtime exec failed: exec failed: Cwd must be an absolute path: unknown",
        "5 logs-since: failed: exited with code 1: invalid value for "since": parsing time "<value>" as "<layout>": cannot parse "<value>" as "2006" | invalid value for "since": parsing time "<value>" as "<layout>": cannot parse "<value>" as "2006"",
        "5 ps-name: succeeded: 0",
        "5 restart: failed: docker.restart: with.container: a container name or id cannot start with "-" (after templating)",
        "6 exec-echo: succeeded: "<value>"",
        "6 exec-env: succeeded: "<value>"",
        "6 exec-user: failed: exited with code 126 | unable to find user <value>: no matching entries in passwd file",
        "6 exec-workdir: failed: exited with code 126 | OCI runtime exec failed: exec failed: Cwd must be an absolute path: unknown",
        "6 logs-since: failed: exited with code 1: invalid value for "since": parsing time "<value>" as "<layout>": cannot parse "<value>" as "2006" | invalid value for "since": parsing time "<value>" as "<layout>": cannot parse "<value>" as "2006"",
        "6 ps-name: succeeded: 0",
        "6 restart: failed: docker.restart: with.container: a container name or id cannot start with "-" (after templating)",
        "7 exec-echo: succeeded: "<value>"",
        "7 exec-env: succeeded: "<value>"",
        "7 exec-user: failed: exited with code 126 | unable to find user two",
        "7 exec-workdir: failed: exited with code 126 | OCI runtime exec failed: exec failed: Cwd must be an absolute path: unknown",
        "7 logs-since: failed: exited with code 1: invalid value for "since": failed to parse value as time or duration: "<value>" | invalid value for "since": failed to parse value as time or duration: "<value>"",
        "7 ps-name: succeeded: 0",
        "7 restart: failed: docker.restart: with.container: a container name or id cannot contain a line break or NUL character (after templating)",
      ]
    `);
  });

  it('left the container alone, and ran no command here', async () => {
    expect(
      await engine.docker(['inspect', '--format', '{{.State.StartedAt}} {{.RestartCount}}', 'svc']),
    ).toBe(`${startedAt.trim()} 0\n`);
    expect(injectedFiles(MARK)).toEqual([]);
  });
});
