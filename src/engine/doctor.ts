import { connect } from 'node:net';
import type { AdapterRegistry } from '../adapters/registry.js';
import type { ProcessPort } from './ports.js';
import type { Config } from '../schema/config.js';
import { ExpressionError } from '../schema/expressions.js';
import { stepsOf, type Runbook } from '../schema/runbook.js';
import { ExpressionContext, loadExpressionsFor } from './context.js';
import { runRedactor } from './redact.js';
import { holdsPlaceholder } from './plan-values.js';
import { renderValue } from './render.js';
import type { ResolvedVars } from './vars.js';

export type CheckKind = 'binary' | 'variable' | 'host' | 'target';

/** One thing a runbook needs, and whether this machine has it. */
export interface Requirement {
  kind: CheckKind;
  name: string;
  ok: boolean;
  /** Where it was found, or what was checked. */
  detail: string;
  /** How to fix it, when it is missing. */
  fix?: string;
  /** The steps that need it. */
  steps: string[];
}

/**
 * Everything one runbook needs to run here: binaries of its adapters and of its `run:` commands,
 * its required variables, its `on:` hosts (configured, and their ssh port answering), and its HTTP
 * targets (answering at all). Runs no step and changes nothing.
 */
export async function diagnoseRunbook(input: {
  runbook: Runbook;
  registry: AdapterRegistry;
  config: Config;
  vars: ResolvedVars;
  /** Required variables without a value, with how to give each one. */
  missingVars: Array<{ name: string; how: string }>;
  env: Record<string, string | undefined>;
  /** Finds programs (the engine looks at processes only through its port). */
  findBinary: ProcessPort['findBinary'];
  timeoutMs?: number;
}): Promise<Requirement[]> {
  const { runbook, registry, config, env } = input;
  const expressions = await loadExpressionsFor(runbook);
  const timeoutMs = input.timeoutMs ?? 3000;
  const requirements = new Map<string, Requirement>();
  const need = (
    kind: CheckKind,
    name: string,
    step: string,
    check: () => Promise<Omit<Requirement, 'kind' | 'name' | 'steps'>>,
  ): Promise<void> => {
    const key = `${kind}:${name}`;
    const existing = requirements.get(key);
    if (existing) {
      if (!existing.steps.includes(step)) existing.steps.push(step);
      return Promise.resolve();
    }
    const entry: Requirement = { kind, name, ok: true, detail: '', steps: [step] };
    requirements.set(key, entry);
    return check().then((result) => void Object.assign(entry, result));
  };

  const context = new ExpressionContext({
    expressions,
    runbook,
    vars: input.vars.values,
    env: input.vars.declaredEnv,
    runId: 'doctor',
    mode: 'dry-run',
    startedAt: new Date().toISOString(),
    placeholders: input.vars.placeholders,
  });
  const checks: Array<Promise<void>> = [];
  for (const { name, how } of input.missingVars) {
    checks.push(
      need('variable', name, 'vars', () =>
        Promise.resolve({
          ok: false,
          detail: 'required, and has no value',
          fix: how,
        }),
      ),
    );
  }
  for (const { step } of stepsOf(runbook)) {
    if (step.on !== undefined) {
      const host = config.hosts[step.on];
      checks.push(
        need('host', step.on, step.id, async () => {
          if (!host)
            return {
              ok: false,
              detail: 'not configured',
              fix: `add it under hosts: in ${config.file ?? 'runbook.config.yaml'}`,
            };
          const port = host.port ?? 22;
          const problem = await tcpProblem(host.host, port, timeoutMs);
          return problem
            ? {
                ok: false,
                detail: `${host.host}:${port} ${problem}`,
                fix: 'check the address, the network and that sshd runs there',
              }
            : { ok: true, detail: `${host.host}:${port} answers` };
        }),
      );
    }
    const adapterName = step.uses?.split('.')[0] ?? (step.run !== undefined ? 'shell' : undefined);
    const adapter = adapterName ? await registry.adapter(adapterName) : undefined;
    if (adapter && (adapter.binary === undefined || step.on === undefined)) {
      checks.push(
        need('binary', adapter.binary ?? `${adapter.name} adapter`, step.id, async () => {
          const preflight = await adapter.preflight({ env });
          return preflight.ok
            ? {
                ok: true,
                detail: `${preflight.path ?? 'found'}${preflight.version ? ` (${preflight.version})` : ''}`,
              }
            : {
                ok: false,
                detail: preflight.problem ?? 'not found',
                fix: preflight.hint ?? `install ${adapter.binary ?? adapter.name}`,
              };
        }),
      );
    }
    if (typeof step.run === 'string' || Array.isArray(step.run)) {
      for (const command of commandsOf(step.run)) {
        if (step.on !== undefined) continue;
        checks.push(
          need('binary', command, step.id, async () => {
            const path = await input.findBinary(command, env);
            return path
              ? { ok: true, detail: path }
              : { ok: false, detail: 'not on PATH', fix: `install ${command}, or put it on PATH` };
          }),
        );
      }
    }
    if (step.uses?.startsWith('http.') && step.with && step.on === undefined) {
      let url: unknown;
      try {
        url = (renderValue(step.with, context.get(), context.rendering) as { url?: unknown }).url;
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        continue;
      }
      // One that depends on an earlier step's outputs can only be known during a run; one built
      // from a variable without a value, once it has one (the variable is named above).
      if (typeof url !== 'string' || holdsPlaceholder(url, context.shown ?? new Set())) continue;
      checks.push(
        need('target', url, step.id, async () => {
          let target: URL;
          try {
            target = new URL(url);
          } catch {
            return {
              ok: false,
              detail: 'not a valid URL',
              fix: 'check the variable it is built from',
            };
          }
          const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
          const problem = await tcpProblem(target.hostname, port, timeoutMs);
          return problem
            ? {
                ok: false,
                detail: `${target.host} ${problem}`,
                fix: 'check the URL (its variables) and that the service is up',
              }
            : { ok: true, detail: `${target.host} accepts connections` };
        }),
      );
    }
  }
  await Promise.all(checks);
  // The URLs checked, and what their checks say, may hold the runbook's secrets.
  return runRedactor(input.vars, env).redactDeep([...requirements.values()]);
}

