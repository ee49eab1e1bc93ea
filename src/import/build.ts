/**
 * Builds the runbook drafts of one Markdown page (docs/import.md): parts into runbooks, nodes into
 * steps, symptoms, severity, escalation, communication and the checklist.
 */
import type { Code, List, ListItem, RootContent, Table } from 'mdast';
import { parse as parseYaml } from 'yaml';
import { classifyCommand, psqlCommand, sqlAction, type Action } from './classify.js';
import { fenceKind, sessionUrl, unitsOf, type Unit } from './commands.js';
import type {
  DraftStep,
  EscalationDraft,
  LeftForPerson,
  PageDraft,
  RunbookDraft,
  StepSection,
} from './draft.js';
import type { ParsedMarkdown } from './markdown.js';
import { assignedNames, replacePlaceholders } from './placeholders.js';
import { maskSecret } from '../schema/lint.js';
import { cleanTitle, isIncident, partsOf, walk, type Part, type Target } from './structure.js';
import { toText } from './text.js';
import { ID_PATTERN } from '../schema/runbook.js';

export interface PageResult {
  page: PageDraft;
  runbooks: RunbookDraft[];
  left: LeftForPerson[];
  /** Fenced command lines, each with what took it (for the summary's accounting). */
  commandLines: number[];
}

export interface BuildOptions {
  /** The file name used in `source:` (file.md). */
  source: string;
  /** The page's id prefix: --service, or the page's own. */
  service?: string;
  /** Ids already taken (by earlier pages). */
  taken: Set<string>;
}

const SEVERITY_LEVEL = /\b(P[0-5]|SEV[- ]?[0-5])\b/gi;

export function buildPage(parsed: ParsedMarkdown, options: BuildOptions): PageResult {
  const root = partsOf(parsed.tree);
  const front = frontMatter(parsed.tree.children[0]);
  const firstHeading =
    root.children[0] && root.children[0].depth === 1 ? root.children[0] : undefined;
  const title =
    front.title ??
    (firstHeading ? cleanTitle(firstHeading.title) : options.source.replace(/\.[^.]+$/, ''));
  const page: PageDraft = {
    title,
    severityLevels: [],
    escalation: [],
    communication: [],
    checklist: [],
  };
  const service = options.service ?? front.service;
  if (service) page.service = service;
  if (front.owner) page.owner = front.owner;
  if (front.tags) page.tags = front.tags;
  if (front.severityScheme) page.severityScheme = front.severityScheme;
  const prefix = slug(service ?? pagePrefix(title));
  const result: PageResult = { page, runbooks: [], left: [], commandLines: [] };

  // Incidents: the outermost parts that are one.
  const incidents: Part[] = [];
  const rest: Part = { ...root, children: [] };
  // The page's one top heading is its title, not an incident.
  const topLevel =
    root.children.filter((child) => child.depth === 1).length === 1 ? firstHeading : undefined;
  const split = (part: Part, into: Part): void => {
    for (const child of part.children) {
      if (child !== topLevel && isIncident(child)) incidents.push(child);
      else {
        const copy: Part = { ...child, children: [] };
        into.children.push(copy);
        split(child, copy);
      }
    }
  };
  split(root, rest);

  const makeRunbook = (part: Part, runbookTitle: string, prefixed = true): RunbookDraft => {
    const base =
      [prefixed ? prefix : '', slug(runbookTitle)]
        .filter(Boolean)
        .join('-')
        .slice(0, 60)
        .replace(/-+$/, '') || 'imported';
    let id = base;
    for (let n = 2; options.taken.has(id); n++) id = `${base}-${n}`;
    options.taken.add(id);
    const severity = [...new Set([...(part.title.match(SEVERITY_LEVEL) ?? [])].map(normalLevel))];
    return {
      id,
      title: runbookTitle,
      line: part.line,
      severity,
      symptoms: [],
      steps: [],
      vars: new Map(),
    };
  };

  for (const part of incidents) {
    const runbook = makeRunbook(part, cleanTitle(part.title) || part.title);
    fill(runbook, part, parsed, options, result, page, true);
    // A runbook needs a step: an incident the page gives no step for gets one that says so.
    if (runbook.steps.length === 0)
      runbook.steps.push(placeholderStep(options.source, runbook.line));
    result.runbooks.push(runbook);
  }
  // The rest of the page: "<prefix>-general" beside incidents, else the page's own title.
  const general =
    incidents.length > 0 && prefix !== ''
      ? makeRunbook(firstHeading ?? rest, 'general')
      : makeRunbook(firstHeading ?? rest, service ? `${service} ${title}` : title, false);
  general.title = incidents.length > 0 ? `${title}: general procedures` : title;
  // A page `runbook export` wrote keeps its runbook's id and severity (docs/import.md#round-trip).
  if (
    incidents.length === 0 &&
    front.id &&
    front.id !== general.id &&
    !options.taken.has(front.id)
  ) {
    options.taken.delete(general.id);
    general.id = front.id;
    options.taken.add(front.id);
  }
  if (incidents.length === 0 && front.severity) general.severity = front.severity;
  fill(general, rest, parsed, options, result, page, false);
  // Its table of variables declares each, in its order, used or not (a variable may be read by a
  // manual step's text or a template).
  if (incidents.length === 0 && page.varTable) {
    const used = general.vars;
    general.vars = new Map();
    for (const name of page.varTable.keys())
      general.vars.set(name, used.get(name) ?? { name, written: name, line: general.line });
    for (const [name, v] of used) if (!general.vars.has(name)) general.vars.set(name, v);
  }
  if (general.steps.length > 0 || incidents.length === 0) result.runbooks.push(general);
  else options.taken.delete(general.id);
  if (general.steps.length === 0 && incidents.length === 0)
    general.steps.push(placeholderStep(options.source, general.line));
  return result;
}

