import { findRunbookFiles, loadRunbooks, type LoadedRunbook } from '../schema/load.js';
import type { Runbook } from '../schema/runbook.js';
import { runbookSeverityLevels } from '../schema/semantics.js';
import type { CliSetup } from './setup.js';

export interface CatalogEntry {
  file: string;
  runbook: Runbook;
}

/** Every valid runbook in the runbook directories (each of a catalog file's), and those that
 * failed to load. */
export async function loadCatalog(
  cli: CliSetup,
): Promise<{ entries: CatalogEntry[]; invalid: LoadedRunbook[] }> {
  const files = await findRunbookFiles(cli.dirs);
  const entries: CatalogEntry[] = [];
  const invalid: LoadedRunbook[] = [];
  for (const file of files)
    for (const loaded of await loadRunbooks(file, cli.load)) {
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

/** Which runbooks a `--severity`, `--tag` and `--service` selection keeps. These are names people
 * type, so case does not matter; a range level such as P0–P2 covers the levels between. */
export function matchesSelection(
  runbook: Runbook,
  selection: {
    severity?: string | undefined;
    tag?: string | undefined;
    service?: string | undefined;
  },
  config: Pick<CliSetup['config'], 'schemes' | 'defaultScheme'>,
): boolean {
  const same = (a: string, b: string | undefined): boolean =>
    b !== undefined && a.toLowerCase() === b.toLowerCase();
  if (
    selection.severity !== undefined &&
    !runbookSeverityLevels(runbook, config.schemes, config.defaultScheme).some((level) =>
      same(level, selection.severity),
    )
  )
    return false;
  if (selection.tag !== undefined && !(runbook.tags ?? []).some((tag) => same(tag, selection.tag)))
    return false;
  if (selection.service !== undefined && !same(selection.service, runbook.service)) return false;
  return true;
}
