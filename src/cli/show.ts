import { matcherGroups } from '../schema/alert-matchers.js';
import type { LoadedAdapters } from '../adapters/registry.js';
import { stepEffect } from '../engine/prepare.js';
import { findRunbook } from '../schema/load.js';
import { SECTIONS, stepsOf, type Runbook, type Step } from '../schema/runbook.js';
import { severityText } from './catalog.js';
import { PROCESS_OUTPUTS } from '../adapters/outputs.js';
import { EXIT } from './exit-codes.js';
import { colorsFor, type Io } from './io.js';
import { setup } from './setup.js';
import { arg, defineCommand, dirFlag, jsonFlag } from './define.js';
import { visible, visibleDeep } from '../report/visible.js';
import { callLabel, callTarget, type ExpandedStep } from '../schema/calls.js';
import { withCalls } from './calls.js';
import { ruleWords } from '../schema/escalation.js';

export const show = defineCommand({
  name: 'show',
  summary: 'Show one runbook: its variables, sections and steps',
  args: { id: arg.required('id', 'runbook id') },
  flags: { dir: dirFlag, json: jsonFlag },
  handler: ({ id }, options, io) => showRunbook(id, options, io),
});

async function showRunbook(
  id: string,
  options: { dir: string | undefined; json: boolean | undefined },
  io: Io,
): Promise<number> {
  const cli = await setup(io, { dir: options.dir });
  const { file, runbook } = await findRunbook(id, cli.dirs, cli.load);
  if (!runbook) return EXIT.usage;
  const { steps: expanded } = await withCalls(cli, file, runbook);
  // Each step's effect and outputs are its action's: the adapters its steps name are loaded.
  const adapters = await cli.registry.load(
    expanded.flatMap(({ step }) => (step.uses ? [step.uses.split('.')[0] ?? ''] : [])),
  );
  if (options.json) {
    // `step_outputs`: each step's output names (its action's, then its captures), when known.
    const stepOutputs = Object.fromEntries(
      stepsOf(runbook).map(({ step }) => [step.id, outputNames(step, adapters) ?? null]),
    );
    // `called_steps`: the steps of the runbooks its calls reach, by their ids in a run.
    const calledSteps = expanded
      .filter((entry) => entry.depth > 0)
      .map((entry) => ({
        id: entry.id,
        runbook: entry.runbook.id,
        section: entry.section,
        ...(entry.step.name ? { name: entry.step.name } : {}),
        effect: showEffect(entry.step, adapters),
      }));
    io.stdout.write(
      `${JSON.stringify(
        {
          file,
          ...runbook,
          step_outputs: stepOutputs,
          ...(calledSteps.length > 0 ? { called_steps: calledSteps } : {}),
          documentation_only: stepsOf(runbook).length === 0,
        },
        null,
        2,
      )}\n`,
    );
    return EXIT.ok;
  }
  // What the file says is shown as text, never as control sequences (see report/visible.ts).
  io.stdout.write(
    renderRunbook(
      visibleDeep(runbook),
      visible(file),
      adapters,
      colorsFor(io.stdout, io.env),
      visibleDeep(expanded),
    ),
  );
  return EXIT.ok;
}