/** A page without a single step still imports: one manual step says what to do with it. */
function placeholderStep(source: string, line: number): DraftStep {
  return {
    id: 'follow-the-page',
    name: 'Follow the page',
    section: 'resolution',
    action: {
      manual: `${source}:${line} gives no command and no instruction the importer recognised: follow it by hand, and write the steps here.`,
      person: 'the Markdown gives no steps the importer recognised',
      guesses: [],
    },
    env: {},
    lines: [line],
  };
}

/** Fills a runbook from a part and everything under it. */
function fill(
  runbook: RunbookDraft,
  part: Part,
  parsed: ParsedMarkdown,
  options: BuildOptions,
  result: PageResult,
  page: PageDraft,
  incident: boolean,
): void {
  const seenIds = new Set<string>();
  const addStep = (step: Omit<DraftStep, 'id'>, name: string, explicitId?: string): void => {
    const base = explicitId ?? (slug(name).slice(0, 48).replace(/-+$/, '') || 'step');
    let id = base;
    for (let n = 2; seenIds.has(id); n++) id = `${base}-${n}`;
    seenIds.add(id);
    runbook.steps.push({ ...step, id });
  };
  const sectionOf = (part: Part, parents: Part[], effect: Action['effect']): StepSection => {
    for (const p of [part, ...[...parents].reverse()]) {
      const t = p.target;
      if (t === 'detection') return 'detection';
      if (t === 'diagnosis' || t === 'resolution' || t === 'verification' || t === 'rollback')
        return t;
    }
    return effect === 'read' || effect === undefined ? 'diagnosis' : 'resolution';
  };
  const targetIn = (part: Part, parents: Part[]): Target | undefined => {
    for (const p of [part, ...[...parents].reverse()]) if (p.target) return p.target;
    return undefined;
  };
  const nameFrom = (part: Part, parents: Part[]): string => {
    for (const p of [part, ...[...parents].reverse()])
      if (p.title && p.depth > 0) return cleanTitle(p.title);
    return runbook.title;
  };

  const addUnits = (
    code: Code,
    part: Part,
    parents: Part[],
    context: string,
    explicitId?: string,
  ): void => {
    const start = (code.position?.start.line ?? 1) + 1;
    const kind = fenceKind(code.lang, code.value);
    const target = targetIn(part, parents);
    const inCommunication = [part, ...parents].some((p) => p.target === 'communication');
    if (inCommunication && kind === 'text') {
      page.communication.push({
        key: slug(cleanTitle(part.title)).replace(/-/g, '_') || 'message',
        template: code.value,
        line: start - 1,
      });
      return;
    }
    const units = unitsOf(kind, code.value, start);
    const assigned = assignedNames(code.value);
    for (const unit of units) {
      if (unit.kind === 'note') {
        if (target === 'communication' || target === 'severity' || target === 'contents') continue;
        const text = unit.text.replace(/^(?:step\s*)?\d+[.):]\s*/i, '');
        addStep(
          {
            name: text.split('\n')[0] ?? text,
            section: sectionOf(part, parents, 'write'),
            action: { manual: escapeText(text), guesses: [] },
            env: {},
            lines: [unit.line],
          },
          text.split('\n')[0] ?? text,
          explicitId,
        );
        continue;
      }
      result.commandLines.push(...unit.lines);
      const name =
        (unit.comment ? unit.comment.split('\n')[0] : undefined)
          ?.replace(/^(?:step\s*)?\d+[.):]\s*/i, '')
          .replace(/[:\s]+$/, '') ?? context;
      const replaced = asTableNames(
        replacePlaceholders(unit.text, unit.line, assigned),
        page.varTable,
      );
      let action: Action;
      let env = replaced.env;
      if (unit.kind === 'sql') {
        action = sqlAction(replaced.text, sessionUrl(unit));
        env = {};
      } else {
        const psql = psqlCommand(replaced.text);
        if (psql) {
          action = sqlAction(psql.sql, psql.url);
          env = {};
        } else {
          action = classifyCommand(replaced.text);
          if (action.uses) env = {};
        }
      }
      const shown = replaced.secrets.reduce((text, secret) => maskSecret(text, secret), unit.text);
      if (action.person)
        result.left.push({
          line: unit.line,
          text: shown,
          why: action.person,
          runbook: runbook.id,
        });
      for (const v of replaced.vars) if (!runbook.vars.has(v.name)) runbook.vars.set(v.name, v);
      addStep(
        {
          name,
          section: sectionOf(
            part,
            parents,
            action.manual ? 'write' : (action.effect ?? (action.uses ? 'read' : 'write')),
          ),
          action,
          env: action.run ? env : {},
          lines: unit.lines,
          command: shown,
          ...(action.uses && unit.kind === 'command'
            ? { fallback: { run: replaced.text, env: replaced.env } }
            : {}),
        },
        name,
        explicitId,
      );
    }
  };

  const itemText = (item: ListItem): string => {
    const own = item.children
      .filter((child) => child.type === 'paragraph')
      .map((child) => toText(child))
      .join(' ');
    const subs = item.children
      .filter((child): child is List => child.type === 'list')
      .flatMap((list) => list.children.map((sub) => itemText(sub)))
      .filter(Boolean);
    return [own.replace(/[:\s]+$/, ''), ...subs]
      .filter(Boolean)
      .join(subs.length > 0 && own ? ': ' : '; ')
      .replace(/: (.*)$/, (m, tail: string) => `: ${tail}`);
  };

  const addList = (list: List, part: Part, parents: Part[]): void => {
    const target = targetIn(part, parents);
    for (const item of list.children) {
      const text = itemText(item);
      const line = item.position?.start.line ?? part.line;
      if (item.checked !== null && item.checked !== undefined) {
        if (!page.checklist.includes(text)) page.checklist.push(text);
        continue;
      }
      const codes = item.children.filter((child): child is Code => child.type === 'code');
      const labelled = stepLabel(item);
      const nested = item.children.filter((child): child is List => child.type === 'list');
      if (labelled && target !== undefined && STEP_TARGETS.has(target)) {
        // A step as `runbook export` writes it (docs/import.md#round-trip): its id and name, then
        // its instruction or its command.
        for (const code of codes) addUnits(code, part, parents, labelled.name, labelled.id);
        // A group (for_each:) is its steps, one by one.
        if (codes.length === 0 && nested.length > 0) {
          for (const sub of nested) addList(sub, part, parents);
          continue;
        }
        if (codes.length === 0)
          addStep(
            {
              name: labelled.name,
              section: target as StepSection,
              action: {
                manual: escapeText(labelled.rest || labelled.name || labelled.id),
                guesses: [],
              },
              env: {},
              lines: [line],
            },
            labelled.name,
            labelled.id,
          );
        continue;
      }
      const own = item.children
        .filter((child) => child.type === 'paragraph')
        .map((child) => toText(child))
        .join(' ')
        .replace(/[:\s]+$/, '');
      if (
        codes.length > 0 ||
        nested.some((sub) => sub.children.some((s) => s.children.some((c) => c.type === 'code')))
      ) {
        const label = cleanTitle(own.replace(/\*\*/g, '')) || nameFrom(part, parents);
        for (const code of codes) addUnits(code, part, parents, label);
        for (const sub of nested)
          addList(sub, { ...part, title: label, depth: part.depth + 1 }, parents);
        continue;
      }
      switch (target) {
        case 'detection':
          runbook.symptoms.push(text);
          break;
        case 'postmortem':
          if (!page.checklist.includes(text)) page.checklist.push(text);
          break;
        case 'escalation':
          escalationFromText(text, page, cleanTitle(part.title));
          break;
        case 'severity':
          for (const level of text.match(SEVERITY_LEVEL) ?? []) addLevel(page, level);
          break;
        case 'diagnosis':
        case 'resolution':
        case 'verification':
        case 'rollback':
          if (text !== '')
            addStep(
              {
                name: text,
                section: target,
                action: { manual: escapeText(text), guesses: [] },
                env: {},
                lines: [line],
              },
              text,
            );
          break;
        default:
          break;
      }
    }
  };

  for (const { node, part: at, parents } of walk(part)) {
    const target = targetIn(at, parents);
    if (target === 'contents') continue;
    if (target === 'severity' || at.title.match(SEVERITY_LEVEL)) {
      for (const level of at.title.match(SEVERITY_LEVEL) ?? [])
        if (target === 'severity') addLevel(page, level);
    }
    if (target === 'escalation' && at.nodes[0] === node) escalationFromHeading(at, page);
    switch (node.type) {
      case 'code':
        addUnits(node, at, parents, nameFrom(at, parents));
        break;
      case 'list':
        addList(node, at, parents);
        break;
      case 'table':
        addTable(node, at, parents, target);
        break;
      case 'paragraph': {
        const text = toText(node);
        if (target === 'detection') runbook.symptoms.push(...text.split(/,\s*/).filter(Boolean));
        else if (target === 'escalation') escalationFromText(text, page, cleanTitle(at.title));
        else if (
          incident &&
          at.label &&
          (target === 'resolution' ||
            target === 'diagnosis' ||
            target === 'verification' ||
            target === 'rollback')
        )
          addStep(
            {
              name: text,
              section: target,
              action: { manual: escapeText(text), guesses: [] },
              env: {},
              lines: [node.position?.start.line ?? at.line],
            },
            text,
          );
        else if (!runbook.description && incident && target === undefined && text.length > 20)
          runbook.description = text;
        break;
      }
      case 'blockquote':
        for (const child of node.children)
          if (child.type === 'code') addUnits(child, at, parents, nameFrom(at, parents));
        break;
      default:
        break;
    }
  }

  function addTable(table: Table, at: Part, parents: Part[], target: Target | undefined): void {
    const rows = table.children.map((row) =>
      row.children.map((cell) => toText(cell).replace(/\*\*/g, '').trim()),
    );
    const [header = [], ...body] = rows;
    const head = header.map((cell) => cell.toLowerCase());
    if (head[0] === 'variable' && head.includes('description')) {
      variableTable(head, body, page);
      return;
    }
    if (
      head.some((cell) => /level|severity|priority/.test(cell)) &&
      body.some((row) => SEVERITY_LEVEL.test(row[0] ?? ''))
    ) {
      for (const row of body)
        for (const level of (row[0] ?? '').match(SEVERITY_LEVEL) ?? []) addLevel(page, level);
      return;
    }
    if (target === 'escalation' || head.some((cell) => /contact|role|escalat/.test(cell))) {
      const role = head.findIndex((cell) => /role|who|name|team|level/.test(cell));
      const contact = head.findIndex((cell) => /contact|phone|email|slack/.test(cell));
      for (const row of body) {
        const to = row[role >= 0 ? role : 0];
        if (!to) continue;
        const entry: EscalationDraft = { to };
        const reach = contact >= 0 ? row[contact] : undefined;
        if (reach) entry.contact = reach;
        // The columns `runbook export` writes: When (`after 15m`), Severity, Via.
        const when = /^after (\d+(?:ms|s|m|h|d))$/.exec(row[head.indexOf('when')] ?? '')?.[1];
        if (when) entry.after = when;
        const severity = row[head.indexOf('severity')];
        if (head.includes('severity') && severity) entry.severity = severity;
        const via = row[head.indexOf('via')];
        if (head.includes('via') && via) entry.via = via;
        page.escalation.push(entry);
      }
      return;
    }
    const cause = head.findIndex((cell) => /cause|problem|symptom|issue|error/.test(cell));
    const fix = head.findIndex((cell) => /fix|solution|resolution|action|remedy/.test(cell));
    if (cause >= 0 && fix >= 0) {
      table.children.slice(1).forEach((row, index) => {
        const cells = rows[index + 1] ?? [];
        const text = `If ${lowerFirst(cells[cause] ?? '')}: ${cells[fix] ?? ''}`;
        addStep(
          {
            name: text,
            section: 'resolution',
            action: { manual: escapeText(text), guesses: [] },
            env: {},
            lines: [row.position?.start.line ?? at.line],
          },
          cells[cause] ?? 'fix',
        );
      });
    }
    void parents;
  }
}

