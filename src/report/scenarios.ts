import type { ChalkInstance } from 'chalk';
import type { RunbookCoverage, ScenarioFileResult } from '../scenario/suite.js';
import { formatDiagnostic } from './diagnostics.js';
import { diagnosticJson } from './json.js';
import { visible as visibleText } from './visible.js';
import { attr, escape } from './xml.js';

/** Text from a file, shown on one line: no control sequence, and a newline as a backslash and n. */
function visible(text: string): string {
  return visibleText(text).replace(/\r?\n/g, '\\n');
}

/** What `runbook test` shows (docs/commands.md#test): each file's scenarios, and the coverage
 * of `when:` sides when asked. */
export interface TestReport {
  files: ScenarioFileResult[];
  coverage: RunbookCoverage[] | undefined;
}

export function testCounts(report: TestReport): {
  passed: number;
  failed: number;
  invalid: number;
  uncovered: number;
} {
  const scenarios = report.files.flatMap((file) => file.scenarios);
  return {
    passed: scenarios.filter((s) => s.status === 'passed').length,
    failed: scenarios.filter((s) => s.status === 'failed').length,
    invalid: report.files.filter((file) => file.diagnostics.some((d) => d.severity === 'error'))
      .length,
    uncovered: (report.coverage ?? []).reduce((n, c) => n + c.uncovered.length, 0),
  };
}

/** Text: a line per scenario, each failure under it as expected vs actual; then the coverage. */
export function testText(report: TestReport, colors: ChalkInstance): string {
  const out: string[] = [];
  for (const file of report.files) {
    out.push(colors.bold(`${visible(file.file)} (${file.id})`));
    for (const diagnostic of file.diagnostics)
      out.push(indent(formatDiagnostic(diagnostic, colors), 2));
    for (const scenario of file.scenarios) {
      const mark = scenario.status === 'passed' ? colors.green('✓') : colors.red('✗');
      out.push(`  ${mark} ${visible(scenario.name)} ${colors.dim(`(${scenario.duration_ms} ms)`)}`);
      // A failure's further lines (a long string's difference, src/scenario/expect.ts) are
      // indented under its first; every line is shown on its own.
      for (const failure of scenario.failures)
        failure
          .split('\n')
          .forEach((line, n) => out.push(`${n === 0 ? '      ' : '        '}${visible(line)}`));
    }
  }
  if (report.coverage) {
    out.push('', colors.bold('coverage of when: (true and false sides)'));
    for (const runbook of report.coverage) {
      const sides = runbook.conditions.length * 2;
      if (runbook.uncovered.length === 0)
        out.push(
          `  ${colors.green('✓')} ${runbook.id}: ${runbook.conditions.length} when:, every side covered`,
        );
      else {
        out.push(
          `  ${colors.red('✗')} ${runbook.id}: ${runbook.uncovered.length} of ${sides} sides not covered (${visible(runbook.file)})`,
        );
        for (const condition of runbook.conditions) {
          const missing = (['true', 'false'] as const).filter((side) => !condition[side]);
          if (missing.length > 0)
            out.push(
              `      ${condition.step}: when: ${visible(condition.when)} — not ${missing.join(', not ')}`,
            );
        }
      }
    }
  }
  const counts = testCounts(report);
  const total = counts.passed + counts.failed;
  const parts = [
    `${total} scenario${total === 1 ? '' : 's'}: ${counts.passed} passed, ${counts.failed} failed`,
  ];
  if (counts.invalid > 0)
    parts.push(`${counts.invalid} invalid file${counts.invalid === 1 ? '' : 's'}`);
  if (report.coverage)
    parts.push(`${counts.uncovered} when: side${counts.uncovered === 1 ? '' : 's'} not covered`);
  const ok = counts.failed === 0 && counts.invalid === 0 && counts.uncovered === 0;
  out.push('', `${ok ? colors.green('✓') : colors.red('✗')} ${parts.join('; ')}`);
  return `${out.join('\n')}\n`;
}

