import { findRunbookFiles, loadRunbookFile, type LoadedRunbook } from '../schema/load.js';
import type { Runbook } from '../schema/runbook.js';
import type { CliSetup } from './setup.js';

export interface CatalogEntry {
  file: string;
  runbook: Runbook;
}

/** Every valid runbook in the runbook directories, and the files that failed to load. */
export async function loadCatalog(
  cli: CliSetup,
): Promise<{ entries: CatalogEntry[]; invalid: LoadedRunbook[] }> {
  const files = await findRunbookFiles(cli.dirs).catch(() => [] as string[]);
  const entries: CatalogEntry[] = [];
  const invalid: LoadedRunbook[] = [];
  for (const file of files) {
    const loaded = await loadRunbookFile(file, cli.load);
    if (loaded.runbook) entries.push({ file: loaded.file, runbook: loaded.runbook });
    else invalid.push(loaded);
  }
  return { entries, invalid };
}

export function severityText(runbook: Runbook): string {
  return typeof runbook.severity === 'string'
    ? runbook.severity
    : (runbook.severity ?? []).join('/');
}