const STEP_TARGETS = new Set<Target>([
  'detection',
  'diagnosis',
  'resolution',
  'verification',
  'rollback',
]);

/** A list item that starts "`id` — name" (or only "`id`"), as `runbook export` names a step: its
 * id, its name, and the text of its other paragraphs. */
function stepLabel(item: ListItem): { id: string; name: string; rest: string } | undefined {
  const [first, ...others] = item.children;
  if (first?.type !== 'paragraph') return undefined;
  const match = /^`([a-z0-9][a-z0-9-]*)`(?: — (.+))?$/.exec(toText(first));
  if (!match?.[1]) return undefined;
  const rest = others
    .filter((child) => child.type === 'paragraph')
    .map((child) => toText(child))
    .join(' ');
  return { id: match[1], name: match[2] ?? '', rest };
}

/** A placeholder written as a variable of the page's table (`<CONVEX_URL>`, which any other page
 * would give as `convex_url`) keeps that variable's name. */
function asTableNames(
  replaced: ReturnType<typeof replacePlaceholders>,
  table: PageDraft['varTable'],
): ReturnType<typeof replacePlaceholders> {
  if (!table) return replaced;
  let { text } = replaced;
  const vars = replaced.vars.map((v) => {
    const written = /^<(.+)>$/.exec(v.written)?.[1];
    if (written === undefined || written === v.name || !table.has(written)) return v;
    text = text.split(`\${{ vars.${v.name} }}`).join(`\${{ vars.${written} }}`);
    return { ...v, name: written };
  });
  return { ...replaced, text, vars };
}

