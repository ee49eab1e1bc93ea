import { Buffer } from 'node:buffer';
import { createRegistry, type AdapterRegistry } from '../../src/adapters/registry.js';
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
