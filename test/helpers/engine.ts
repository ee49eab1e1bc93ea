import { Buffer } from 'node:buffer';
import { createRegistry, type AdapterRegistry } from '../../src/adapters/registry.js';
import type { EngineOptions } from '../../src/engine/options.js';
import { Redactor } from '../../src/engine/redact.js';
import { resolveVars } from '../../src/engine/vars.js';
import { loadConfig } from '../../src/schema/config.js';
import { loadExpressions } from '../../src/schema/expressions.js';
import { parseRunbook } from '../../src/schema/load.js';
import type { Runbook } from '../../src/schema/runbook.js';

/** A runbook a test runs in-process with the engine: read as `file` with the configuration of
 * `dir`, and the registry of the built-in adapters it was checked against. */
export async function engineRunbook(
  file: string,
  yaml: string,
  dir: string,
): Promise<{ runbook: Runbook; registry: AdapterRegistry }> {
  const config = await loadConfig(dir, {});
  const registry = createRegistry();
  const { runbook, diagnostics } = parseRunbook(file, Buffer.from(yaml), {
    adapters: await registry.load(),
    expressions: await loadExpressions(),
    config,
  });
  if (!runbook) throw new Error(`invalid test runbook: ${JSON.stringify(diagnostics)}`);
  return { runbook, registry };
}

/** What runRunbook takes for a real run of a test runbook (engineRunbook's) read as `file`, in
 * `cwd`, its variables from `cliVars` and `processEnv`: a test adds its ports and policies. */
export function engineRunOptions(
  found: { runbook: Runbook; registry: AdapterRegistry },
  file: string,
  cwd: string,
  given: { cliVars?: Record<string, string>; processEnv?: Record<string, string> } = {},
): Omit<EngineOptions, 'ports'> {
  return {
    runbook: found.runbook,
    file,
    registry: found.registry,
    runId: 'test-run',
    vars: resolveVars(found.runbook, {
      cliVars: given.cliVars ?? {},
      envName: undefined,
      processEnv: given.processEnv ?? {},
    }),
    redactor: new Redactor(),
    hosts: {},
    env: { PATH: process.env.PATH },
    cwd,
    signal: new AbortController().signal,
    plan: { mode: 'execute' },
  };
}
