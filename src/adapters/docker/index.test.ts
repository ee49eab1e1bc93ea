import { describe, expect, it } from 'vitest';
import { docker } from './index.js';
import { recordingContext } from '../../../test/helpers/recorded-exec.js';

function describeAction(name: keyof typeof docker.actions, input: unknown): string {
  const action = docker.actions[name];
  return action.describe(action.input.parse(input));
}

describe('docker commands', () => {
  it('builds the exact command lines', () => {
    expect(describeAction('ps', {})).toBe("docker ps --no-trunc --format '{{json .}}'");
    expect(
      describeAction('ps', {
        all: true,
        filter: { name: '^worker$', label: ['app=fondation', 'tier'], status: 'exited' },
      }),
    ).toBe(
      "docker ps --all --filter 'name=^worker$' --filter label=app=fondation --filter label=tier --filter status=exited --no-trunc --format '{{json .}}'",
    );
    expect(describeAction('inspect', { container: 'worker' })).toBe(
      'docker inspect --type container worker',
    );
    expect(describeAction('logs', { container: 'worker' })).toBe(
      'docker logs --timestamps --tail 1000 worker',
    );
    expect(
      describeAction('logs', { container: 'worker', tail: 'all', since: '10m', until: '1m' }),
    ).toBe('docker logs --timestamps --tail all --since 10m --until 1m worker');
    expect(describeAction('stats', {})).toBe("docker stats --no-stream --format '{{json .}}'");
    expect(describeAction('stats', { container: 'worker', all: true })).toBe(
      "docker stats --no-stream --all --format '{{json .}}' worker",
    );
    expect(describeAction('restart', { container: 'worker', timeout: '1m' })).toBe(
      'docker restart -t 60 worker',
    );
    expect(describeAction('restart', { container: 'worker', timeout: '1500ms' })).toBe(
      'docker restart -t 2 worker',
    );
    expect(describeAction('stop', { container: 'worker', timeout: 5 })).toBe(
      'docker stop -t 5 worker',
    );
    expect(describeAction('start', { container: 'worker' })).toBe('docker start worker');
    expect(describeAction('system_df', {})).toBe("docker system df --format '{{json .}}'");
    expect(describeAction('system_prune', {})).toBe('docker system prune --force');
    expect(describeAction('system_prune', { all: true, volumes: true })).toBe(
      'docker system prune --force --all --volumes',
    );
    expect(describeAction('system_prune', { until: '24h' })).toBe(
      'docker system prune --force --filter until=24h',
    );
  });

  it('names the engine in the command when the step picks one', () => {
    expect(describeAction('ps', { host: 'ssh://ops@worker-1' })).toBe(
      "DOCKER_HOST=ssh://ops@worker-1 docker ps --no-trunc --format '{{json .}}'",
    );
  });

  it('passes exec environment values through the environment, never argv', async () => {
    const input = docker.actions.exec.input.parse({
      container: 'worker',
      command: ['sh', '-c', 'echo "$TOKEN"'],
      user: 'app',
      workdir: '/srv',
      env: { TOKEN: 's3cr3t' },
      host: 'unix:///tmp/d.sock',
    });
    expect(docker.actions.exec.describe(input)).toBe(
      `DOCKER_HOST=unix:///tmp/d.sock docker exec --user app --workdir /srv --env TOKEN worker sh -c 'echo "$TOKEN"'`,
    );
    const { ctx, recorder } = recordingContext({ stdout: 's3cr3t\n' });
    await docker.actions.exec.run(input, ctx);
    expect(recorder.calls()).toEqual([
      {
        file: 'docker',
        args: [
          'exec',
          '--user',
          'app',
          '--workdir',
          '/srv',
          '--env',
          'TOKEN',
          'worker',
          'sh',
          '-c',
          'echo "$TOKEN"',
        ],
        env: { TOKEN: 's3cr3t', DOCKER_HOST: 'unix:///tmp/d.sock' },
      },
    ]);
  });

  it('rejects inputs docker would misread', () => {
    const problem = (name: keyof typeof docker.actions, input: unknown) =>
      docker.actions[name].input.safeParse(input).error?.issues[0]?.message;
    expect(problem('restart', { container: '--privileged' })).toBe(
      'a container name or id cannot start with "-"',
    );
    expect(problem('restart', { container: 'web', timeout: 'soon' })).toBe(
      'expected seconds, or a duration such as 10s or 1m',
    );
    expect(problem('system_prune', { volumes: true, until: '24h' })).toBe(
      'docker cannot prune volumes with an until filter: drop one of them',
    );
    expect(problem('exec', { container: 'web', command: ['env'], env: { DOCKER_HOST: 'x' } })).toBe(
      'DOCKER_HOST: DOCKER_* variables configure the docker client itself',
    );
    expect(problem('exec', { container: 'web', command: ['env'], env: { 'A-B': '1' } })).toBe(
      'A-B is not a variable name',
    );
    expect(problem('exec', { container: 'web', command: [] })).toMatch(/>=1 items/);
    expect(problem('logs', { container: 'web', match: '(' })).toBe(
      'not a valid regular expression',
    );
    expect(problem('ps', { filter: { status: 'sleeping' } })).toMatch(/expected one of/);
  });

  it('declares what each action may do', () => {
    const effects = Object.fromEntries(
      Object.entries(docker.actions).map(([name, action]) => [name, action.effect]),
    );
    expect(effects).toEqual({
      ps: 'read',
      inspect: 'read',
      logs: 'read',
      stats: 'read',
      restart: 'write',
      stop: 'write',
      start: 'write',
      exec: 'write',
      system_df: 'read',
      system_prune: 'destructive',
    });
  });
});
