import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { NotFoundError, UsageError } from '../common/errors.js';
import { displayPath, findRunbook, findRunbookFiles, loadRunbooks } from '../schema/load.js';
import { ID_PATTERN } from '../schema/runbook.js';
import { SCENARIO_SUFFIX } from '../schema/scenario.js';
import {
  coverageOf,
  findScenarioFiles,
  runScenarioFile,
  scenarioFileOf,
  type RunbookCoverage,
  type ScenarioFileResult,
} from '../scenario/suite.js';
import { testCounts, testJson, testJunit, testText, type TestReport } from '../report/scenarios.js';
import { describeRemote } from '../exec/ssh.js';
import { EXIT, exitCodeForRun } from './exit-codes.js';
import { colorsFor, type Io } from './io.js';
import { setup } from './setup.js';

/** `runbook test [ids…|paths…] [--coverage] [--format text|json|junit]` (docs/testing.md). */
export async function testCommand(
  targets: string[],
  options: {
    dir: string | undefined;
    coverage: boolean | undefined;
    format: 'text' | 'json' | 'junit';
  },
  io: Io,
): Promise<number> {
  const cli = await setup(io, { dir: options.dir });
  // Directories whose runbooks coverage also counts when they have no scenario file.
  const dirs: string[] = [];
  const paths: string[] = [];
  for (const target of targets.length > 0 ? targets : cli.dirs) {
    const path = resolve(io.cwd, target);
    if (existsSync(path) && /\.ya?ml$/.test(path) && !SCENARIO_SUFFIX.test(path)) {
      // A runbook file: its scenarios are the file beside it.
      const scenarios = scenarioFileOf(path);
      if (!existsSync(scenarios))
        throw new UsageError(
          `${target} has no scenarios: ${displayPath(scenarios, io.cwd)} does not exist`,
          'write one beside it (docs/testing.md)',
        );
      paths.push(scenarios);
    } else if (existsSync(path)) {
      paths.push(path);
      if (!/\.ya?ml$/.test(path)) dirs.push(path);
    } else if (ID_PATTERN.test(target) && targets.length > 0) {
      const { file } = await findRunbook(target, cli.dirs, cli.load);
      // A catalog's runbook may have `<id>.test.yaml` of its own beside the catalog (docs/testing.md).
      const own = join(dirname(resolve(io.cwd, file)), `${target}.test.yaml`);
      const scenarios = existsSync(own) ? own : scenarioFileOf(resolve(io.cwd, file));
      if (!existsSync(scenarios))
        throw new UsageError(
          `runbook ${target} has no scenarios: ${displayPath(scenarios, io.cwd)} does not exist`,
          'write one (docs/testing.md)',
        );
      paths.push(scenarios);
    } else
      throw new NotFoundError(
        `${target}: no such file or directory${ID_PATTERN.test(target) ? '' : ', and not a runbook id'}`,
        'give runbook ids, scenario files (<id>.test.yaml) or directories',
      );
  }
  const files = findScenarioFiles(paths);
  if (files.length === 0)
    throw new NotFoundError(
      `no scenario files (*.test.yaml) in ${paths.map((path) => displayPath(path, io.cwd)).join(', ')}`,
      'write one beside a runbook: <id>.test.yaml (docs/testing.md)',
    );
  const runOptions = {
    registry: cli.registry,
    hosts: cli.config.hosts,
    cwd: io.cwd,
    describeRemote,
    exitCode: exitCodeForRun,
    dirs: cli.dirs,
  };
  const results: ScenarioFileResult[] = [];
  for (const file of files) results.push(await runScenarioFile(file, cli.load, runOptions));

  let coverage: RunbookCoverage[] | undefined;
  if (options.coverage) {
    coverage = [];
    const tested = new Set<string>();
    // Each runbook by file and id: a catalog file holds several.
    const key = (file: string, id: string): string => `${resolve(io.cwd, file)}\0${id}`;
    for (const result of results)
      if (result.runbook && result.runbookFile) {
        tested.add(key(result.runbookFile, result.runbook.id));
        coverage.push(coverageOf(result.runbook, result.runbookFile, result.scenarios));
      }
    // A runbook with a when: and no scenario file covers none of its sides.
    for (const file of dirs.length > 0 ? await findRunbookFiles(dirs) : [])
      for (const loaded of await loadRunbooks(file, cli.load)) {
        if (!loaded.runbook || tested.has(key(file, loaded.runbook.id))) continue;
        const entry = coverageOf(loaded.runbook, loaded.file, []);
        if (entry.conditions.length > 0) coverage.push(entry);
      }
  }

  const report: TestReport = { files: results, coverage };
  const counts = testCounts(report);
  const code =
    counts.invalid > 0
      ? EXIT.usage
      : counts.failed > 0 || counts.uncovered > 0
        ? EXIT.failed
        : EXIT.ok;
  switch (options.format) {
    case 'text':
      io.stdout.write(testText(report, colorsFor(io.stdout, io.env)));
      break;
    case 'json':
      io.stdout.write(testJson(report, code));
      break;
    case 'junit':
      io.stdout.write(testJunit(report));
      break;
    default: {
      const unreachable: never = options.format;
      return unreachable;
    }
  }
  return code;
}
