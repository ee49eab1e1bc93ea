import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Diagnostic } from '../common/errors.js';
import { InvalidRunbookError, NotFoundError } from '../common/errors.js';
import {
  displayPath,
  loadRunbookFile,
  loadRunbooks,
  type LoadedRunbook,
  type LoadOptions,
} from '../schema/load.js';
import { stepsOf, type Runbook } from '../schema/runbook.js';
import { checkScenarios, parseScenarioFile, SCENARIO_SUFFIX } from '../schema/scenario.js';
import { runbookSeverityLevels } from '../schema/semantics.js';
import { LIMITS } from '../schema/yaml-source.js';
import {
  AlertPayloadError,
  MAX_ALERT_BYTES,
  parseAlertPayload,
  type Alert,
} from '../schema/alert-payload.js';
import {
  runScenario,
  type ScenarioCalls,
  type ScenarioResult,
  type ScenarioRunOptions,
} from './run.js';
import { loadCalled } from '../schema/load-calls.js';
import { expandSteps } from '../schema/calls.js';

/** One scenario file's outcome: its scenarios' results, or why they could not run. */
export interface ScenarioFileResult {
  /** The runbook's id (the file's `runbook:`, or its name without .test.yaml). */
  id: string;
  /** The scenario file, as shown. */
  file: string;
  /** The runbook file, as shown, when it was found. */
  runbookFile: string | undefined;
  scenarios: ScenarioResult[];
  /** Problems with the scenario file or its runbook: none of its scenarios ran. */
  diagnostics: Diagnostic[];
  /** The runbook, when it loaded: for coverage. */
  runbook: Runbook | undefined;
}

/** Every scenario file under the given paths (a file as given; a directory: every `*.test.yaml`
 * under it, hidden directories and node_modules aside), in code-unit order, once each. */
export function findScenarioFiles(paths: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (path: string): void => {
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch (error) {
      throw new NotFoundError(`${path}: ${(error as Error).message}`);
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (SCENARIO_SUFFIX.test(entry.name)) found.push(child);
    }
  };
  for (const path of paths) {
    const info = statSync(path, { throwIfNoEntry: false });
    if (!info)
      throw new NotFoundError(
        `${path}: no such file or directory`,
        'give scenario files, directories or runbook ids',
      );
    if (info.isDirectory()) walk(path);
    else found.push(resolve(path));
  }
  return [...new Set(found)];
}

/** The scenario file of a runbook file: `<id>.test.yaml` beside `<id>.yaml`. */
export function scenarioFileOf(runbookFile: string): string {
  return join(dirname(runbookFile), `${basename(runbookFile).replace(/\.ya?ml$/, '')}.test.yaml`);
}