function renderRunbook(
  runbook: Runbook,
  file: string,
  adapters: LoadedAdapters,
  c: ReturnType<typeof colorsFor>,
  expanded: readonly ExpandedStep[],
): string {
  const out: string[] = [];
  const meta = [severityText(runbook), runbook.service, ...(runbook.tags ?? []).map((t) => `#${t}`)]
    .filter(Boolean)
    .join(' · ');
  out.push(`${c.bold(runbook.title)}  ${c.dim(runbook.id)}`);
  if (meta) out.push(meta);
  out.push(c.dim(file));
  if (runbook.summary) out.push('', runbook.summary.trim());
  if (stepsOf(runbook).length === 0)
    out.push('', c.yellow('Documentation only: no steps; `runbook run` prints its guidance'));
  if (runbook.description?.trim())
    out.push('', c.bold('Description'), ...indent(runbook.description));

  const vars = Object.entries(runbook.vars ?? {});
  if (vars.length) {
    out.push('', c.bold('Variables'));
    for (const [name, raw] of vars) {
      const def = raw !== null && typeof raw === 'object' ? raw : { default: raw };
      const bits = [
        def.default !== undefined
          ? `default ${def.secret ? '***' : JSON.stringify(def.default)}`
          : undefined,
        def.env ? `$${def.env}` : undefined,
        def.from_alert ? `from the alert's ${def.from_alert}` : undefined,
        def.required ? 'required' : undefined,
        def.secret ? 'secret' : undefined,
        def.choices?.length ? `one of ${def.choices.join(', ')}` : undefined,
      ].filter(Boolean);
      // A folded description (`>`) ends in a newline and may span lines: one line here.
      const description = def.description?.replace(/\s+/g, ' ').trim();
      const text = [bits.join(', '), description ? c.dim(description) : ''].filter(Boolean);
      out.push(`  ${name.padEnd(20)} ${text.join('  ')}`.trimEnd());
    }
  }
  if (runbook.alerts) {
    out.push('', c.bold('Answers alerts'));
    for (const group of matcherGroups(runbook.alerts)) out.push(`  ${group.join(', ')}`);
  }
  if (runbook.detection?.symptoms?.length) {
    out.push('', c.bold('Symptoms'));
    for (const symptom of runbook.detection.symptoms) out.push(`  - ${symptom}`);
  }
  for (const section of SECTIONS) {
    const steps = (section === 'detection' ? runbook.detection?.checks : runbook[section]) ?? [];
    if (!steps.length) continue;
    out.push('', c.bold(section === 'detection' ? 'Detection checks' : capitalize(section)));
    steps.forEach((step, index) => {
      out.push(...renderStep(step, step.id, index, 0, adapters, c));
      // The steps it calls, indented under it, by their ids in a run (docs/format.md#sub-runbooks).
      const inner = expanded.filter((entry) => entry.id.startsWith(`${step.id}/`));
      const counts = new Map<string, number>();
      for (const entry of inner) {
        const parent = entry.id.slice(0, entry.id.lastIndexOf('/'));
        const at = counts.get(parent) ?? 0;
        counts.set(parent, at + 1);
        out.push(...renderStep(entry.step, entry.id, at, entry.depth, adapters, c));
      }
    });
  }
  if (runbook.escalation?.length) {
    out.push('', c.bold('Escalation'));
    for (const rule of runbook.escalation) out.push(`  ${ruleWords(rule)}`);
  }
  if (runbook.references?.length) {
    out.push('', c.bold('Links'));
    for (const reference of runbook.references)
      out.push(
        `  - ${typeof reference === 'string' ? reference : `${reference.title}: ${reference.url}`}`,
      );
  }
  if (runbook.communication)
    out.push(
      '',
      c.bold('Communication templates'),
      `  ${Object.keys(runbook.communication).join(', ')}`,
    );
  if (runbook.postmortem?.checklist?.length) {
    out.push('', c.bold('Post-incident checklist'));
    for (const item of runbook.postmortem.checklist) out.push(`  [ ] ${item}`);
  }
  return `${out.join('\n')}\n`;
}

/** A step's effect as show gives it: `call` for a step that calls a runbook. */
function showEffect(step: Step, adapters: LoadedAdapters): string {
  if (step.call !== undefined) return 'call';
  return stepEffect(step, step.uses ? adapters.action(step.uses)?.effect : undefined);
}

/** `id`: its id in a run; `depth`: how deep in calls it is, for its indentation. */
function renderStep(
  step: Step,
  id: string,
  index: number,
  depth: number,
  adapters: LoadedAdapters,
  c: ReturnType<typeof colorsFor>,
): string[] {
  const effect = showEffect(step, adapters);
  const tag =
    effect === 'destructive'
      ? c.red(effect)
      : effect === 'write'
        ? c.yellow(effect)
        : effect === 'call'
          ? c.cyan(effect)
          : c.dim(effect);
  const target = callTarget(step.call);
  const what =
    step.manual !== undefined
      ? step.manual
      : target
        ? `${callLabel(target)}${step.with ? ` with ${JSON.stringify(step.with)}` : ''}`
        : step.uses !== undefined
          ? `${step.uses} ${JSON.stringify(step.with ?? {})}`
          : Array.isArray(step.run)
            ? JSON.stringify(step.run)
            : (step.run ?? '');
  const pad = '    '.repeat(depth);
  const lines = [
    `${pad}  ${String(index + 1).padStart(2)}. ${c.bold(id)} ${tag}${step.name ? `  ${step.name}` : ''}`,
  ];
  for (const line of what.trim().split('\n')) lines.push(`${pad}      ${c.dim(line)}`);
  if (step.when) lines.push(`${pad}      when: ${step.when}`);
  // Where an imported step came from (runbook import, docs/import.md).
  if (step.source) lines.push(`${pad}      ${c.dim(`source: ${step.source}`)}`);
  const outputs = outputNames(step, adapters);
  if (outputs) lines.push(`${pad}      ${c.dim(`outputs: ${outputs.join(', ')}`)}`);
  return lines;
}

/** A step's output names: its action's (src/adapters/outputs.ts), then its captures; undefined
 * when its action's are not known (a manual step's are in docs/format.md#answers, a third-party
 * action's are not declared). */
function outputNames(step: Step, adapters: LoadedAdapters): string[] | undefined {
  const declared =
    step.run !== undefined
      ? PROCESS_OUTPUTS
      : step.uses !== undefined
        ? adapters.action(step.uses)?.outputs
        : undefined;
  if (!declared) return undefined;
  return [...new Set([...Object.keys(declared), ...Object.keys(step.capture ?? {})])];
}

function indent(text: string): string[] {
  return text
    .trim()
    .split('\n')
    .map((line) => `  ${line}`);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