/** The programs a shell command line starts, where they can be read without running it. */
export function commandsOf(run: string | readonly string[]): string[] {
  if (Array.isArray(run)) return run[0] && !run[0].includes('${{') ? [run[0]] : [];
  const found = new Set<string>();
  for (const segment of String(run).split(/&&|\|\||[;|\n]/)) {
    const words = segment.trim().split(/\s+/);
    let word = words.shift();
    while (word && /^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) word = words.shift();
    if (word === 'sudo' || word === 'exec' || word === 'time' || word === 'nohup')
      word = words.shift();
    if (!word || !/^[A-Za-z0-9_./+-]+$/.test(word) || SHELL_BUILTINS.has(word)) continue;
    found.add(word);
  }
  return [...found];
}

const SHELL_BUILTINS = new Set([
  'cd',
  'echo',
  'exit',
  'export',
  'set',
  'test',
  'true',
  'false',
  'read',
  'printf',
  'if',
  'then',
  'else',
  'fi',
  'for',
  'do',
  'done',
  'while',
  'case',
  'esac',
  'trap',
  'wait',
  'kill',
  'shift',
  'unset',
  'local',
  'return',
  '[',
  '.',
  ':',
  'eval',
  'exec',
]);

function tcpProblem(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem: string | undefined): void => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`did not answer within ${timeoutMs / 1000}s`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(
        error.code === 'ECONNREFUSED'
          ? 'refused the connection'
          : error.code === 'ENOTFOUND'
            ? 'is not a known host name'
            : error.message,
      ),
    );
  });
}