/** The table of variables `runbook export` writes: Variable | Description | Default | From. */
function variableTable(head: string[], body: string[][], page: PageDraft): void {
  const column = (row: string[], name: string): string => row[head.indexOf(name)] ?? '';
  for (const row of body) {
    const name = row[0] ?? '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
    const from = column(row, 'from')
      .split('; ')
      .filter((item) => item !== '');
    const given: NonNullable<PageDraft['varTable']> extends Map<string, infer V> ? V : never = {};
    const description = column(row, 'description');
    if (description) given.description = description;
    for (const item of from) {
      if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(item)) given.env = item.slice(1);
      else if (item === 'required') given.required = true;
      else if (item === 'secret') given.secret = true;
      else if (item.startsWith('one of ')) given.choices = item.slice(7).split(', ');
      else if (item.startsWith("the alert's ")) given.fromAlert = item.slice(12);
    }
    const value = column(row, 'default');
    if (value !== '' && !given.secret) given.default = value;
    (page.varTable ??= new Map()).set(name, given);
  }
}

function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

function addLevel(page: PageDraft, level: string): void {
  const normal = normalLevel(level);
  if (!page.severityLevels.includes(normal)) page.severityLevels.push(normal);
}

function normalLevel(level: string): string {
  return level.toUpperCase().replace(/^SEV[- ]?/, 'SEV');
}

