/**
 * Writes a runbook draft as YAML the way the shipped runbooks are written (docs/import.md#output):
 * the editor's schema line, keys in the order of docs/format.md, short inputs as flow maps, and a
 * comment wherever the importer guessed.
 */
import { Document, isMap, isScalar, isSeq, type Node } from 'yaml';
import { BUILTIN_SCHEMES } from '../schema/config.js';
import type { DraftStep, PageDraft, RunbookDraft, StepSection } from './draft.js';
import { WRITE_OPTIONS, writeYaml, type Layout } from './yaml-write.js';

export interface EmitOptions {
  /** The `$schema=` of the modeline, as a path from the written file, or undefined for none. */
  schema: string | undefined;
  /** `--severity-scheme`: the name to write, instead of the one read from the page. */
  severityScheme: string | undefined;
  /** The Markdown file as `source:` names it. */
  source: string;
}

const SECTION_ORDER: StepSection[] = [
  'detection',
  'diagnosis',
  'resolution',
  'verification',
  'rollback',
];

/** The scheme a page's levels fit, by name when a built-in one has them all. */
export function schemeFor(levels: readonly string[]): string | { levels: string[] } | undefined {
  if (levels.length === 0) return undefined;
  for (const name of ['p0-p3', 'p1-p4', 'default', 'sev1-sev5'])
    if (levels.every((level) => BUILTIN_SCHEMES[name]?.includes(level))) return name;
  return { levels: [...levels] };
}

export function emitRunbook(runbook: RunbookDraft, page: PageDraft, options: EmitOptions): string {
  return emitRunbookData(runbook, page, options).yaml;
}

/** A runbook's YAML, and the data it reads as (what validating it checks, without reading the YAML
 * back: src/import/index.ts). */
export function emitRunbookData(
  runbook: RunbookDraft,
  page: PageDraft,
  options: EmitOptions,
): { yaml: string; data: unknown } {
  const { head, data, layout } = runbookDocument(runbook, page, options);
  return {
    yaml: head + (writeYaml(data, layout) ?? libraryYaml(data, layout)),
    data: plainData(data),
  };
}

/** `data` as YAML reads it back: plain maps, lists and scalars of its own (none shared with the
 * draft), no key without a value; what `JSON.parse(JSON.stringify(data))` gives for the shapes the
 * importer makes, in a fifth of the time. */
function plainData(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(plainData);
  if (data === null || typeof data !== 'object') return data;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(data)) {
    const value = (data as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = plainData(value);
  }
  return out;
}

