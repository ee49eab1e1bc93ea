import type { Diagnostic } from '../common/errors.js';
import type { RunResult } from '../engine/events.js';
import type { ResolvedVars } from '../engine/vars.js';
import { NOT_PLANNED } from '../engine/step.js';
import { missingVarsWarning } from './plan-warning.js';
import { attr, escape } from './xml.js';

/** `validate --format junit`: one test case per file; an invalid file's failure says its first
 * error in the message (what CI shows in a list) and every error in the text. */
export function validationJunit(
  files: ReadonlyArray<{ file: string; diagnostics: readonly Diagnostic[] }>,
): string {
  const failures = files.filter((f) => f.diagnostics.some((d) => d.severity === 'error')).length;
  const cases = files.map(({ file, diagnostics }) => {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (errors.length === 0)
      return `    <testcase classname="runbook.validate" name="${attr(file)}"/>`;
    const body = errors
      .map(
        (d) =>
          `${d.file}:${d.line}:${d.col}: ${d.message}${d.rule ? ` [${d.rule}]` : ''}${d.hint ? ` (${d.hint})` : ''}`,
      )
      .join('\n');
    return [
      `    <testcase classname="runbook.validate" name="${attr(file)}">`,
      `      <failure message="${attr(failureMessage(errors))}" type="invalid">${escape(body)}</failure>`,
      '    </testcase>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="runbook validate" tests="${files.length}" failures="${failures}">`,
    `  <testsuite name="runbook validate" tests="${files.length}" failures="${failures}" errors="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function failureMessage(errors: readonly Diagnostic[]): string {
  const [first] = errors;
  if (!first) return 'invalid';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return `${first.line}:${first.col}: ${first.message}${more}`;
}

/** `run --format junit`: one test case per step. In a plan (`--dry-run`) a planned step passes
 * (its command is its output, after its condition when the plan could not decide it), a step
 * skipped or not planned whole is skipped, and the required variables the plan had no value for
 * are its suite's properties and warning (docs/commands.md#output-formats). */
export function runJunit(result: RunResult, vars?: Pick<ResolvedVars, 'missingVars'>): string {
  const plan = result.mode === 'dry-run';
  const passes = (step: RunResult['steps'][number]): boolean =>
    step.status === 'succeeded' ||
    (plan && step.status === 'planned' && !step.reason?.startsWith(NOT_PLANNED));
  // A for_each: step is a test case per item (`restart[db-1]`), so CI lists each target.
  const steps = result.steps.flatMap((step) =>
    step.items?.length
      ? step.items.map((item) => ({ ...item, id: `${step.id}[${item.item?.label ?? ''}]` }))
      : [step],
  );
  const failures = steps.filter((s) => s.status === 'failed' && !s.finding).length;
  const skipped = steps.filter(
    (s) =>
      !passes(s) && (s.status === 'skipped' || s.status === 'planned' || s.status === 'pending'),
  ).length;
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);
  const cases = steps.map((step) => {
    const open = `    <testcase classname="${attr(`${result.runbook.id}.${step.section}`)}" name="${attr(step.id)}" time="${seconds(step.duration_ms)}">`;
    const inner: string[] = [];
    if (step.status === 'failed' && !step.finding)
      inner.push(
        `      <failure message="${attr(step.reason ?? 'failed')}" type="failed">${escape(step.stderr_tail ?? '')}</failure>`,
      );
    else if (!passes(step))
      inner.push(
        `      <skipped message="${attr(`${step.status}${step.reason ? `: ${step.reason}` : ''}`)}"/>`,
      );
    const out = [
      ...(step.condition === undefined ? [] : [`if ${step.condition}`]),
      ...(step.command ? [step.command] : []),
    ];
    if (out.length) inner.push(`      <system-out>${escape(out.join('\n'))}</system-out>`);
    return [open, ...inner, '    </testcase>'].join('\n');
  });
  const missing = plan ? (vars?.missingVars ?? []) : [];
  const properties = missing.length
    ? [
        '    <properties>',
        ...missing.map(({ name }) => `      <property name="missing_var" value="${attr(name)}"/>`),
        '    </properties>',
      ]
    : [];
  const warning = missing.length
    ? [
        `    <system-err>${escape(`warning: ${missingVarsWarning({ missingVars: missing })}`)}</system-err>`,
      ]
    : [];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="runbook run" tests="${steps.length}" failures="${failures}" time="${seconds(result.duration_ms)}">`,
    `  <testsuite name="${attr(result.runbook.id)}" tests="${steps.length}" failures="${failures}" skipped="${skipped}" errors="0" time="${seconds(result.duration_ms)}">`,
    ...properties,
    ...cases,
    ...warning,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