/** `Team Lead → Engineering Manager → CTO`, `**Role**: contact`, `Escalate if not resolved in 30 minutes`. */
function escalationFromText(text: string, page: PageDraft, heading: string): void {
  const chain = text.replace(/^[^:]*:\s*/, '').split(/\s*(?:→|->|⇒)\s*/);
  if (chain.length > 1) {
    for (const to of chain) if (to.trim()) page.escalation.push({ to: to.trim() });
    return;
  }
  const after = durationIn(text);
  const last = page.escalation.at(-1);
  if (after && last && !last.after && last.to === headingRole(heading)) {
    last.after = after;
    const level = text.match(SEVERITY_LEVEL)?.[0];
    if (level) last.severity = normalLevel(level);
    return;
  }
  const role = /^([^:]{2,40}):\s*(.+)$/.exec(text);
  if (role && !/\d+\s*(?:min|hour)/i.test(text)) {
    const existing = page.escalation.find((entry) => entry.to === headingRole(heading));
    if (existing && /^(?:slack|email|phone|pager)/i.test(role[1] ?? '')) {
      existing.contact = existing.contact
        ? `${existing.contact}, ${role[2] ?? ''}`
        : (role[2] ?? '');
      return;
    }
    page.escalation.push({
      to: (role[1] ?? '').replace(/\*\*/g, '').trim(),
      contact: (role[2] ?? '').trim(),
    });
  }
}