/** `--format json`: one document. */
export function testJson(report: TestReport, exitCode: number): string {
  const counts = testCounts(report);
  const document = {
    passed: counts.passed,
    failed: counts.failed,
    invalid: counts.invalid,
    exit_code: exitCode,
    runbooks: report.files.map((file) => ({
      id: file.id,
      file: file.file,
      runbook_file: file.runbookFile ?? null,
      scenarios: file.scenarios.map((scenario) => ({
        name: scenario.name,
        status: scenario.status,
        failures: scenario.failures,
        duration_ms: scenario.duration_ms,
      })),
      diagnostics: file.diagnostics.map(diagnosticJson),
    })),
    ...(report.coverage
      ? {
          coverage: {
            uncovered: counts.uncovered,
            runbooks: report.coverage.map((runbook) => ({
              id: runbook.id,
              file: runbook.file,
              conditions: runbook.conditions,
              uncovered: runbook.uncovered,
            })),
          },
        }
      : {}),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** `--format junit`: a testsuite per runbook, a testcase per scenario; an invalid file is a
 * testcase with an error, and coverage (when asked) a testcase per runbook. */
export function testJunit(report: TestReport): string {
  const counts = testCounts(report);
  const coverage = new Map((report.coverage ?? []).map((runbook) => [runbook.id, runbook]));
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  const suite = (id: string, file: string, cases: string[], f: number, e: number, time: number) => {
    tests += cases.length;
    failures += f;
    errors += e;
    suites.push(
      [
        `  <testsuite name="${attr(id)}" file="${attr(file)}" tests="${cases.length}" failures="${f}" errors="${e}" time="${seconds(time)}">`,
        ...cases,
        '  </testsuite>',
      ].join('\n'),
    );
  };
  const coverageCase = (runbook: RunbookCoverage): string =>
    runbook.uncovered.length === 0
      ? `    <testcase classname="${attr(runbook.id)}" name="when: coverage"/>`
      : [
          `    <testcase classname="${attr(runbook.id)}" name="when: coverage">`,
          `      <failure message="${attr(`${runbook.uncovered.length} when: side${runbook.uncovered.length === 1 ? '' : 's'} not covered`)}" type="coverage">${escape(runbook.uncovered.join('\n'))}</failure>`,
          '    </testcase>',
        ].join('\n');
  for (const file of report.files) {
    const cases: string[] = [];
    let f = 0;
    let e = 0;
    const invalid = file.diagnostics.filter((d) => d.severity === 'error');
    if (invalid.length > 0) {
      e++;
      const body = invalid
        .map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}${d.hint ? ` (${d.hint})` : ''}`)
        .join('\n');
      cases.push(
        [
          `    <testcase classname="${attr(file.id)}" name="${attr(file.file)}">`,
          `      <error message="${attr(`${invalid.length} problem${invalid.length === 1 ? '' : 's'} in the scenario file or its runbook`)}" type="invalid">${escape(body)}</error>`,
          '    </testcase>',
        ].join('\n'),
      );
    }
    for (const scenario of file.scenarios) {
      const head = `    <testcase classname="${attr(file.id)}" name="${attr(scenario.name)}" time="${seconds(scenario.duration_ms)}"`;
      if (scenario.status === 'passed') cases.push(`${head}/>`);
      else {
        f++;
        cases.push(
          [
            `${head}>`,
            `      <failure message="${attr(scenario.failures[0] ?? 'failed')}" type="scenario">${escape(scenario.failures.join('\n'))}</failure>`,
            '    </testcase>',
          ].join('\n'),
        );
      }
    }
    const covered = coverage.get(file.id);
    if (covered) {
      cases.push(coverageCase(covered));
      if (covered.uncovered.length > 0) f++;
      coverage.delete(file.id);
    }
    suite(
      file.id,
      file.file,
      cases,
      f,
      e,
      file.scenarios.reduce((n, s) => n + s.duration_ms, 0),
    );
  }
  // Runbooks with a when: and no scenario file.
  for (const runbook of coverage.values())
    suite(
      runbook.id,
      runbook.file,
      [coverageCase(runbook)],
      runbook.uncovered.length > 0 ? 1 : 0,
      0,
      0,
    );
  void counts;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="runbook test" tests="${tests}" failures="${failures}" errors="${errors}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function indent(text: string, by: number): string {
  return text
    .split('\n')
    .map((line) => `${' '.repeat(by)}${line}`)
    .join('\n');
}
