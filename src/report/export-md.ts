/**
 * `runbook export`: a runbook as readable Markdown, for wikis (docs/commands.md#export). Each
 * step's command is the one a dry run shows (src/engine/prepare.ts renders it, with every variable
 * standing as `<name>`), so the page never holds a value, a secret's least of all. The page is laid
 * out so that `runbook import` reads it back (docs/import.md#round-trip): front matter with what
 * the importer keeps, one `##` heading a section, one list item a step, its command in a fence.
 */
import { stringify as yamlStringify } from 'yaml';
import type { AdapterRegistry } from '../adapters/registry.js';
import { ExpressionContext, loadExpressionsFor } from '../engine/context.js';
import type { ProcessPort } from '../engine/ports.js';
import { prepareStep, PrepareError, stepEffect } from '../engine/prepare.js';
import { Redactor } from '../engine/redact.js';
import { matcherGroups } from '../schema/alert-matchers.js';
import { triggerOf, triggerWords } from '../schema/escalation.js';
import { ExpressionError } from '../schema/expressions.js';
import { findSecret, maskSecret } from '../schema/lint.js';
import type { Runbook, Section, Step } from '../schema/runbook.js';
import { mdCode, mdFence, mdTable, mdText } from './markdown.js';

export interface ExportScope {
  registry: AdapterRegistry;
  /** Only for its type: a step's `on:` host is named beside its command, never dialled. */
  ports: ProcessPort;
}

const SECTION_TITLES: Array<[Section, string]> = [
  ['detection', 'Detection'],
  ['diagnosis', 'Diagnosis'],
  ['resolution', 'Resolution'],
  ['verification', 'Verification'],
  ['rollback', 'Rollback'],
];

/** The Markdown page of one runbook. */
export async function exportMarkdown(runbook: Runbook, scope: ExportScope): Promise<string> {
  const context = await planContext(runbook);
  const blocks: string[] = [frontMatter(runbook), `# ${mdText(runbook.title)}`];
  const facts = [
    runbook.severity !== undefined
      ? `Severity ${mdCode(Array.isArray(runbook.severity) ? runbook.severity.join('/') : runbook.severity)}`
      : undefined,
    runbook.service ? `service ${mdCode(runbook.service)}` : undefined,
    runbook.owner ? `owner ${mdText(runbook.owner)}` : undefined,
    runbook.tags?.length ? `tags ${runbook.tags.map((tag) => mdCode(tag)).join(', ')}` : undefined,
  ].filter(Boolean);
  blocks.push(`Runbook ${mdCode(runbook.id)}${facts.length > 0 ? ` · ${facts.join(' · ')}` : ''}`);
  if (runbook.summary?.trim()) blocks.push(paragraphs(runbook.summary));
  if (runbook.description?.trim()) blocks.push(paragraphs(runbook.description));

  const symptoms = runbook.detection?.symptoms ?? [];
  if (symptoms.length > 0)
    blocks.push('## Symptoms', symptoms.map((symptom) => `- ${inline(symptom)}`).join('\n'));
  if (runbook.alerts)
    blocks.push(
      '## Answers these alerts',
      matcherGroups(runbook.alerts)
        .map((group) => `- ${group.map((matcher) => mdCode(matcher)).join(', ')}`)
        .join('\n'),
    );

  const vars = Object.entries(runbook.vars ?? {});
  if (vars.length > 0)
    blocks.push(
      '## Variables',
      mdTable(
        ['Variable', 'Description', 'Default', 'From'],
        vars.map(([name, raw]) => {
          const def = raw !== null && typeof raw === 'object' ? raw : { default: raw };
          const given = [
            def.env ? `$${def.env}` : '',
            def.from_alert ? `the alert's ${def.from_alert}` : '',
            def.required ? 'required' : '',
            def.secret ? 'secret' : '',
            def.choices ? `one of ${def.choices.map(String).join(', ')}` : '',
          ].filter(Boolean);
          return [
            name,
            def.description?.trim() ?? '',
            // A secret's value is never written, not even its default.
            def.default === undefined ? '' : def.secret ? '(secret)' : String(def.default),
            given.join('; '),
          ];
        }),
      ),
    );

  for (const [section, title] of SECTION_TITLES) {
    const steps = (section === 'detection' ? runbook.detection?.checks : runbook[section]) ?? [];
    if (steps.length === 0) continue;
    const items: string[] = [];
    for (const step of steps) items.push(await stepItem(step, context, scope));
    blocks.push(
      `## ${title}`,
      ...(section === 'rollback' ? ['Only if the resolution or the verification fails.'] : []),
      items.join('\n\n'),
    );
  }

  if (runbook.escalation?.length)
    blocks.push(
      '## Escalation',
      mdTable(
        ['Who', 'When', 'Severity', 'Via', 'Contact'],
        runbook.escalation.map((rule) => [
          rule.to,
          triggerWords(triggerOf(rule)),
          rule.severity === undefined
            ? ''
            : Array.isArray(rule.severity)
              ? rule.severity.join('/')
              : rule.severity,
          rule.via ?? '',
          rule.contact ?? '',
        ]),
      ),
    );
  const communication = Object.entries(runbook.communication ?? {});
  if (communication.length > 0) {
    blocks.push('## Communication');
    for (const [key, template] of communication)
      blocks.push(`### ${mdText(key)}`, mdFence(String(template), '', 'text'));
  }
  const checklist = runbook.postmortem?.checklist ?? [];
  if (checklist.length > 0)
    blocks.push(
      '## Post-incident checklist',
      checklist.map((item) => `- [ ] ${inline(item)}`).join('\n'),
    );
  const references = runbook.references ?? [];
  if (references.length > 0)
    blocks.push(
      '## Links',
      references
        .map((reference) =>
          typeof reference === 'string'
            ? `- ${link(reference, reference)}`
            : `- ${link(reference.title, reference.url)}`,
        )
        .join('\n'),
    );
  return withoutSecrets(`${blocks.filter((block) => block !== '').join('\n\n')}\n`, runbook);
}