/** Reads, checks and runs one scenario file against the runbook beside it. */
export async function runScenarioFile(
  path: string,
  load: LoadOptions,
  options: ScenarioRunOptions,
): Promise<ScenarioFileResult> {
  const shown = displayPath(path, load.cwd);
  const fallbackId = basename(path).replace(SCENARIO_SUFFIX, '');
  const failed = (diagnostics: Diagnostic[], id = fallbackId, runbookFile?: string) => ({
    id,
    file: shown,
    runbookFile,
    scenarios: [],
    diagnostics,
    runbook: undefined,
  });
  const read = readSmallFile(path);
  if (typeof read === 'string')
    return failed([{ file: shown, line: 1, col: 1, severity: 'error', message: read }]);
  const parsed = parseScenarioFile(shown, read);
  if (!parsed.ok) return failed(parsed.diagnostics);
  const { source, file } = parsed;
  const id = file.runbook ?? fallbackId;
  // `<id>.yaml` beside it; else a catalog (docs/testing.md): `<name>.yaml` for `<name>.test.yaml`,
  // or any runbook file of its directory that holds the id.
  const catalogName = basename(path).replace(SCENARIO_SUFFIX, '');
  const candidates = [
    ...['yaml', 'yml'].map((ext) => join(dirname(path), `${id}.${ext}`)),
    ...['yaml', 'yml'].map((ext) => join(dirname(path), `${catalogName}.${ext}`)),
  ];
  let runbookPath = candidates.find((candidate) => existsSync(candidate));
  let loaded = runbookPath ? await loadRunbookFile(runbookPath, load, id) : undefined;
  if (file.runbook !== undefined && (!loaded || (loaded.catalog && !loaded.runbook))) {
    const holder = await fileHoldingId(dirname(path), id, load);
    if (holder) [runbookPath, loaded] = [holder.file, holder.loaded];
  }
  if (!runbookPath || !loaded)
    return failed(
      [
        file.runbook === undefined
          ? source.diagnosticAt(0, `no runbook ${id}.yaml beside this scenario file`, {
              hint: 'a scenario file is <id>.test.yaml in the directory of the runbook <id>.yaml; or name it with runbook: <id>',
            })
          : source.diagnosticAtPath(
              ['runbook'],
              `no runbook ${id} beside this scenario file (no ${id}.yaml, and no runbook file of its directory holds it)`,
              {
                hint: 'the runbook file, or the catalog holding it, must be in the same directory',
              },
            ),
      ],
      id,
    );
  // A valid catalog beside it that does not hold the id: the name is wrong, not the catalog.
  if (!loaded.runbook && loaded.catalog && loaded.diagnostics.length === 1)
    return failed(
      [
        source.diagnosticAtPath(
          file.runbook === undefined ? [] : ['runbook'],
          `no runbook ${id} in ${loaded.file}, nor in another runbook file of this directory`,
          {
            hint: (loaded.diagnostics[0]?.message ?? '').replace(
              /^.*\(it holds (.*)\)$/,
              'its ids: $1',
            ),
          },
        ),
      ],
      id,
      loaded.file,
    );
  if (!loaded.runbook)
    return failed(
      [
        ...loaded.diagnostics.filter((d) => d.severity === 'error'),
        {
          file: shown,
          line: 1,
          col: 1,
          severity: 'error',
          message: `its runbook ${loaded.file} is not valid`,
          hint: `fix it, then check with: runbook validate ${loaded.file}`,
        },
      ],
      id,
      loaded.file,
    );
  const runbook = loaded.runbook;
  if (runbook.id !== id)
    return failed(
      [
        source.diagnosticAt(0, `${loaded.file} is runbook ${runbook.id}, not ${id}`, {
          hint: `name the scenario file ${runbook.id}.test.yaml, or set runbook: ${runbook.id}`,
        }),
      ],
      id,
      loaded.file,
    );
  // The runbooks it calls: in the runbook directories, or beside it.
  let called: ScenarioCalls;
  try {
    const calls = await loadCalled(
      { file: loaded.file, runbook },
      [...(options.dirs ?? []), dirname(runbookPath)],
      load,
    );
    const expanded = expandSteps(runbook, (name) => calls.get(name)?.runbook);
    called = {
      calls,
      steps: expanded.map((entry) => ({
        section: entry.section,
        step: { ...entry.step, id: entry.id },
      })),
    };
  } catch (error) {
    if (!(error instanceof InvalidRunbookError)) throw error;
    return failed(error.diagnostics, id, loaded.file);
  }
  const problems = checkScenarios(source, file, runbook, {
    severityLevels: runbookSeverityLevels(runbook, load.config.schemes, load.config.defaultScheme),
    steps: called.steps,
  });
  // Their alerts (`alert:`, as --alert): read once, each problem at the scenario's alert:.
  const alerts = file.scenarios.map((scenario, index) => {
    if (scenario.alert === undefined) return undefined;
    const read = scenarioAlert(scenario.alert, dirname(path));
    if ('problem' in read)
      problems.push(
        source.diagnosticAtPath(['scenarios', index, 'alert'], `alert: ${read.problem}`, {
          hint: 'give an Alertmanager, Grafana or PagerDuty (v3) webhook payload, inline or as a JSON file beside this file (docs/testing.md)',
        }),
      );
    return 'alert' in read ? read.alert : undefined;
  });
  if (problems.some((d) => d.severity === 'error')) return failed(problems, id, loaded.file);
  const scenarios: ScenarioResult[] = [];
  for (const [index, scenario] of file.scenarios.entries())
    scenarios.push(
      await runScenario(runbook, loaded.file, scenario, options, called, alerts[index]),
    );
  return { id, file: shown, runbookFile: loaded.file, scenarios, diagnostics: problems, runbook };
}

