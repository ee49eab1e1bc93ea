import type { Diagnostic } from '../common/errors.js';
import { SECTIONS, type Runbook, type Section, type Step } from './runbook.js';
import { suggest } from './suggest.js';
import type { PathSegment, YamlSource } from './yaml-source.js';

/**
 * Sub-runbooks (docs/format.md#sub-runbooks): a step that `call:`s another runbook, or one section
 * of one, `with:` values for its vars. What a call names and what it reaches; the checks that need
 * the other runbooks (unknown ids, `with:` against the vars they declare, cycles).
 */

/** What a `call:` names: a runbook, and one of its sections or (undefined) the whole of it. */
export interface CallTarget {
  runbook: string;
  section: Section | undefined;
}

/** The deepest chain of calls a run follows; validation refuses cycles long before. */
export const MAX_CALL_DEPTH = 16;

/** The target of a step's `call:`, or undefined when it has none (or names no section there is). */
export function callTarget(call: Step['call']): CallTarget | undefined {
  if (call === undefined) return undefined;
  if (typeof call !== 'string') return { runbook: call.runbook, section: call.section };
  const [runbook = '', section] = call.split('#');
  if (section !== undefined && !(SECTIONS as readonly string[]).includes(section)) return undefined;
  return { runbook, section: section as Section | undefined };
}

/** How a call is written in messages and in the view: `id` or `id#section`. */
export function callLabel(target: CallTarget): string {
  return target.section ? `${target.runbook}#${target.section}` : target.runbook;
}

/** The steps of `runbook` one section at a time, for a call of `section` (or of all of them). */
export function sectionSteps(runbook: Runbook, section: Section): Step[] {
  return (section === 'detection' ? runbook.detection?.checks : runbook[section]) ?? [];
}

/** A step id inside a call: the calling step's id, `/`, the called step's id (`restart-db/drain`).
 * Runbook ids never hold `/`, so an id with one is always a called step. */
export function calledId(prefix: string, id: string): string {
  return prefix === '' ? id : `${prefix}/${id}`;
}

/** How deep a step id is in calls: 0 for the runbook's own steps. */
export function callDepth(id: string): number {
  let depth = 0;
  for (const char of id) if (char === '/') depth++;
  return depth;
}

/** Finds a runbook by id in the catalog: the one place a call is resolved. */
export type RunbookLookup = (id: string) => Runbook | undefined;

/** One step of a runbook with those of the runbooks it calls, depth first, in run order: each with
 * its id as a run reports it (`restart-db/drain`) and how deep it is. Calls that cannot be resolved
 * are left out (validation reports them). */
export interface ExpandedStep {
  id: string;
  section: Section;
  step: Step;
  depth: number;
  /** The runbook the step is written in. */
  runbook: Runbook;
}

export function expandSteps(
  runbook: Runbook,
  lookup: RunbookLookup,
  only?: Section,
  prefix = '',
  depth = 0,
): ExpandedStep[] {
  const out: ExpandedStep[] = [];
  // A called resolution or verification brings the called runbook's rollback, run on a failure.
  const sections: readonly Section[] = !only
    ? SECTIONS
    : only === 'resolution' || only === 'verification'
      ? [only, 'rollback']
      : [only];
  for (const section of sections)
    for (const step of sectionSteps(runbook, section)) {
      const id = calledId(prefix, step.id);
      out.push({ id, section, step, depth, runbook });
      const target = callTarget(step.call);
      const called = target && lookup(target.runbook);
      if (called && depth < MAX_CALL_DEPTH)
        out.push(...expandSteps(called, lookup, target.section, id, depth + 1));
    }
  return out;
}

/** The ids of the runbooks a runbook's calls reach, itself excluded unless it calls itself. */
export function calledRunbooks(runbook: Runbook, lookup: RunbookLookup): Set<string> {
  const seen = new Set<string>();
  const visit = (from: Runbook): void => {
    for (const { target } of callSites(from)) {
      if (seen.has(target.runbook)) continue;
      seen.add(target.runbook);
      const next = lookup(target.runbook);
      if (next) visit(next);
    }
  };
  visit(runbook);
  return seen;
}

/** A call in a runbook: where it is, and what it names. */
export interface CallSite {
  section: Section;
  index: number;
  step: Step;
  target: CallTarget;
}

export function callSites(runbook: Runbook): CallSite[] {
  const sites: CallSite[] = [];
  for (const section of SECTIONS)
    sectionSteps(runbook, section).forEach((step, index) => {
      const target = callTarget(step.call);
      if (target) sites.push({ section, index, step, target });
    });
  return sites;
}

/** A problem with a call, at a path of the calling runbook's file. */
export interface CallProblem {
  path: PathSegment[];
  /** The key of `with:` it is about, for a position on the key rather than its value. */
  key?: string;
  message: string;
  hint?: string;
}

/** The path of a step in its file. */
function stepPath(section: Section, index: number): PathSegment[] {
  return section === 'detection' ? ['detection', 'checks', index] : [section, index];
}

type Scalar = string | number | boolean | null;

