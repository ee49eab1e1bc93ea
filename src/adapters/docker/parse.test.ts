import { describe, expect, it } from 'vitest';
import { parseInspect, parseLogs, parsePs, parseStats } from './parse.js';
import { parsePrune, parseSystemDf } from './parse-system.js';
import { parseSize } from './values.js';
import { judgeVersion } from './errors.js';

/** Output recorded from the docker CLI 28.2.2 (and 20.10.24, which has no Platform key) against
 * dockerd 20.10.24. */
const PS_LINES = [
  '{"Command":"\\"httpd -f -v -p 127.0.0.1:40117 -h /www\\"","CreatedAt":"2026-11-23 14:26:27 +0000 UTC","ID":"d6afb86d13ed476f776c1dcdc1666a5449c917d67fb0ab2e2f2a099b720daadd","Image":"bb:latest","Labels":"app=web,tier=front","LocalVolumes":"0","Mounts":"","Names":"web","Networks":"host","Platform":null,"Ports":"","RunningFor":"3 seconds ago","Size":"0B (virtual 1.98MB)","State":"running","Status":"Up 3 seconds"}',
  '{"Command":"\\"sh -c \'echo starting; echo boom >&2; exit 1\'\\"","CreatedAt":"2026-11-23 14:26:27 +0000 UTC","ID":"5a4a071d112402f09097d29cc822485869bb215851d1f346d35e995d8b56f31f","Image":"bb:latest","Labels":"","LocalVolumes":"0","Mounts":"","Names":"crashy","Networks":"none","Platform":null,"Ports":"","RunningFor":"3 seconds ago","Size":"0B (virtual 1.98MB)","State":"exited","Status":"Exited (1) 1 second ago"}',
  '{"Command":"\\"sleep 1000\\"","CreatedAt":"2026-11-23 14:27:19 +0000 UTC","ID":"2ee64b3c9ccf","Image":"bb:latest","Labels":"","LocalVolumes":"0","Mounts":"","Names":"hc","Networks":"none","Ports":"0.0.0.0:8080->80/tcp, :::8080->80/tcp","RunningFor":"27 seconds ago","Size":"0B (virtual 1.98MB)","State":"running","Status":"Up 26 seconds (unhealthy)"}',
].join('\n');

const STATS_LINES = [
  '{"BlockIO":"0B / 0B","CPUPerc":"1.80%","Container":"hc","ID":"2ee64b3c9ccf","MemPerc":"0.00%","MemUsage":"640KiB / 23.54GiB","Name":"hc","NetIO":"0B / 0B","PIDs":"1"}',
  '{"BlockIO":"12.3MB / 4.1kB","CPUPerc":"153.27%","Container":"d6afb86d13ed","ID":"d6afb86d13ed","MemPerc":"75.12%","MemUsage":"1.502GiB / 2GiB","Name":"web","NetIO":"1.2kB / 648B","PIDs":"12"}',
].join('\n');

const DF_LINES = [
  '{"Active":"1","Reclaimable":"0B (0%)","Size":"1.982MB","TotalCount":"1","Type":"Images"}',
  '{"Active":"2","Reclaimable":"102.4kB (100%)","Size":"102.4kB","TotalCount":"5","Type":"Containers"}',
  '{"Active":"0","Reclaimable":"0B","Size":"0B","TotalCount":"0","Type":"Local Volumes"}',
  '{"Active":"0","Reclaimable":"0B","Size":"0B","TotalCount":"0","Type":"Build Cache"}',
].join('\n');

const INSPECT = JSON.stringify([
  {
    Id: '5a4a071d112402f09097d29cc822485869bb215851d1f346d35e995d8b56f31f',
    Created: '2026-11-23T14:26:27.204775953Z',
    Path: 'sh',
    Args: ['-c', 'echo starting; echo boom >&2; exit 1'],
    State: {
      Status: 'exited',
      Running: false,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 0,
      ExitCode: 1,
      Error: '',
      StartedAt: '2026-11-23T14:26:28.841538658Z',
      FinishedAt: '2026-11-23T14:26:28.843003371Z',
      Health: {
        Status: 'unhealthy',
        FailingStreak: 2,
        Log: [
          {
            Start: '2026-11-23T14:27:20.36327265Z',
            End: '2026-11-23T14:27:20.419069488Z',
            ExitCode: 1,
            Output: '',
          },
          {
            Start: '2026-11-23T14:27:21.421241084Z',
            End: '2026-11-23T14:27:21.475421558Z',
            ExitCode: 1,
            Output: 'db unreachable\n',
          },
        ],
      },
    },
    Image: 'sha256:974931d155cbbfd0e9b590457a613ca13f68de9eabb57adc4c7e62d7e0c104fc',
    Name: '/crashy',
    RestartCount: 3,
    Driver: 'overlay2',
    HostConfig: {
      NetworkMode: 'none',
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
    },
    Mounts: [
      {
        Type: 'volume',
        Name: 'data',
        Source: '/var/lib/docker/volumes/data/_data',
        Destination: '/data',
        RW: true,
      },
    ],
    Config: {
      Hostname: '5a4a071d1124',
      User: '',
      Env: ['PATH=/usr/bin:/bin', 'DATABASE_PASSWORD=hunter2'],
      Cmd: ['sh', '-c', 'echo starting; echo boom >&2; exit 1'],
      Image: 'bb:latest',
      WorkingDir: '',
      Entrypoint: null,
      Labels: { app: 'worker' },
    },
  },
]);

