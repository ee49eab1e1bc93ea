/**
 * `runbook import`'s core (docs/import.md): Markdown pages in, strict-valid runbook YAML and a
 * summary of what still needs a person out. Reading files and validating are handed in by the
 * command (src/cli/import-make.ts), so this layer needs only the schema.
 */
import type { Diagnostic } from '../common/errors.js';
import { buildPage } from './build.js';
import type { DraftStep, LeftForPerson, PageDraft, RunbookDraft } from './draft.js';
import { emitRunbookData } from './emit.js';
import { decodeMarkdown, MarkdownError, parseMarkdown } from './markdown.js';
import type { Repair } from './mojibake.js';

export { MarkdownError } from './markdown.js';

export interface ImportOptions {
  service: string | undefined;
  severityScheme: string | undefined;
  /** The modeline's schema path for a runbook written to `file`. */
  schemaFor: (id: string) => string | undefined;
  /** Validates one runbook as `validate --strict` does its `yaml`, which reads as `data`: its
   * diagnostics. */
  validate: (id: string, yaml: string, data: unknown) => Promise<Diagnostic[]>;
  /** Ids already taken, across the files of one import. */
  taken?: Set<string>;
}

export interface ImportedRunbook {
  id: string;
  title: string;
  yaml: string;
  steps: number;
  adapterActions: number;
  runSteps: number;
  manualSteps: number;
  vars: number;
  /** Each step: its id, section, kind and the Markdown lines it came from. */
  stepList: Array<{
    id: string;
    section: string;
    kind: 'uses' | 'run' | 'manual';
    lines: number[];
  }>;
}

export interface ImportedFile {
  /** The name `source:` uses. */
  source: string;
  runbooks: ImportedRunbook[];
  leftForPerson: LeftForPerson[];
  repaired: Repair[];
  /** Command lines of fenced blocks, each a step's or a person's. */
  commandLines: number;
}

/** A runbook the importer made but the validator refused even after every fallback: a bug. */
export class InvalidImportError extends Error {
  constructor(
    readonly id: string,
    readonly diagnostics: Diagnostic[],
  ) {
    super(
      `the runbook "${id}" the importer made is not valid: ${diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('; ')}`,
    );
    this.name = 'InvalidImportError';
  }
}

/**
 * A Markdown file read and its runbooks drafted, ids taken: what is left is to write and validate
 * each runbook (finishImport). Plain data, so that a worker thread can finish it
 * (src/cli/import-pool.ts).
 */
export interface DraftedFile {
  source: string;
  page: PageDraft;
  runbooks: RunbookDraft[];
  left: LeftForPerson[];
  repaired: Repair[];
  /** Command lines of fenced blocks, each a step's or a person's. */
  commandLines: number;
}

/** Reads one Markdown file's bytes and drafts its runbooks, their ids unique in `options.taken`
 * (which it adds them to). Throws MarkdownError for what cannot be read as Markdown. */
export function draftMarkdown(
  source: string,
  bytes: Uint8Array,
  options: Pick<ImportOptions, 'service' | 'taken'>,
): DraftedFile {
  const text = decodeMarkdown(bytes);
  const parsed = parseMarkdown(text);
  checkFences(parsed.tree, parsed.lines);
  const page = buildPage(parsed, {
    source,
    taken: options.taken ?? new Set<string>(),
    ...(options.service ? { service: options.service } : {}),
  });
  return {
    source,
    page: page.page,
    runbooks: page.runbooks,
    left: [...page.left],
    repaired: parsed.repairs,
    commandLines: new Set(page.commandLines).size,
  };
}

/** Writes and validates a drafted file's runbooks (a step the validator refuses falls back, see
 * validated()). Throws InvalidImportError for a runbook that is still not valid: a bug. */
export async function finishImport(
  drafted: DraftedFile,
  options: Omit<ImportOptions, 'taken'>,
): Promise<ImportedFile> {
  const { source } = drafted;
  const left = [...drafted.left];
  const runbooks: ImportedRunbook[] = [];
  for (const draft of drafted.runbooks) {
    const yaml = await validated(
      draft,
      (d) =>
        emitRunbookData(d, drafted.page, {
          schema: options.schemaFor(d.id),
          severityScheme: options.severityScheme,
          source,
        }),
      options.validate,
      left,
    );
    runbooks.push({
      id: draft.id,
      title: draft.title,
      yaml,
      steps: draft.steps.length,
      adapterActions: draft.steps.filter((s) => s.action.uses !== undefined).length,
      runSteps: draft.steps.filter((s) => s.action.run !== undefined).length,
      manualSteps: draft.steps.filter((s) => s.action.manual !== undefined).length,
      vars: draft.vars.size,
      stepList: draft.steps.map((step) => ({
        id: step.id,
        section: step.section,
        kind:
          step.action.uses !== undefined
            ? 'uses'
            : step.action.run !== undefined
              ? 'run'
              : 'manual',
        lines: step.lines,
      })),
    });
  }
  left.sort((a, b) => a.line - b.line);
  return {
    source,
    runbooks,
    leftForPerson: left,
    repaired: drafted.repaired,
    commandLines: drafted.commandLines,
  };
}

