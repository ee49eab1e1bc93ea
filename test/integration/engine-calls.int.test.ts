import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processes } from '../../src/cli/processes.js';
import { createRegistry } from '../../src/adapters/registry.js';
import { runRedactor } from '../../src/engine/redact.js';
import { runRunbook } from '../../src/engine/run.js';
import { resolveVars } from '../../src/engine/vars.js';
import type { EngineEvent } from '../../src/engine/events.js';
import type { EngineOptions } from '../../src/engine/options.js';
import type { Prompter } from '../../src/engine/ports.js';
import { loadExpressions } from '../../src/schema/expressions.js';
import { parseRunbook } from '../../src/schema/load.js';
import { loadConfig } from '../../src/schema/config.js';
import type { Runbook } from '../../src/schema/runbook.js';
import { tempDir } from '../helpers/cli.js';

/** Sub-runbooks (docs/format.md#sub-runbooks) in the engine, in-process, with real processes: the
 * called steps' events in the run's stream, their confirmations, their failure and rollbacks. */

const dir = tempDir();
afterAll(() => dir.remove());

async function parse(name: string, yaml: string): Promise<Runbook> {
  const registry = createRegistry();
  const loaded = parseRunbook(`${name}.yaml`, Buffer.from(yaml), {
    adapters: await registry.load(),
    expressions: await loadExpressions({ patterns: false, comprehensions: false }),
    config: await loadConfig(dir.path, {}),
  });
  if (!loaded.runbook)
    throw new Error(loaded.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n'));
  return loaded.runbook;
}

/** The called runbook: writes a file per step it runs into `out`. */
const DRAIN = `id: drain-node
title: Drain a node
vars:
  node: { required: true }
  out: { required: true }
  token: { secret: true, default: "" }
resolution:
  - id: cordon
    run: echo "cordon \${{ vars.node }}" > \${{ vars.out }}/cordon
  - id: evict
    run: echo "evict \${{ vars.node }}"; test "\${{ vars.node }}" != bad-node
    effect: destructive
  - id: token-seen
    run: printf '%s' "$TOKEN"
    env: { TOKEN: "\${{ vars.token }}" }
verification:
  - id: empty
    run: echo 0
rollback:
  - id: uncordon
    run: touch \${{ vars.out }}/uncordon
`;

function caller(node: string, extra = ''): string {
  return `id: restart-app
title: Restart the app
vars:
  out: { required: true }
  api_key: { secret: true, default: "" }
resolution:
  - id: drain
    call: drain-node#resolution
    with:
      node: ${node}
      out: \${{ vars.out }}
${extra}  - id: restart
    run: touch \${{ vars.out }}/restart
verification:
  - id: check
    run: echo fine
rollback:
  - id: caller-undo
    run: touch \${{ vars.out }}/caller-undo
`;
}

async function run(
  callerYaml: string,
  options: { prompter?: Prompter; approve?: string[]; apiKey?: string } = {},
) {
  const top = await parse('restart-app', callerYaml);
  const drain = await parse('drain-node', DRAIN);
  const out = tempDir();
  const vars = resolveVars(top, {
    cliVars: { out: out.path, ...(options.apiKey ? { api_key: options.apiKey } : {}) },
    envName: undefined,
    processEnv: {},
  });
  const events: EngineEvent[] = [];
  const engine: EngineOptions = {
    runbook: top,
    file: 'restart-app.yaml',
    calls: new Map([['drain-node', { file: 'drain-node.yaml', runbook: drain }]]),
    registry: createRegistry(),
    runId: 'test-calls',
    vars,
    redactor: runRedactor(vars, {}),
    hosts: {},
    env: { PATH: process.env.PATH },
    cwd: out.path,
    signal: new AbortController().signal,
    plan: { mode: 'execute' },
    approvals: {
      steps: new Set(options.approve ?? []),
      all: false,
      allCoversDestructive: true,
    },
    ports: {
      processes,
      ...(options.prompter ? { prompter: options.prompter } : {}),
      events: { show: (event) => events.push(event) },
    },
  };
  const result = await runRunbook(engine);
  return { result, events, out };
}

/** The events as short lines: type, step and what matters of each. */
function lines(events: readonly EngineEvent[]): string[] {
  return events.flatMap((e) => {
    switch (e.type) {
      case 'section.start':
      case 'section.end':
        return [`${e.type} ${e.section}`];
      case 'step.start':
        return [`${e.type} ${e.step}`];
      case 'step.end':
        return [`${e.type} ${e.id} ${e.status}`];
      case 'step.confirm':
        return [`${e.type} ${e.step} ${e.approved}`];
      case 'call.start':
        return [`${e.type} ${e.step} ${e.runbook.id}#${e.section ?? ''}`];
      case 'call.end':
        return [`${e.type} ${e.step} ${e.status}${e.rolled_back ? ' rolled back' : ''}`];
      default:
        return [];
    }
  });
}

describe('a called runbook runs inside the run', () => {
  it('emits its steps under <call>/<step> between call.start and call.end, in order', async () => {
    const { result, events, out } = await run(caller('node-7'), { approve: ['drain/evict'] });
    const all = lines(events);
    const resolution = all.slice(
      all.indexOf('section.start resolution'),
      all.indexOf('section.end resolution') + 1,
    );
    expect(resolution).toEqual([
      'section.start resolution',
      'step.start drain',
      'call.start drain drain-node#resolution',
      'step.start drain/cordon',
      'step.end drain/cordon succeeded',
      'step.confirm drain/evict true',
      'step.start drain/evict',
      'step.end drain/evict succeeded',
      'step.start drain/token-seen',
      'step.end drain/token-seen succeeded',
      'call.end drain succeeded',
      'step.end drain succeeded',
      'step.start restart',
      'step.end restart succeeded',
      'section.end resolution',
    ]);
    expect(readFileSync(join(out.path, 'cordon'), 'utf8')).toBe('cordon node-7\n');
    expect(result.status).toBe('succeeded');
    const drain = result.steps.find((s) => s.id === 'drain');
    // The call's effect is the highest of its steps'; its outputs those of its last step.
    expect(drain).toMatchObject({
      status: 'succeeded',
      effect: 'destructive',
      call: 'drain-node#resolution',
    });
    expect(drain?.outputs).toEqual({ stdout: '', stderr: '', exit_code: 0 });
    const start = events.find((e) => e.type === 'call.start');
    expect(start?.type === 'call.start' && start.vars).toEqual({
      node: 'node-7',
      out: out.path,
      token: '',
    });
    out.remove();
  });

  it('asks the person to confirm a destructive called step by its id in the run', async () => {
    const asked: string[] = [];
    const { result, out } = await run(caller('node-7'), {
      prompter: {
        confirm: (request) => {
          asked.push(`${request.step} ${request.effect} ${request.command ?? ''}`);
          return Promise.resolve(false);
        },
        acknowledge: () => Promise.resolve({ by: 'test' }),
      },
    });
    expect(asked).toEqual([
      'drain/evict destructive echo "evict node-7"; test "node-7" != bad-node',
    ]);
    expect(result.status).toBe('declined');
    expect(result.steps.map((s) => [s.id, s.status, s.declined ?? false])).toEqual([
      ['drain/cordon', 'succeeded', false],
      ['drain/evict', 'skipped', true],
      ['drain', 'skipped', true],
    ]);
    expect(existsSync(join(out.path, 'restart'))).toBe(false);
    out.remove();
  });

  it('without a person or an approval, the destructive called step stops the run as it would in the caller', async () => {
    const { result, out } = await run(caller('node-7'));
    expect(result.status).toBe('declined');
    expect(result.asked).toEqual({
      kind: 'needs-approval',
      step: 'drain/evict',
      all_would_do: true,
      severity: undefined,
    });
    out.remove();
  });

  it('a failed called step runs the called rollback, then the caller fails and runs its own', async () => {
    const { result, events, out } = await run(caller('bad-node'), { approve: ['drain/evict'] });
    expect(result.status).toBe('failed');
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ['drain/cordon', 'succeeded'],
      ['drain/evict', 'failed'],
      ['drain/uncordon', 'succeeded'],
      ['drain', 'failed'],
      ['caller-undo', 'succeeded'],
    ]);
    expect(lines(events)).toContain('call.end drain failed rolled back');
    expect(result.reason).toBe('step drain failed: step drain/evict failed: exited with code 1');
    expect(existsSync(join(out.path, 'uncordon'))).toBe(true);
    expect(existsSync(join(out.path, 'caller-undo'))).toBe(true);
    expect(existsSync(join(out.path, 'restart'))).toBe(false);
    out.remove();
  });

  it('passes a caller secret only when with: names it, and redacts it in the called steps', async () => {
    const secret = 'hunter2-call-secret';
    const plain = await run(caller('node-7'), { approve: ['drain/evict'], apiKey: secret });
    expect(plain.result.steps.find((s) => s.id === 'drain/token-seen')?.outputs.stdout).toBe('');
    plain.out.remove();
    const named = await run(
      caller('node-7').replace(
        '      node: node-7\n',
        `      node: node-7\n      token: \${{ vars.api_key }}\n`,
      ),
      {
        approve: ['drain/evict'],
        apiKey: secret,
      },
    );
    const seen = named.result.steps.find((s) => s.id === 'drain/token-seen');
    expect(seen?.status).toBe('succeeded');
    expect(seen?.outputs.stdout).toBe('***');
    expect(JSON.stringify(named.events)).not.toContain(secret);
    named.out.remove();
  });

  it('a dry run plans the called steps with the values with: gives', async () => {
    const top = await parse('restart-app', caller('node-7'));
    const drain = await parse('drain-node', DRAIN);
    const vars = resolveVars(top, {
      cliVars: {},
      envName: undefined,
      processEnv: {},
      placeholders: true,
    });
    const result = await runRunbook({
      runbook: top,
      file: 'restart-app.yaml',
      calls: new Map([['drain-node', { file: 'drain-node.yaml', runbook: drain }]]),
      registry: createRegistry(),
      runId: 'test-plan',
      vars,
      redactor: runRedactor(vars, {}),
      hosts: {},
      env: {},
      cwd: dir.path,
      signal: new AbortController().signal,
      plan: { mode: 'dry-run' },
      ports: { processes },
    });
    expect(result.steps.slice(0, 4).map((s) => [s.id, s.status, s.command])).toEqual([
      ['drain/cordon', 'planned', `echo "cordon node-7" > '<out>'/cordon`],
      ['drain/evict', 'planned', 'echo "evict node-7"; test "node-7" != bad-node'],
      ['drain/token-seen', 'planned', `printf '%s' "$TOKEN"`],
      ['drain', 'planned', undefined],
    ]);
  });
});

describe('a call step in the file', () => {
  it('refuses what belongs on the called steps, and a section there is not', async () => {
    const registry = createRegistry();
    const loaded = parseRunbook(
      'bad.yaml',
      Buffer.from(`id: bad
title: Bad
detection:
  checks:
    - id: probe
      call: drain-node
resolution:
  - id: drain
    call: drain-node#resolutoin
    retry: { attempts: 2 }
  - id: both
    call: drain-node
    run: echo
`),
      {
        adapters: await registry.load(),
        expressions: await loadExpressions({ patterns: false, comprehensions: false }),
        config: await loadConfig(dir.path, {}),
      },
    );
    expect(
      loaded.diagnostics.map(
        (d) => `${d.line}:${d.col} ${d.message}${d.hint ? ` (${d.hint})` : ''}`,
      ),
    ).toEqual([
      '6:13 call: does not go in detection.checks (runbook check runs each detection check on its own: call from diagnosis: or later)',
      '9:11 call: unknown section "resolutoin" (did you mean "resolution"?)',
      "10:5 retry: does not go with call: (retry: belongs on the called runbook's steps)",
      '12:11 a step has exactly one action, but this one has run and call (split it into two steps)',
    ]);
  });
});