/** The runbook file directly in `dir` (a catalog) that holds a valid runbook with `id`, if one. */
async function fileHoldingId(
  dir: string,
  id: string,
  load: LoadOptions,
): Promise<{ file: string; loaded: LoadedRunbook } | undefined> {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (!/\.ya?ml$/.test(name) || SCENARIO_SUFFIX.test(name) || name.startsWith('.')) continue;
    const file = join(dir, name);
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) continue;
    const found = (await loadRunbooks(file, load)).find((one) => one.runbook?.id === id);
    if (found) return { file, loaded: found };
  }
  return undefined;
}

/** One `when:` of a runbook and the sides its scenarios exercised. */
export interface Condition {
  step: string;
  when: string;
  true: boolean;
  false: boolean;
}

export interface RunbookCoverage {
  id: string;
  /** The runbook file, as shown. */
  file: string;
  conditions: Condition[];
  /** The sides not exercised, as `step (true)`. */
  uncovered: string[];
}

/** The `when:` sides a runbook's scenarios exercised; with no scenarios, none. */
export function coverageOf(
  runbook: Runbook,
  file: string,
  scenarios: readonly ScenarioResult[],
): RunbookCoverage {
  const conditions: Condition[] = [];
  for (const { step } of stepsOf(runbook)) {
    if (step.when === undefined) continue;
    const sides = scenarios.map((scenario) => scenario.when.get(step.id));
    conditions.push({
      step: step.id,
      when: step.when,
      true: sides.some((side) => side?.true === true),
      false: sides.some((side) => side?.false === true),
    });
  }
  const uncovered = conditions.flatMap((condition) =>
    (['true', 'false'] as const)
      .filter((side) => !condition[side])
      .map((side) => `${condition.step} (${side})`),
  );
  return { id: runbook.id, file, conditions, uncovered };
}

/** A scenario file's bytes, or why they cannot be read (only a regular file, within the size
 * limit; opened without blocking so that a FIFO cannot hang the read). */
/** A scenario's `alert:`: the payload inline, or a JSON file (relative to the scenario file's
 * directory) read as `run --alert` reads one. */
function scenarioAlert(
  given: string | Record<string, unknown>,
  dir: string,
): { alert: Alert } | { problem: string } {
  let text: string;
  if (typeof given === 'string') {
    const read = readSmallFile(resolve(dir, given));
    if (typeof read === 'string') return { problem: `${given}: ${read}` };
    if (read.length > MAX_ALERT_BYTES)
      return { problem: `${given}: larger than 1 MiB, more than any alert payload` };
    text = read.toString('utf8');
  } else text = JSON.stringify(given);
  try {
    return { alert: parseAlertPayload(text) };
  } catch (error) {
    if (!(error instanceof AlertPayloadError)) throw error;
    return { problem: typeof given === 'string' ? `${given}: ${error.message}` : error.message };
  }
}

function readSmallFile(path: string): Buffer | string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES'
        ? 'cannot read: permission denied'
        : `cannot read: ${(error as Error).message}`;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return 'not a regular file';
    if (info.size > LIMITS.maxBytes)
      return `file is too large: ${info.size} bytes (the limit is ${LIMITS.maxBytes})`;
    const bytes = Buffer.allocUnsafe(info.size);
    let offset = 0;
    while (offset < info.size) {
      const n = readSync(fd, bytes, offset, info.size - offset, offset);
      if (n === 0) break;
      offset += n;
    }
    return bytes.subarray(0, offset);
  } catch (error) {
    return `cannot read: ${(error as Error).message}`;
  } finally {
    closeSync(fd);
  }
}