function headingRole(heading: string): string {
  return heading.replace(/^(?:level\s*\d+\s*[:\-–]\s*|escalate to\s+)/i, '').trim();
}

/** A heading under Escalation that names a role ("Level 2: Senior Engineer", "Escalate to CTO"). */
function escalationFromHeading(part: Part, page: PageDraft): void {
  const role = headingRole(cleanTitle(part.title));
  if (part.target === 'escalation' || role === '' || role.length > 60) return;
  if (!page.escalation.some((entry) => entry.to === role)) page.escalation.push({ to: role });
}

function durationIn(text: string): string | undefined {
  const m = /(\d+)\s*(minutes?|mins?|hours?|h)\b/i.exec(text);
  if (!m) return undefined;
  return `${m[1]}${/^h/i.test(m[2] ?? '') ? 'h' : 'm'}`;
}

interface FrontMatter {
  title?: string;
  service?: string;
  owner?: string;
  tags?: string[];
  id?: string;
  severity?: string[];
  severityScheme?: string;
}

/** Front matter: title, service, owner, tags, and the id, severity and scheme of an exported
 * runbook, when it has them. */
function frontMatter(node: RootContent | undefined): FrontMatter {
  if (node?.type !== 'yaml') return {};
  try {
    const data = parseYaml(node.value, { maxAliasCount: 10 }) as Record<string, unknown> | null;
    if (!data || typeof data !== 'object') return {};
    const text = (key: string): string | undefined =>
      typeof data[key] === 'string' && data[key] !== '' ? (data[key] as string) : undefined;
    const out: FrontMatter = {};
    const title = text('title');
    if (title) out.title = title;
    const service = text('service');
    if (service) out.service = service;
    const owner = text('owner') ?? text('author');
    if (owner) out.owner = owner;
    if (Array.isArray(data.tags))
      out.tags = data.tags.filter((tag): tag is string => typeof tag === 'string');
    // What `runbook export` writes of a runbook beside its title (docs/import.md#round-trip).
    const id = text('id');
    if (id && ID_PATTERN.test(id)) out.id = id;
    const severity = Array.isArray(data.severity)
      ? data.severity.filter((level): level is string => typeof level === 'string')
      : text('severity')
        ? [text('severity') as string]
        : [];
    if (severity.length > 0) out.severity = severity;
    const scheme = text('severity_scheme');
    if (scheme) out.severityScheme = scheme;
    return out;
  } catch {
    return {};
  }
}

/** A manual step's text never holds an expression the Markdown did not mean. */
function escapeText(text: string): string {
  return text.replace(/\$\{\{/g, '$ {{');
}

const FILLER =
  /\b(?:incident|incidents|response|runbooks?|procedures?|platform|the|guide|playbook)\b/gi;

function pagePrefix(title: string): string {
  return title
    .replace(FILLER, ' ')
    .replace(/[-–—:]\s*$/, '')
    .trim();
}

export function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/`[^`]*`/g, (m) => m.slice(1, -1))
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/-{2,}/g, '-');
}

export type { Unit };