/** The checks of a runbook's calls that need the catalog: the runbooks they name exist (else the
 * closest id), the section named has steps, `with:` gives only vars the called runbook declares and
 * every required one without a default or an environment variable, and no call comes back to
 * itself. `ids`: every runbook id of the catalog, for did-you-mean. */
export function checkCalls(
  runbook: Runbook,
  lookup: RunbookLookup,
  ids: readonly string[],
  /** Runbooks known to be there but invalid (their files' errors say why): not reported here. */
  invalid: ReadonlySet<string> = new Set(),
): CallProblem[] {
  const problems: CallProblem[] = [];
  for (const site of callSites(runbook)) {
    const path = stepPath(site.section, site.index);
    const { target, step } = site;
    const called = lookup(target.runbook);
    if (!called && invalid.has(target.runbook)) continue;
    if (!called) {
      const near = suggest(target.runbook, ids);
      problems.push({
        path: [...path, 'call'],
        message: `call: no runbook with id "${target.runbook}"`,
        hint: near ? `did you mean "${near}"?` : 'list them with: runbook list',
      });
      continue;
    }
    if (target.section && sectionSteps(called, target.section).length === 0) {
      const has = SECTIONS.filter((section) => sectionSteps(called, section).length > 0);
      problems.push({
        path: [...path, 'call'],
        message: `call: runbook ${called.id} has no ${target.section} steps`,
        hint: has.length > 0 ? `its sections with steps: ${has.join(', ')}` : 'it has no steps',
      });
    }
    const declared = called.vars ?? {};
    const names = Object.keys(declared);
    const given = step.with ?? {};
    for (const [name, value] of Object.entries(given)) {
      if (!Object.hasOwn(declared, name)) {
        const near = suggest(name, names);
        problems.push({
          path: [...path, 'with'],
          key: name,
          message: `call: runbook ${called.id} declares no variable "${name}"`,
          hint: near
            ? `did you mean "${near}"?`
            : names.length > 0
              ? `its variables: ${names.join(', ')}`
              : 'it declares no variables',
        });
        continue;
      }
      const definition = declared[name];
      const choices =
        definition !== null && typeof definition === 'object' ? definition.choices : undefined;
      if (choices && isScalar(value) && !isTemplate(value) && !choices.includes(value))
        problems.push({
          path: [...path, 'with', name],
          message: `call: ${called.id}'s ${name} is one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, not ${JSON.stringify(value)}`,
        });
    }
    for (const [name, definition] of Object.entries(declared)) {
      if (definition === null || typeof definition !== 'object') continue;
      if (!definition.required || definition.default !== undefined) continue;
      if (definition.env !== undefined || Object.hasOwn(given, name)) continue;
      problems.push({
        path: [...path, 'call'],
        message: `call: runbook ${called.id} needs a value for ${name}: give it under with:`,
        hint: `with: { ${name}: … }`,
      });
    }
    const cycle = cycleThrough(runbook.id, site, lookup);
    if (cycle)
      problems.push({
        path: [...path, 'call'],
        message: `call cycle: ${cycle.join(' → ')}`,
        hint: 'a runbook cannot call itself, directly or through others',
      });
  }
  return problems;
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function isTemplate(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${{');
}

/** What runs when a runbook is called: all of it, or one section. */
interface Node {
  runbook: string;
  section: Section | undefined;
}

const nodeKey = (node: Node): string => callLabel(node);

/** The chain of calls by which the call at `site` (in runbook `from`) comes back to that step,
 * as labels from the caller to where it came back; undefined when it never does. */
function cycleThrough(from: string, site: CallSite, lookup: RunbookLookup): string[] | undefined {
  // The site runs again when its runbook runs whole, or its section alone.
  const back = (node: Node): boolean =>
    node.runbook === from && (node.section === undefined || node.section === site.section);
  const start: Node = site.target;
  const parents = new Map<string, string | undefined>([[nodeKey(start), undefined]]);
  const queue: Node[] = [start];
  while (queue.length > 0) {
    const node = queue.shift() as Node;
    if (back(node)) {
      const chain: string[] = [];
      for (let key: string | undefined = nodeKey(node); key !== undefined; key = parents.get(key))
        chain.unshift(key);
      return [`${from} (step ${site.step.id})`, ...chain];
    }
    const runbook = lookup(node.runbook);
    if (!runbook) continue;
    for (const next of callSites(runbook)) {
      if (node.section !== undefined && next.section !== node.section) continue;
      const key = nodeKey(next.target);
      if (parents.has(key)) continue;
      parents.set(key, nodeKey(node));
      queue.push(next.target);
    }
  }
  return undefined;
}

/** Call problems as diagnostics of the calling runbook's file, positioned in `source`. */
export function callDiagnostics(
  source: YamlSource,
  problems: readonly CallProblem[],
): Diagnostic[] {
  return problems.map((problem) =>
    source.diagnosticAtPath(problem.path, problem.message, {
      ...(problem.hint ? { hint: problem.hint } : {}),
      ...(problem.key ? { key: problem.key } : {}),
    }),
  );
}