const STEP_PATH = /^(?:detection\.checks|diagnosis|resolution|verification|rollback)\[(\d+)\]/;

/**
 * Emits a draft and validates it; a step the validator refuses falls back, an adapter action to the
 * `run:` command it came from, a `run:` command to a manual step that shows it (and says so in the
 * summary), until the runbook is valid. One that is still not valid is a bug.
 */
async function validated(
  draft: RunbookDraft,
  emit: (draft: RunbookDraft) => { yaml: string; data: unknown },
  validate: ImportOptions['validate'],
  left: LeftForPerson[],
): Promise<string> {
  for (let round = 0; round <= draft.steps.length * 2 + 1; round++) {
    const { yaml, data } = emit(draft);
    const errors = (await validate(draft.id, yaml, data)).filter((d) => d.severity === 'error');
    if (errors.length === 0) return yaml;
    let changed = false;
    for (const error of errors) {
      const step = stepAt(draft, error);
      if (!step || demote(step, error, draft, left)) changed ||= step !== undefined;
    }
    if (!changed) throw new InvalidImportError(draft.id, errors);
  }
  throw new InvalidImportError(draft.id, []);
}

function stepAt(draft: RunbookDraft, error: Diagnostic): DraftStep | undefined {
  const match = error.path === undefined ? undefined : STEP_PATH.exec(error.path);
  if (!match) return undefined;
  const section = error.path?.startsWith('detection') ? 'detection' : error.path?.split('[')[0];
  return draft.steps.filter((step) => step.section === section)[Number(match[1])];
}

/** One fallback for a refused step; false when it has none left. */
function demote(
  step: DraftStep,
  error: Diagnostic,
  draft: RunbookDraft,
  left: LeftForPerson[],
): boolean {
  const action = step.action;
  if (action.uses !== undefined && step.fallback) {
    step.action = {
      run: step.fallback.run,
      effect: action.effect ?? 'write',
      guesses: [
        `run: the ${action.uses} action does not take this command as written (${error.message})`,
      ],
    };
    step.env = step.fallback.env;
    return true;
  }
  if (action.manual !== undefined) return false;
  const why = `the importer could not make it a valid step: ${error.message}`;
  const command = step.command ?? action.run ?? '';
  step.action = {
    manual: `Run by hand: \`${command.replace(/\$\{\{/g, '$ {{')}\` (${why}).`,
    person: why,
    guesses: [],
  };
  step.env = {};
  left.push({ line: step.lines[0] ?? draft.line, text: command, why, runbook: draft.id });
  return true;
}

/** An unterminated fence runs to the end of the page in CommonMark: refused, as almost surely a
 * mistake that would make the rest of the page one code block. */
function checkFences(tree: ReturnType<typeof parseMarkdown>['tree'], lines: string[]): void {
  const visit = (node: {
    type: string;
    children?: unknown[];
    position?: { start: { line: number; column: number }; end: { line: number } };
  }): void => {
    if (node.type === 'code' && node.position) {
      const opening = (lines[node.position.start.line - 1] ?? '').trim();
      const fence = /^(?:[-*+>]\s*|\d+[.)]\s*)*(`{3,}|~{3,})/.exec(opening)?.[1];
      if (fence) {
        const closing = (lines[node.position.end.line - 1] ?? '').trim();
        const closed =
          node.position.end.line > node.position.start.line &&
          new RegExp(`^${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`).test(
            closing.replace(/^(?:>\s*)+/, ''),
          );
        if (!closed)
          throw new MarkdownError(
            `has a code fence (${fence}) opened at line ${node.position.start.line} that is never closed`,
            node.position.start.line,
          );
      }
    }
    for (const child of node.children ?? []) visit(child as typeof node);
  };
  visit(tree as unknown as Parameters<typeof visit>[0]);
}