/** A runbook as the parts of its YAML: the comment lines that head it, and its data laid out. */
export function runbookDocument(
  runbook: RunbookDraft,
  page: PageDraft,
  options: EmitOptions,
): { head: string; data: Record<string, unknown>; layout: Layout } {
  const comments = new Map<object, string>();
  const data: Record<string, unknown> = { id: runbook.id, title: runbook.title };
  if (page.service) data.service = page.service;
  const scheme = options.severityScheme ?? page.severityScheme ?? schemeFor(page.severityLevels);
  const schemeLevels = typeof scheme === 'string' ? BUILTIN_SCHEMES[scheme] : scheme?.levels;
  if (scheme !== undefined) data.severity_scheme = scheme;
  // A range (`P1/P2`) is in the scheme when each of its levels is.
  const severity = runbook.severity.filter(
    (level) =>
      schemeLevels === undefined || level.split('/').every((one) => schemeLevels.includes(one)),
  );
  if (severity.length === 1) data.severity = severity[0];
  else if (severity.length > 1) data.severity = severity;
  if (page.owner) data.owner = page.owner;
  if (page.tags && page.tags.length > 0) data.tags = page.tags;
  data.summary = `Imported from ${options.source} ("${runbook.title}", line ${runbook.line}).`;
  if (runbook.description) data.description = runbook.description;
  if (runbook.vars.size > 0) {
    const vars: Record<string, unknown> = {};
    for (const v of runbook.vars.values()) {
      // A page `runbook export` wrote says what each variable is (docs/import.md#round-trip).
      const given = page.varTable?.get(v.name);
      if (given) {
        vars[v.name] = givenVar(given);
        continue;
      }
      const definition: Record<string, unknown> = {
        description: `${v.written} in ${options.source}:${v.line}`,
      };
      if (v.env) definition.env = v.env;
      if (v.secret) definition.secret = true;
      if (v.choices) {
        definition.choices = v.choices;
        definition.default = v.choices[0];
      } else definition.required = true;
      vars[v.name] = definition;
    }
    data.vars = vars;
  }
  const bySection = new Map<StepSection, DraftStep[]>();
  for (const step of runbook.steps) {
    const steps = bySection.get(step.section);
    if (steps) steps.push(step);
    else bySection.set(step.section, [step]);
  }
  const stepData = new Map<DraftStep, Record<string, unknown>>();
  const stepsOf = (section: StepSection): Array<Record<string, unknown>> =>
    (bySection.get(section) ?? []).map((step) => {
      const out = stepYaml(step, options.source);
      stepData.set(step, out);
      return out;
    });
  if (runbook.symptoms.length > 0 || bySection.has('detection')) {
    const detection: Record<string, unknown> = {};
    if (runbook.symptoms.length > 0) detection.symptoms = runbook.symptoms;
    if (bySection.has('detection')) detection.checks = stepsOf('detection');
    data.detection = detection;
  }
  for (const section of SECTION_ORDER.slice(1))
    if (bySection.has(section)) data[section] = stepsOf(section);
  if (page.escalation.length > 0) {
    data.escalation = page.escalation.map((entry, index) => {
      const out: Record<string, unknown> = { after: entry.after ?? `${15 * (index + 1)}m` };
      if (!entry.after)
        comments.set(out, ' after: a guess; the Markdown gives no time for this level');
      if (entry.severity && (schemeLevels === undefined || schemeLevels.includes(entry.severity)))
        out.severity = entry.severity;
      out.to = entry.to;
      if (entry.via) out.via = entry.via;
      if (entry.contact) out.contact = entry.contact;
      return out;
    });
  }
  if (page.communication.length > 0) {
    const communication: Record<string, unknown> = {};
    for (const message of page.communication) {
      let key = message.key;
      for (let n = 2; key in communication; n++) key = `${message.key}_${n}`;
      communication[key] = message.template.replace(/\$\{\{/g, '$ {{');
    }
    data.communication = communication;
  }
  if (page.checklist.length > 0) data.postmortem = { checklist: page.checklist };
  if (bySection.has('resolution') && !bySection.has('verification'))
    data.lint = {
      ignore: {
        'resolution-without-verification': `${options.source} gives no verification steps for this runbook; add one`,
      },
    };

  // Short inputs and escalation entries as flow maps, as the shipped runbooks write them, and
  // comments where the importer guessed.
  const flow = new Set<object>();
  for (const out of stepData.values())
    for (const key of ['with', 'env']) {
      const value = out[key];
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
      const json = JSON.stringify(value);
      if (json.length < 80 && !json.includes('\\n')) flow.add(value);
    }
  for (const entry of (data.escalation as object[] | undefined) ?? []) flow.add(entry);
  for (const [step, out] of stepData) {
    const notes = [...step.action.guesses];
    if (step.action.person) notes.push(`left for a person: ${step.action.person}`);
    if (notes.length > 0) comments.set(out, notes.map((note) => ` ${note}`).join('\n'));
  }
  const layout = { flow, comments };
  const modeline = options.schema ? `# yaml-language-server: $schema=${options.schema}\n` : '';
  return {
    head: `${modeline}# Imported from ${options.source} by runbook import: review the steps marked in comments.\n`,
    data,
    layout,
  };
}

/** A variable as the exported page's table gives it, in the order of docs/format.md. */
function givenVar(
  given: NonNullable<PageDraft['varTable']> extends Map<string, infer V> ? V : never,
): Record<string, unknown> {
  const definition: Record<string, unknown> = {};
  if (given.description) definition.description = given.description;
  if (given.default !== undefined) definition.default = given.default;
  if (given.env) definition.env = given.env;
  if (given.fromAlert) definition.from_alert = given.fromAlert;
  if (given.secret) definition.secret = true;
  if (given.choices) definition.choices = given.choices;
  if (given.required || (given.default === undefined && !given.env && !given.fromAlert))
    definition.required = true;
  return definition;
}

/** What the yaml library writes for `data` laid out as `layout`: what writeYaml writes, for the
 * runbooks that writer leaves to the library (src/import/yaml-write.ts). */
export function libraryYaml(data: Record<string, unknown>, layout: Layout): string {
  const doc = new Document(data, { keepSourceTokens: false });
  const annotate = (node: unknown, value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    if (isMap(node)) {
      if (layout.flow.has(value)) node.flow = true;
      for (const item of node.items) {
        const key = isScalar(item.key) ? item.key.value : item.key;
        annotate(item.value, (value as Record<string, unknown>)[String(key)]);
      }
    } else if (isSeq(node)) {
      if (layout.flow.has(value)) node.flow = true;
      node.items.forEach((item, index) => {
        const element = (value as unknown[])[index];
        const comment =
          element !== null && typeof element === 'object'
            ? layout.comments.get(element)
            : undefined;
        if (comment && item && typeof item === 'object') (item as Node).commentBefore = comment;
        annotate(item, element);
      });
    }
  };
  annotate(doc.contents, data);
  return doc.toString(WRITE_OPTIONS);
}

/** A step's keys in the order the shipped runbooks write them. */
function stepYaml(step: DraftStep, source: string): Record<string, unknown> {
  const out: Record<string, unknown> = { id: step.id };
  const name = step.name.length > 100 ? `${step.name.slice(0, 97).trimEnd()}…` : step.name;
  if (name && !(step.action.manual && step.action.manual === name)) out.name = name;
  const action = step.action;
  if (action.run !== undefined) out.run = action.run;
  else if (action.uses !== undefined) {
    out.uses = action.uses;
    out.with = action.with ?? {};
  } else out.manual = action.manual ?? name;
  if (action.run !== undefined && Object.keys(step.env).length > 0) out.env = step.env;
  if (action.run !== undefined) out.effect = action.effect ?? 'write';
  if (action.effect === 'destructive') out.confirm = true;
  out.source = `${source}:${step.lines[0] ?? 1}`;
  return out;
}
