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
  // Each step's effect and outputs are its action's: the adapters its steps name are loaded.
  const adapters = await cli.registry.load(
    stepsOf(runbook).flatMap(({ step }) => (step.uses ? [step.uses.split('.')[0] ?? ''] : [])),
  );
  if (options.json) {
    // `step_outputs`: each step's output names (its action's, then its captures), when known.
    const stepOutputs = Object.fromEntries(
      stepsOf(runbook).map(({ step }) => [step.id, outputNames(step, adapters) ?? null]),
    );
    io.stdout.write(
      `${JSON.stringify({ file, ...runbook, step_outputs: stepOutputs }, null, 2)}\n`,
    );
    return EXIT.ok;
  }
  // What the file says is shown as text, never as control sequences (see report/visible.ts).
  io.stdout.write(
    renderRunbook(visibleDeep(runbook), visible(file), adapters, colorsFor(io.stdout, io.env)),
  );
  return EXIT.ok;
}

function renderRunbook(
  runbook: Runbook,
  file: string,
  adapters: LoadedAdapters,
  c: ReturnType<typeof colorsFor>,
): string {
  const out: string[] = [];
  const meta = [severityText(runbook), runbook.service, ...(runbook.tags ?? []).map((t) => `#${t}`)]
    .filter(Boolean)
    .join(' · ');
  out.push(`${c.bold(runbook.title)}  ${c.dim(runbook.id)}`);
  if (meta) out.push(meta);
  out.push(c.dim(file));
  if (runbook.summary) out.push('', runbook.summary.trim());

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
        def.required ? 'required' : undefined,
        def.secret ? 'secret' : undefined,
      ].filter(Boolean);
      out.push(
        `  ${name.padEnd(20)} ${bits.join(', ')}${def.description ? c.dim(`  ${def.description}`) : ''}`,
      );
    }
  }
  if (runbook.detection?.symptoms?.length) {
    out.push('', c.bold('Symptoms'));
    for (const symptom of runbook.detection.symptoms) out.push(`  - ${symptom}`);
  }
  for (const section of SECTIONS) {
    const steps = (section === 'detection' ? runbook.detection?.checks : runbook[section]) ?? [];
    if (!steps.length) continue;
    out.push('', c.bold(section === 'detection' ? 'Detection checks' : capitalize(section)));
    steps.forEach((step, index) => out.push(...renderStep(step, index, adapters, c)));
  }
  if (runbook.escalation?.length) {
    out.push('', c.bold('Escalation'));
    for (const rule of runbook.escalation) {
      const severity = rule.severity
        ? ` (${Array.isArray(rule.severity) ? rule.severity.join('/') : rule.severity})`
        : '';
      out.push(
        `  after ${String(rule.after)}${severity}: ${rule.to}${rule.via ? ` via ${rule.via}` : ''}`,
      );
    }
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

function renderStep(
  step: Step,
  index: number,
  adapters: LoadedAdapters,
  c: ReturnType<typeof colorsFor>,
): string[] {
  const effect = stepEffect(step, step.uses ? adapters.action(step.uses)?.effect : undefined);
  const tag =
    effect === 'destructive'
      ? c.red(effect)
      : effect === 'write'
        ? c.yellow(effect)
        : c.dim(effect);
  const what =
    step.manual !== undefined
      ? step.manual
      : step.uses !== undefined
        ? `${step.uses} ${JSON.stringify(step.with ?? {})}`
        : Array.isArray(step.run)
          ? JSON.stringify(step.run)
          : (step.run ?? '');
  const lines = [
    `  ${String(index + 1).padStart(2)}. ${c.bold(step.id)} ${tag}${step.name ? `  ${step.name}` : ''}`,
  ];
  for (const line of what.trim().split('\n')) lines.push(`      ${c.dim(line)}`);
  if (step.when) lines.push(`      when: ${step.when}`);
  // Where an imported step came from (runbook import, docs/import.md).
  if (step.source) lines.push(`      ${c.dim(`source: ${step.source}`)}`);
  const outputs = outputNames(step, adapters);
  if (outputs) lines.push(`      ${c.dim(`outputs: ${outputs.join(', ')}`)}`);
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

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