const PRUNE_OUTPUT = `Deleted Containers:
0a0914a2800ab2314f416a5ef9ec992ebf531193109385f471838560fc811aa8
ddf7cee56013e26fc2022f4d9d227c7c24e21140a2ca20785a83cb6ef7d9c08f

Deleted Images:
untagged: old:1
deleted: sha256:974931d155cbbfd0e9b590457a613ca13f68de9eabb57adc4c7e62d7e0c104fc

Total reclaimed space: 102.4kB
`;

describe('docker output parsing', () => {
  it('reads docker ps JSON lines into containers, with counts, health and labels', () => {
    const outputs = parsePs(PS_LINES);
    expect(outputs.count).toBe(3);
    expect(outputs.running).toBe(2);
    expect(outputs.states).toEqual({ web: 'running', crashy: 'exited', hc: 'running' });
    const [web, crashy, hc] = outputs.containers as Array<Record<string, unknown>>;
    expect(web).toEqual({
      id: 'd6afb86d13ed',
      name: 'web',
      image: 'bb:latest',
      command: 'httpd -f -v -p 127.0.0.1:40117 -h /www',
      state: 'running',
      status: 'Up 3 seconds',
      health: null,
      ports: [],
      networks: ['host'],
      labels: { app: 'web', tier: 'front' },
      created_at: '2026-11-23T14:26:27.000Z',
      running_for: '3 seconds ago',
    });
    expect(crashy).toMatchObject({
      command: "sh -c 'echo starting; echo boom >&2; exit 1'",
      state: 'exited',
      status: 'Exited (1) 1 second ago',
      labels: {},
    });
    expect(hc).toMatchObject({
      health: 'unhealthy',
      ports: ['0.0.0.0:8080->80/tcp', ':::8080->80/tcp'],
    });
  });

  it('reads an empty docker ps as no containers', () => {
    expect(parsePs('')).toEqual({ containers: [], count: 0, running: 0, states: {} });
  });

  it('fails on a line that is not JSON instead of guessing', () => {
    expect(() => parsePs('CONTAINER ID   IMAGE')).toThrow(/line 1 is not JSON/);
  });

  it('reads docker stats with binary and decimal units, and lifts a single container', () => {
    const outputs = parseStats(STATS_LINES);
    const [hc, web] = outputs.containers as Array<Record<string, unknown>>;
    expect(hc).toEqual({
      id: '2ee64b3c9ccf',
      name: 'hc',
      cpu_percent: 1.8,
      mem_usage_bytes: 640 * 1024,
      mem_limit_bytes: Math.round(23.54 * 1024 ** 3),
      mem_percent: 0,
      net_rx_bytes: 0,
      net_tx_bytes: 0,
      block_read_bytes: 0,
      block_write_bytes: 0,
      pids: 1,
    });
    expect(web).toMatchObject({
      cpu_percent: 153.27,
      mem_usage_bytes: Math.round(1.502 * 1024 ** 3),
      mem_limit_bytes: 2 * 1024 ** 3,
      mem_percent: 75.12,
      net_rx_bytes: 1200,
      net_tx_bytes: 648,
      block_read_bytes: 12_300_000,
      block_write_bytes: 4100,
      pids: 12,
    });
    expect(outputs).not.toHaveProperty('mem_percent');
    const single = parseStats(STATS_LINES.split('\n')[1] ?? '', 'web');
    expect(single).toMatchObject({ count: 1, name: 'web', mem_percent: 75.12 });
  });

  it('parses sizes the way docker prints them', () => {
    expect(parseSize('0B')).toBe(0);
    expect(parseSize('320KiB')).toBe(327_680);
    expect(parseSize('1.982MB')).toBe(1_982_000);
    expect(parseSize('102.4kB')).toBe(102_400);
    expect(parseSize('2GiB')).toBe(2_147_483_648);
    expect(parseSize('--')).toBeNull();
    expect(parseSize('12 parsecs')).toBeNull();
  });

  it('reads docker system df per type and in total', () => {
    const outputs = parseSystemDf(DF_LINES);
    expect(outputs.images).toEqual({
      type: 'Images',
      total_count: 1,
      active: 1,
      size_bytes: 1_982_000,
      reclaimable_bytes: 0,
      reclaimable_percent: 0,
    });
    expect(outputs.containers).toMatchObject({
      total_count: 5,
      active: 2,
      reclaimable_bytes: 102_400,
      reclaimable_percent: 100,
    });
    expect(outputs.local_volumes).toMatchObject({ total_count: 0, reclaimable_percent: null });
    expect(outputs.build_cache).toMatchObject({ type: 'Build Cache' });
    expect(outputs.size_bytes).toBe(1_982_000 + 102_400);
    expect(outputs.reclaimable_bytes).toBe(102_400);
  });

  it('reads docker inspect state and configuration without the values of the environment', () => {
    const outputs = parseInspect(INSPECT);
    expect(outputs).toMatchObject({
      id: '5a4a071d1124',
      name: 'crashy',
      image: 'bb:latest',
      state: {
        status: 'exited',
        running: false,
        restarting: false,
        oom_killed: false,
        exit_code: 1,
        pid: 0,
        started_at: '2026-11-23T14:26:28.841538658Z',
        finished_at: '2026-11-23T14:26:28.843003371Z',
        restart_count: 3,
        health: {
          status: 'unhealthy',
          failing_streak: 2,
          last_exit_code: 1,
          last_output: 'db unreachable',
        },
      },
      restart_policy: { name: 'on-failure', maximum_retry_count: 3 },
      config: {
        cmd: ['sh', '-c', 'echo starting; echo boom >&2; exit 1'],
        entrypoint: [],
        env_names: ['PATH', 'DATABASE_PASSWORD'],
        labels: { app: 'worker' },
      },
      network_mode: 'none',
      mounts: [
        {
          type: 'volume',
          source: '/var/lib/docker/volumes/data/_data',
          destination: '/data',
          read_write: true,
        },
      ],
    });
    expect(JSON.stringify(outputs)).not.toContain('hunter2');
  });

  it('reports a container that never ran with null times and no health', () => {
    const created = JSON.stringify([
      {
        Id: 'abc',
        Name: '/fresh',
        State: { Status: 'created', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '' },
      },
    ]);
    const state = parseInspect(created).state as Record<string, unknown>;
    expect(state).toMatchObject({ status: 'created', started_at: null, finished_at: null });
    expect(state).not.toHaveProperty('health');
    expect(() => parseInspect('[]')).toThrow('docker inspect returned no container');
  });

  it('keeps stdout and stderr of docker logs apart, and orders lines by their timestamps', () => {
    const stdout =
      '2026-11-23T14:26:27.728451201Z out1\n2026-11-23T14:26:27.928457140Z job 7 done\n';
    const stderr = '2026-11-23T14:26:27.828263121Z ERROR convex connection lost\n';
    const outputs = parseLogs(stdout, stderr, 'ERROR|FATAL');
    expect(outputs.stdout).toBe('out1\njob 7 done');
    expect(outputs.stderr).toBe('ERROR convex connection lost');
    expect(outputs.lines).toEqual([
      { stream: 'stdout', time: '2026-11-23T14:26:27.728451201Z', text: 'out1' },
      {
        stream: 'stderr',
        time: '2026-11-23T14:26:27.828263121Z',
        text: 'ERROR convex connection lost',
      },
      { stream: 'stdout', time: '2026-11-23T14:26:27.928457140Z', text: 'job 7 done' },
    ]);
    expect(outputs.line_count).toBe(3);
    expect(outputs.match_count).toBe(1);
    expect(parseLogs('', '')).toEqual({ stdout: '', stderr: '', lines: [], line_count: 0 });
  });

  it('reads what docker system prune deleted and reclaimed', () => {
    expect(parsePrune(PRUNE_OUTPUT)).toEqual({
      deleted: {
        containers: [
          '0a0914a2800ab2314f416a5ef9ec992ebf531193109385f471838560fc811aa8',
          'ddf7cee56013e26fc2022f4d9d227c7c24e21140a2ca20785a83cb6ef7d9c08f',
        ],
        networks: [],
        volumes: [],
        images: [
          'untagged: old:1',
          'deleted: sha256:974931d155cbbfd0e9b590457a613ca13f68de9eabb57adc4c7e62d7e0c104fc',
        ],
        build_cache: [],
      },
      deleted_count: 4,
      reclaimed: '102.4kB',
      reclaimed_bytes: 102_400,
    });
    expect(parsePrune('Total reclaimed space: 0B\n')).toMatchObject({
      deleted_count: 0,
      reclaimed_bytes: 0,
    });
  });

  it('judges docker version: a client alone is not enough', () => {
    const found = { ok: true, binary: 'docker', path: '/usr/bin/docker' };
    expect(judgeVersion(found, 'client 28.2.2, engine 20.10.24+dfsg1 (API 1.41)')).toEqual({
      ok: true,
      binary: 'docker',
      path: '/usr/bin/docker',
      version: 'client 28.2.2, engine 20.10.24+dfsg1 (API 1.41)',
    });
    expect(
      judgeVersion(
        found,
        'client 28.2.2\nCannot connect to the Docker daemon at unix:///tmp/x.sock. Is the docker daemon running?',
      ),
    ).toMatchObject({
      ok: false,
      version: 'client 28.2.2',
      problem:
        'no Docker engine answers: Cannot connect to the Docker daemon at unix:///tmp/x.sock. Is the docker daemon running?',
    });
  });
});