/**
 * What a runbook file writes as a literal, the page masks (the literal-secret rule of docs/lint.md): the
 * password of a URL (`postgres://app:***@db`), as a run's output is redacted, and a word that
 * looks like a credential (`ghp_…`), as `validate` shows one.
 */
function withoutSecrets(page: string, runbook: Runbook): string {
  const redactor = new Redactor();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const word of value.match(/[a-z][a-z0-9+.-]*:\/\/[^/@\s'"]*:[^/@\s'"]+@\S*/gi) ?? [])
        redactor.addUrlPassword(word);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(runbook);
  return redactor
    .redact(page)
    .split('\n')
    .map((line) => {
      let masked = line;
      for (let found = findSecret(masked), n = 0; found && n < 10; found = findSecret(masked), n++)
        masked = maskSecret(masked, found.found);
      return masked;
    })
    .join('\n');
}

/** What the importer keeps of the runbook itself (docs/import.md#round-trip). */
function frontMatter(runbook: Runbook): string {
  const data: Record<string, unknown> = { id: runbook.id };
  if (runbook.service) data.service = runbook.service;
  if (typeof runbook.severity_scheme === 'string') data.severity_scheme = runbook.severity_scheme;
  if (runbook.severity !== undefined) data.severity = runbook.severity;
  if (runbook.owner) data.owner = runbook.owner;
  if (runbook.tags?.length) data.tags = runbook.tags;
  return `---\n${yamlStringify(data, { lineWidth: 0, flowCollectionPadding: false })}---`;
}

/** The context a dry run renders commands in, with every variable (and the environment variables
 * the runbook declares) standing as `<name>`: a page shows no value. */
async function planContext(runbook: Runbook): Promise<ExpressionContext> {
  const names = Object.keys(runbook.vars ?? {});
  const env = new Map<string, string>();
  for (const [name, raw] of Object.entries(runbook.vars ?? {}))
    if (raw !== null && typeof raw === 'object' && raw.env) env.set(raw.env, name);
  return new ExpressionContext({
    expressions: await loadExpressionsFor(runbook),
    runbook,
    vars: Object.fromEntries(names.map((name) => [name, `<${name}>`])),
    env: Object.fromEntries([...env].map(([envName, name]) => [envName, `<${name}>`])),
    runId: 'export',
    mode: 'dry-run',
    startedAt: new Date(0).toISOString(),
    placeholders: { vars: new Set(names), env },
  });
}

/** One step: a list item naming it, a quote of what to know about it, and its command. */
async function stepItem(
  step: Step,
  context: ExpressionContext,
  scope: ExportScope,
  indent = '',
): Promise<string> {
  const inner = `${indent}  `;
  const label = step.name?.trim() ? `${mdCode(step.id)} — ${inline(step.name)}` : mdCode(step.id);
  const lines = [`${indent}- ${label}`];
  const notes: string[] = [];
  const body: string[] = [];
  if (step.description?.trim()) notes.push(inline(step.description));
  // A loop's commands show its item as `<item>`, as a plan shows an item it does not know.
  const each =
    step.for_each === undefined
      ? context
      : context.forItem({ [step.as ?? 'item']: `<${step.as ?? 'item'}>` });
  if (step.for_each !== undefined && step.steps === undefined)
    notes.push(
      `For each ${mdCode(JSON.stringify(step.for_each))}${step.as ? ` as ${mdCode(step.as)}` : ''}.`,
    );
  if (step.steps !== undefined) {
    // A group (for_each:): its steps, nested.
    if (step.for_each !== undefined)
      notes.push(
        `For each ${mdCode(typeof step.for_each === 'string' ? step.for_each : JSON.stringify(step.for_each))}${step.as ? ` as ${mdCode(step.as)}` : ''}:`,
      );
    for (const child of step.steps) body.push(await stepItem(child as Step, each, scope, inner));
  } else if (step.call !== undefined) {
    const target = typeof step.call === 'string' ? step.call : JSON.stringify(step.call);
    // A paragraph, not a note: imported back, it is the instruction of a manual step.
    body.push(`${inner}Run the runbook ${mdCode(target)}.`);
  } else {
    const shown = await commandOf(step, each, scope);
    if (shown.manual !== undefined) body.push(paragraphs(shown.manual, inner));
    if (shown.fence !== undefined) body.push(mdFence(shown.fence.text, inner, shown.fence.lang));
    if (shown.database !== undefined) notes.push(`On the database ${mdCode(shown.database)}.`);
    // An action that runs no program is shown as its request, a paragraph of the item: imported
    // back, it is a manual step that says what to do.
    if (shown.request !== undefined) body.push(`${inner}${shown.request}`);
    const effect =
      step.manual !== undefined ? undefined : stepEffect(step, shown.actionEffect ?? undefined);
    if (effect === 'destructive')
      notes.unshift(`**Destructive**${step.confirm === false ? '' : ': asks before it runs'}.`);
    else if (effect === 'read') notes.unshift('Reads only.');
    else if (effect === 'write') notes.unshift('Changes the system.');
  }
  if (step.when) notes.push(`Only when ${mdCode(step.when)}.`);
  if (step.on) notes.push(`Runs on the host ${mdCode(step.on)}.`);
  if (step.timeout !== undefined) notes.push(`Times out after ${mdCode(String(step.timeout))}.`);
  if (step.continue_on_error) notes.push('The run goes on if it fails.');
  if (step.expect !== undefined) notes.push(`Expects ${mdCode(JSON.stringify(step.expect))}.`);
  // Notes go in a quote: the importer leaves quotes in list items alone (docs/import.md).
  // One note a line: a backslash at a line's end is a line break.
  if (notes.length > 0)
    lines.push(...notes.map((note, at) => `${inner}> ${note}${at < notes.length - 1 ? '\\' : ''}`));
  for (const block of body) lines.push('', block);
  return lines.join('\n');
}

interface Shown {
  fence?: { text: string; lang: string };
  manual?: string;
  request?: string;
  actionEffect?: 'read' | 'write' | 'destructive';
  /** The database a SQL fence runs on. */
  database?: string;
}

/** A step's command as a dry run shows it: shell for `run:`, SQL for psql queries, the command
 * line of an action that runs a program, the request of one that does not. */
async function commandOf(
  step: Step,
  context: ExpressionContext,
  scope: ExportScope,
): Promise<Shown> {
  // The host is named beside the command (`Runs on the host …`), not dialled through ssh.
  const local: Step = { ...step };
  delete local.on;
  let prepared;
  try {
    prepared = await prepareStep(local, context, {
      hosts: {},
      registry: scope.registry,
      redactor: new Redactor(),
      ports: { processes: scope.ports },
    });
  } catch (error) {
    // A RangeError: an input a plan shows as `<name>` where the action wants a duration.
    if (
      !(error instanceof PrepareError) &&
      !(error instanceof ExpressionError) &&
      !(error instanceof RangeError)
    )
      throw error;
    // What a plan cannot render (an input only a run has) is shown as the file writes it.
    if (step.manual !== undefined) return { manual: step.manual };
    if (step.run !== undefined)
      return {
        fence: {
          text: Array.isArray(step.run) ? step.run.join(' ') : String(step.run),
          lang: 'sh',
        },
      };
    return { request: `${mdCode(step.uses ?? '')} ${mdCode(JSON.stringify(step.with ?? {}))}` };
  }
  if (prepared.kind === 'manual') return { manual: prepared.text };
  const uses = step.uses ?? 'shell.run';
  const [adapterName] = uses.split('.');
  if (uses === 'psql.select' || uses === 'psql.query') {
    const { sql, url } = prepared.input as { sql?: unknown; url?: unknown };
    if (typeof sql === 'string')
      return {
        fence: { text: sql.trim(), lang: 'sql' },
        actionEffect: prepared.action.effect,
        ...(typeof url === 'string' && url !== '' ? { database: url } : {}),
      };
  }
  if (uses === 'shell.run') return { fence: { text: prepared.command, lang: 'sh' } };
  const adapter = adapterName ? await scope.registry.adapter(adapterName) : undefined;
  const binary = adapter?.binary;
  if (binary && prepared.command.startsWith(`${binary} `))
    return { fence: { text: prepared.command, lang: 'sh' }, actionEffect: prepared.action.effect };
  return {
    request: `Uses ${mdCode(uses)}: ${mdCode(prepared.command)}.`,
    actionEffect: prepared.action.effect,
  };
}

/** Text that may hold `code spans` and links: they stay as they are (GitHub makes a link of a bare
 * URL, backslashes and all), the rest stays text. Runs of spaces are one, as Markdown reads them. */
function inline(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  let out = '';
  let last = 0;
  for (const match of line.matchAll(
    /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)|https?:\/\/[A-Za-z0-9._~:/?#@!$&'()+,;=%[\]-]+/g,
  )) {
    out += escapeRun(line.slice(last, match.index), out === '');
    out += match[0];
    last = match.index + match[0].length;
  }
  return out + escapeRun(line.slice(last), out === '');
}

function escapeRun(text: string, atStart: boolean): string {
  if (text === '') return '';
  const escaped = mdText(text);
  // mdText escapes a list marker at its start: only the start of the line needs it.
  return atStart ? escaped : escaped.replace(/^\\([-+=])/, '$1').replace(/^(\d+)\\([.)])/, '$1$2');
}

/** Paragraphs of text (blank lines between them), each line kept as text. */
function paragraphs(text: string, indent = ''): string {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((paragraph) => `${indent}${inline(paragraph)}`)
    .join('\n\n');
}

function link(title: string, url: string): string {
  return /^https?:\/\/[^\s<>()]+$/.test(url)
    ? `[${mdText(title)}](${url})`
    : mdText(`${title}: ${url}`);
}
