import type { Diagnostic } from '../common/errors.js';
import { EFFECT_RANK, type CodeInputs, type Effect } from '../adapters/adapter.js';
import type { LoadedAdapters } from '../adapters/registry.js';
import { ANSWER_OUTPUT, MANUAL_OUTPUTS } from './answers.js';
import { PROCESS_OUTPUTS } from '../adapters/outputs.js';
import {
  hasTemplate,
  referencedNames,
  referencedOutputs,
  referencedOwnOutputs,
  templateExpressions,
  type Expressions,
} from './expressions.js';
import { ID_PATTERN, SECTIONS, VAR_NAME_PATTERN } from './runbook.js';
import { checkShellValues } from './semantics-shell.js';
import { checkEscalation, type EscalationStep } from './semantics-escalation.js';
import { checkAlertMatchers } from './semantics-alerts.js';
import { checkLoop, loopNames, loopOutputProblem } from './semantics-loops.js';
import { LINT_RULES, LINT_RULE_IDS, findSecret, maskSecret, type LintRule } from './lint.js';
import {
  resolveScheme,
  schemeProblems,
  suggestLevel,
  type SchemeDefinition,
  type SchemeReference,
} from './severity.js';
import { suggest } from './suggest.js';
import { accepts } from './zod-accept.js';
import { diagnosticsFromZod, zodIssues } from './zod-diagnostics.js';
import type { PathSegment, YamlSource } from './yaml-source.js';
import { hasGuidance } from './guidance.js';

export interface SemanticOptions {
  /** The adapters the runbook's steps name, loaded (`AdapterRegistry.load`). */
  adapters: LoadedAdapters;
  /** The expression language, with RE2 when the runbook has patterns (`loadExpressions`). */
  expressions: Expressions;
  schemes: Record<string, string[]>;
  defaultScheme: string;
  /** `validate --strict`: destructive steps need a guard; the id must match the file name. */
  strict: boolean;
  /** The file name without extension, for the id check. */
  fileId: string | undefined;
  /** The hosts configured for `on:` (runbook.config.yaml `hosts:`, and the inventory's). */
  hosts: readonly string[];
  /** The inventory's groups (`for_each: { group }`); absent without an inventory. */
  groups?: readonly string[];
}

type Raw = Record<string, unknown>;
const isObject = (value: unknown): value is Raw =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

export interface RawStep {
  path: PathSegment[];
  step: Raw;
  /** A step of a for_each: group: the loop step it belongs to. */
  group?: Raw;
}

/** Rules that need the adapter registry, the config or the whole document. Works on raw data so
 * that it reports alongside the structural errors, not after them. */
const RE2_HINT =
  'patterns are RE2 (linear time): no backreferences (\\1) and no lookaround ((?=…), (?!…), (?<=…))';

/** What validation finds in one expression, whatever file it is in: its syntax or type problem,
 * the problems of the patterns it holds, and the steps and variables it names. */
interface ExpressionFindings {
  syntax: string | undefined;
  /** The type checker's problem, else the problem of evaluating it when it refers to nothing. */
  types: string | undefined;
  patterns: string[];
  steps: string[];
  /** The outputs of steps it reads: [step, output]. */
  outputs: Array<[string, string]>;
  /** The step's own outputs it reads (`outputs.NAME`). */
  own: string[];
  vars: string[];
}

/** Findings by where an expression sits (whether it sees `outputs`, is a condition), then by
 * its text: the same text in many steps and files is checked once. */
const findings = [0, 1, 2, 3].map(() => new Map<string, ExpressionFindings>());
const FINDINGS_KEPT = 20_000;

function analyzeExpression(
  expressions: Expressions,
  sourceText: string,
  outputs: boolean,
  condition: boolean,
  extra: readonly string[] = [],
): ExpressionFindings {
  const known = findings[(outputs ? 2 : 0) + (condition ? 1 : 0)] as Map<
    string,
    ExpressionFindings
  >;
  const key = extra.length > 0 ? `${extra.join(',')}\n${sourceText}` : sourceText;
  let found = known.get(key);
  if (found) return found;
  const syntax = expressions.checkSyntax(sourceText);
  found = syntax
    ? { syntax, types: undefined, patterns: [], steps: [], outputs: [], own: [], vars: [] }
    : {
        syntax: undefined,
        types:
          expressions.checkTypes(sourceText, outputs, condition, extra) ??
          expressions.checkConstant(sourceText),
        patterns: expressions
          .literalPatterns(sourceText)
          .flatMap((pattern) => expressions.regex.problem(pattern) ?? []),
        steps: referencedNames(sourceText, 'steps'),
        outputs: referencedOutputs(sourceText),
        own: outputs ? referencedOwnOutputs(sourceText) : [],
        vars: referencedNames(sourceText, 'vars'),
      };
  if (known.size >= FINDINGS_KEPT) known.clear();
  known.set(key, found);
  return found;
}

/** A step's actions: it has exactly one. */
const ACTIONS = ['run', 'uses', 'manual', 'call'] as const;
/** The keys of a step whose strings may hold `${{ }}`, besides its expressions. */
const TEMPLATED_KEYS = ['run', 'with', 'manual', 'name', 'env'] as const;

type At = (
  path: PathSegment[],
  message: string,
  extra?: Partial<Diagnostic> & { key?: string },
) => void;

/** A manual step's question (docs/format.md#answers): `input:` or `choices:`, on a manual step,
 * with an RE2 pattern, a name of its own and choices each once. */
function checkQuestion(path: PathSegment[], step: Raw, expressions: Expressions, at: At): void {
  const asks = (['input', 'choices'] as const).filter((key) => step[key] !== undefined);
  if (asks.length === 0) return;
  if (step.manual === undefined)
    at([...path, asks[0] ?? 'input'], `${asks[0] ?? 'input'}: only goes with manual:`, {
      hint: 'a person answers it at a manual step',
    });
  if (asks.length > 1)
    at([...path, 'choices'], 'a step asks for input: or for choices:, not both', {
      hint: 'keep choices: for a pick from a list, input: for free text',
    });
  if (isObject(step.input)) {
    const { pattern, name } = step.input;
    if (typeof pattern === 'string' && pattern !== '') {
      const problem = expressions.regex.problem(pattern);
      if (problem) at([...path, 'input', 'pattern'], problem, { hint: RE2_HINT });
    }
    if (typeof name === 'string' && (MANUAL_OUTPUTS as readonly string[]).includes(name))
      at(
        [...path, 'input', 'name'],
        `"${name}" is already an output of every manual step: the answer needs a name of its own`,
        { hint: `its answer is outputs.${ANSWER_OUTPUT} without a name` },
      );
  }
  if (Array.isArray(step.choices)) {
    const seen = new Set<string>();
    step.choices.forEach((choice, index) => {
      const value = isObject(choice) ? choice.value : choice;
      if (typeof value !== 'string') return;
      if (seen.has(value))
        at([...path, 'choices', index], `choice "${value}" is given twice`, {
          hint: 'each choice once',
        });
      seen.add(value);
    });
  }
}

export function checkSemantics(
  source: YamlSource,
  data: unknown,
  options: SemanticOptions,
): Diagnostic[] {
  if (!isObject(data)) return [];
  const out: Diagnostic[] = [];
  const { expressions } = options;
  // The rules `lint: ignore:` switches off, known first: a finding it drops is never placed, for
  // placing one parses the file with the library (docs/performance.md). Its own problems are
  // reported last, as they always were.
  const ignoreProblems: Diagnostic[] = [];
  const ignored = checkIgnores(data, (path, message, extra) =>
    ignoreProblems.push(source.diagnosticAtPath(path, message, extra)),
  );
  const at = (
    path: PathSegment[],
    message: string,
    extra: Partial<Diagnostic> & { key?: string } = {},
  ): void => {
    if (extra.rule !== undefined && ignored.has(extra.rule)) return;
    out.push(source.diagnosticAtPath(path, message, extra));
  };

  /** A lint rule's finding: an error under --strict (docs/lint.md), else nothing. */
  const lint = (
    rule: LintRule,
    path: PathSegment[],
    message: string,
    extra: Partial<Diagnostic> & { key?: string } = {},
  ): void => {
    if (options.strict) at(path, message, { hint: LINT_RULES[rule].hint, ...extra, rule });
  };

  const steps = collectSteps(data);
  // With no steps, a runbook is documentation only: it must then carry guidance (guidance.ts).
  if (steps.length === 0 && !hasGuidance(data)) {
    at([], 'a runbook needs at least one step or detection check, or guidance', {
      hint: 'add diagnosis:, resolution: or detection.checks:; or, for a documentation-only runbook, summary:, description:, detection.symptoms:, escalation: or references:',
    });
  }

  const varNames = isObject(data.vars) ? Object.keys(data.vars) : [];
  const secretVars = isObject(data.vars)
    ? Object.entries(data.vars).flatMap(([name, definition]) =>
        isObject(definition) && definition.secret === true ? [name] : [],
      )
    : [];
  const stepIds = new Map<string, PathSegment[]>();
  for (const { path, step } of steps) {
    if (typeof step.id !== 'string') continue;
    const previous = stepIds.get(step.id);
    if (previous)
      at(
        [...path, 'id'],
        `duplicate step id "${step.id}" (also at ${formatLocation(source, previous)})`,
        { hint: 'step ids must be unique in a runbook' },
      );
    else stepIds.set(step.id, path);
  }
  /** for_each: steps, whose outputs are their items' (LOOP_OUTPUTS), by id and alias. */
  const loopIds = new Set<string>();
  /** A group's steps, by id and alias: the id of their for_each: step. */
  const groupOf = new Map<string, string>();
  for (const { step, group } of steps) {
    if (typeof step.id !== 'string') continue;
    if (step.for_each !== undefined) loopIds.add(step.id).add(step.id.replace(/-/g, '_'));
    if (typeof group?.id === 'string')
      groupOf.set(step.id, group.id).set(step.id.replace(/-/g, '_'), group.id);
  }
  const byAlias = new Map<string, string>();
  for (const [id, path] of stepIds) {
    const key = id.replace(/_/g, '-');
    const other = byAlias.get(key);
    if (other === undefined) byAlias.set(key, id);
    else
      lint(
        'step-id-dash-underscore',
        [...path, 'id'],
        `step ids "${other}" and "${id}" differ only by - and _: both are steps.${key.replace(/-/g, '_')} in an expression`,
      );
  }
  /** `my-step` is also `my_step` in an expression. */
  const alias = (id: string): string => (id.includes('-') ? id.replace(/-/g, '_') : id);
  const referable = new Set<string>();
  for (const id of stepIds.keys()) referable.add(id).add(alias(id));
  // Where each step runs in the order of a run (detection, diagnosis, … rollback), by id and alias.
  const order = new Map<string, number>();
  steps.forEach(({ step }, index) => {
    if (typeof step.id !== 'string' || order.has(step.id)) return;
    order.set(step.id, index);
    order.set(alias(step.id), index);
  });

  // A manual step's outputs are known in full: its instruction, who acknowledged it and when, its
  // answer when it asks (docs/format.md#answers), and what its dry_run: assumes.
  const manualOutputs = new Map<string, string[]>();
  for (const { step } of steps) {
    if (typeof step.id !== 'string' || step.manual === undefined) continue;
    const names: string[] = [...MANUAL_OUTPUTS];
    if (step.input !== undefined || step.choices !== undefined) names.push(ANSWER_OUTPUT);
    if (isObject(step.input) && typeof step.input.name === 'string') names.push(step.input.name);
    if (isObject(step.dry_run) && isObject(step.dry_run.outputs))
      names.push(...Object.keys(step.dry_run.outputs));
    manualOutputs.set(step.id, names);
    manualOutputs.set(alias(step.id), names);
  }

  // Every other step's outputs, when known: what its action declares (src/adapters/outputs.ts),
  // plus its captures. A third-party action's are not known, and not checked.
  const stepOutputs = new Map<string, { names: string[]; of: string; action: string[] }>();
  for (const { step } of steps) {
    if (typeof step.id !== 'string' || step.manual !== undefined) continue;
    const declared = declaredOutputs(step, options.adapters);
    if (!declared) continue;
    const names = [...declared.names, ...(isObject(step.capture) ? Object.keys(step.capture) : [])];
    const known = { names, of: declared.of, action: declared.names };
    stepOutputs.set(step.id, known);
    stepOutputs.set(alias(step.id), known);
  }
  /** The step's outputs has no `output`: the diagnostic's message and hint. */
  const noOutput = (
    stepName: string,
    output: string,
    sourceText: string,
  ): [string, { hint: string }] | undefined => {
    const manual = manualOutputs.get(stepName);
    const other = stepOutputs.get(stepName);
    const known = manual ?? other?.names;
    if (!known || known.includes(output)) return undefined;
    const guess = suggest(output, known);
    const what = manual ? `manual step "${stepName}"` : `step "${stepName}" (${other?.of ?? ''})`;
    return [
      `${what} has no output "${output}"${sourceText ? ` in \`${sourceText}\`` : ''}`,
      { hint: guess ? `did you mean "${guess}"?` : `its outputs: ${known.join(', ')}` },
    ];
  };

  /** Where an expression sits: in which step (by run order), and whether it sees `outputs`. */
  interface Scope {
    step?: { index: number; id: string } | undefined;
    outputs?: boolean;
    /** In a capture: its name, and the captures evaluated after it (itself first), which it
     * cannot read yet. */
    capture?: { name: string; later: string[] };
    /** A condition (when, until, expect): it must be able to be true. */
    condition?: boolean;
    /** In a for_each: step or its group: the item's name and `loop`. */
    extra?: readonly string[];
    /** In a for_each: group: the loop step's id. */
    group?: string | undefined;
  }
  /** An unknown step: the nearest id of a step that runs before this one (in the way an
   * expression writes it), else of one that runs after, said so. */
  const unknownStepHint = (name: string, scope: Scope): { hint?: string } => {
    const before: string[] = [];
    const after: string[] = [];
    for (const [id, index] of order) {
      if (id.includes('-')) continue; // its alias is listed too, and is how an expression says it
      (scope.step === undefined || index < scope.step.index ? before : after).push(id);
    }
    const earlier = suggest(name, before);
    if (earlier) return { hint: `did you mean "${earlier}"?` };
    const later = suggest(name, after);
    if (later && scope.step)
      return {
        hint: `did you mean "${later}"? it runs after "${scope.step.id}", so it has no value here yet`,
      };
    return later ? { hint: `did you mean "${later}"?` } : {};
  };
  const checkExpression = (
    path: PathSegment[],
    expression: string,
    bare: boolean,
    scope: Scope = {},
  ): void => {
    const sources: string[] = [];
    if (bare) {
      if (expression === '') return; // the schema says "must not be empty"
      sources.push(expression);
    } else if (hasTemplate(expression)) {
      try {
        sources.push(...templateExpressions(expression));
      } catch (error) {
        at(path, (error as Error).message);
        return;
      }
    }
    for (const sourceText of sources) {
      const hyphenated = hyphenatedStep(sourceText, stepIds);
      if (hyphenated) {
        // `steps.my-step` reads as `steps.my - step`: one problem, said as the fix.
        at(
          path,
          `\`${sourceText}\`: "-" is a minus in an expression, so step "${hyphenated}" is written steps.${hyphenated.replace(/-/g, '_')}`,
        );
        continue;
      }
      const found = analyzeExpression(
        expressions,
        sourceText,
        scope.outputs === true,
        bare && scope.condition === true,
        scope.extra,
      );
      if (found.syntax) {
        at(path, found.syntax);
        continue;
      }
      if (found.types) at(path, found.types);
      for (const patternProblem of found.patterns)
        at(path, `\`${sourceText}\`: ${patternProblem}`, { hint: RE2_HINT });
      for (const name of found.steps) {
        if (!referable.has(name)) {
          at(path, `unknown step "${name}" in \`${sourceText}\``, unknownStepHint(name, scope));
          continue;
        }
        const referenced = order.get(name);
        if (scope.step === undefined || referenced === undefined) continue;
        if (referenced === scope.step.index)
          at(path, `step "${scope.step.id}" refers to itself in \`${sourceText}\``, {
            hint: scope.outputs
              ? 'its own results are outputs.<name> here'
              : 'a step can read only the steps that ran before it',
          });
        else if (referenced > scope.step.index)
          at(
            path,
            `step "${name}" runs after "${scope.step.id}": \`${sourceText}\` has no value yet`,
            {
              hint: 'a step can read only the steps that ran before it; move one of them',
            },
          );
      }
      for (const [stepName, output] of found.outputs) {
        const inGroup = groupOf.get(stepName);
        if (inGroup !== undefined && inGroup !== scope.group) {
          at(
            path,
            `step "${stepName}" runs for each item of "${inGroup}": \`${sourceText}\` has no one value`,
            {
              hint: `read steps.${inGroup.replace(/-/g, '_')}.outputs.items[i].outputs.${stepName}`,
            },
          );
          continue;
        }
        if (loopIds.has(stepName)) {
          const problem = loopOutputProblem(stepName, output, sourceText);
          if (problem) at(path, ...problem);
          continue;
        }
        const problem = noOutput(stepName, output, sourceText);
        if (problem) at(path, ...problem);
      }
      if (scope.step !== undefined)
        for (const output of found.own) {
          const problem = noOutput(scope.step.id, output, sourceText);
          if (problem) at(path, ...problem);
          else if (scope.capture) {
            const { name, later } = scope.capture;
            // Captures are evaluated in order, each seeing those before it: a later one (or
            // itself) has no value yet, unless the action gives an output of that name.
            const action = stepOutputs.get(scope.step.id)?.action;
            if (action && !action.includes(output) && later.includes(output))
              at(
                path,
                output === name
                  ? `capture "${name}" reads itself in \`${sourceText}\``
                  : `capture "${name}" reads outputs.${output}, captured after it, in \`${sourceText}\``,
                {
                  hint: `captures are evaluated in order, each seeing the ones above it${output === name ? '' : `: move "${output}" above "${name}"`}`,
                },
              );
          }
        }
      for (const name of found.vars) {
        if (!varNames.includes(name)) {
          const guess = suggest(name, varNames);
          at(path, `unknown variable "${name}" in \`${sourceText}\``, {
            hint: guess ? `did you mean "${guess}"?` : `declare it under vars:`,
          });
        }
      }
    }
  };
  /** Every `${{ }}` in the strings of a value. `path` is grown and shrunk on the way (it is a copy
   * that is the caller's), and copied for a string with an expression. */
  const checkStrings = (path: PathSegment[], value: unknown, scope: Scope = {}): void => {
    if (typeof value === 'string') {
      if (hasTemplate(value)) checkExpression([...path], value, false, scope);
    } else if (Array.isArray(value))
      for (let index = 0; index < value.length; index++) {
        path.push(index);
        checkStrings(path, value[index], scope);
        path.pop();
      }
    else if (isObject(value))
      for (const key of Object.keys(value)) {
        path.push(key);
        checkStrings(path, value[key], scope);
        path.pop();
      }
  };

  // The steps an escalation rule may name, and whether each waits for a person.
  const escalationSteps: EscalationStep[] = [];
  for (let index = 0; index < steps.length; index++) {
    const { path, step, group } = steps[index] as RawStep;
    const stepAt: Scope['step'] = typeof step.id === 'string' ? { index, id: step.id } : undefined;
    // A for_each: step's expressions, and its group's, see the item (semantics-loops.ts).
    const extra = loopNames(group ?? step);
    const inGroup = typeof group?.id === 'string' ? group.id : undefined;
    const here: Scope = { step: stepAt, extra, group: inGroup };
    const own: Scope = { step: stepAt, outputs: true, extra, group: inGroup };
    const ownCondition: Scope = {
      step: stepAt,
      outputs: true,
      condition: true,
      extra,
      group: inGroup,
    };
    checkLoop(path, step, group, options.groups, at);
    if (step.for_each !== undefined && typeof step.for_each === 'string')
      checkExpression([...path, 'for_each'], step.for_each, false, {
        step: stepAt,
        group: inGroup,
      });
    const actions = ACTIONS.filter((key) => step[key] !== undefined);
    if (actions.length === 0 && step.steps === undefined)
      at(path, 'a step needs one of run:, uses:, manual: or call:');
    else if (actions.length > 1)
      at(
        [...path, actions[1] ?? 'run'],
        `a step has exactly one action, but this one has ${actions.join(' and ')}`,
        { hint: 'split it into two steps' },
      );
    if (step.with !== undefined && step.uses === undefined && step.call === undefined)
      at([...path, 'with'], 'with: only goes with uses: or call:');
    if (step.call !== undefined) checkCallStep(path, step, at);
    checkQuestion(path, step, expressions, at);

    // An empty one is the schema's to report ("must not be empty"), once.
    if (typeof step.on === 'string' && step.on !== '') {
      // An expression is resolved as the step runs (docs/format.md#loops-and-targets).
      if (hasTemplate(step.on)) checkStrings([...path, 'on'], step.on, here);
      else checkHost([...path, 'on'], step, options.hosts, at);
    }

    let actionEffect: Effect | undefined;
    if (typeof step.uses === 'string' && step.uses.includes('.')) {
      const [adapterName = '', actionName = ''] = step.uses.split('.');
      const adapter = options.adapters.adapter(adapterName);
      const action =
        adapter && Object.hasOwn(adapter.actions, actionName)
          ? adapter.actions[actionName]
          : undefined;
      if (!adapter) {
        const names = options.adapters.names();
        const guess = suggest(adapterName, names);
        at([...path, 'uses'], `unknown adapter "${adapterName}"`, {
          hint: guess ? `did you mean "${guess}.${actionName}"?` : `adapters: ${names.join(', ')}`,
        });
      } else if (!action) {
        const names = Object.keys(adapter.actions);
        const guess = suggest(actionName, names);
        at([...path, 'uses'], `${adapterName} has no action "${actionName}"`, {
          hint: guess ? `did you mean "${adapterName}.${guess}"?` : `actions: ${names.join(', ')}`,
        });
      } else {
        actionEffect = action.effect;
        if (action.local && step.on !== undefined)
          at([...path, 'on'], `${step.uses} runs here, not over ssh: on: does not apply to it`, {
            hint: 'remove on:, or make the request from that host with a run: step',
          });
        const input = isObject(step.with) ? step.with : {};
        if (action.codeInputs)
          out.push(
            ...checkCodeInputs(source, [...path, 'with'], input, action.codeInputs, options),
          );
        // Most inputs are surely valid, but for their templated values, whose issues are dropped
        // below: zod is asked only about the others.
        const result = accepts(action.input, input, isTemplateString)
          ? undefined
          : action.input.safeParse(input);
        if (result && !result.success) {
          const issues = zodIssues(result).filter(
            (issue) => !isTemplated(input, issue.path as PathSegment[]),
          );
          out.push(
            ...diagnosticsFromZod(source, issues, action.input, [...path, 'with']).map((d) =>
              d.message.startsWith('missing required key') && !source.has([...path, 'with'])
                ? {
                    ...d,
                    message: `${step.uses as string} needs with.${d.path?.split('.').pop() ?? ''}`,
                  }
                : d,
            ),
          );
        }
      }
    } else if (step.run !== undefined) actionEffect = 'write';

    const declared = typeof step.effect === 'string' ? (step.effect as Effect) : undefined;
    if (
      declared &&
      actionEffect &&
      step.uses !== undefined &&
      EFFECT_RANK[declared] < EFFECT_RANK[actionEffect]
    ) {
      at(
        [...path, 'effect'],
        `${String(step.uses)} is ${actionEffect}; a step may raise its effect but not lower it`,
      );
    }
    const effect = declared ?? actionEffect;
    if (typeof step.id === 'string')
      escalationSteps.push({
        id: step.id,
        manual: step.manual !== undefined,
        confirm: step.confirm === true,
        effect,
        approval: step.approval !== undefined,
      });
    if (effect === 'destructive' && step.when === undefined && step.confirm !== true)
      lint(
        'destructive-without-guard',
        [...path, 'id'],
        `destructive step "${String(step.id)}" has no guard`,
      );
    if (
      typeof step.uses === 'string' &&
      /^(?:http|curl)\./.test(step.uses) &&
      step.timeout === undefined &&
      !(isObject(step.with) && step.with.timeout !== undefined)
    )
      lint(
        'http-without-timeout',
        [...path, 'uses'],
        `${step.uses} step "${String(step.id)}" has no timeout`,
      );
    if (options.strict) {
      for (const key of ['run', 'with', 'env'] as const)
        for (const [where, { what, found }] of secretsIn([...path, key], step[key])) {
          lint('literal-secret', where, `this looks like ${what}, written into the runbook`);
          const shown = out.at(-1);
          if (shown?.sourceLine !== undefined)
            shown.sourceLine = maskSecret(shown.sourceLine, found);
        }
      if (typeof step.when === 'string' && alwaysFalse(step.when, expressions))
        lint(
          'unreachable-step',
          [...path, 'when'],
          `step "${String(step.id)}" never runs: \`${step.when}\` is always false`,
        );
    }

    for (const key of ['when'] as const)
      if (typeof step[key] === 'string')
        checkExpression([...path, key], step[key], true, { step: stepAt, condition: true });
    if (isObject(step.retry) && typeof step.retry.until === 'string')
      checkExpression([...path, 'retry', 'until'], step.retry.until, true, ownCondition);
    if (isObject(step.capture)) {
      const names = Object.keys(step.capture);
      names.forEach((name, at) => {
        const expr = (step.capture as Raw)[name];
        if (typeof expr === 'string')
          checkExpression([...path, 'capture', name], expr, true, {
            ...own,
            capture: { name, later: names.slice(at) },
          });
      });
    }
    if (typeof step.expect === 'string')
      checkExpression([...path, 'expect'], step.expect, true, ownCondition);
    if (Array.isArray(step.expect))
      step.expect.forEach(
        (expr, i) =>
          typeof expr === 'string' &&
          checkExpression([...path, 'expect', i], expr, true, ownCondition),
      );
    if (typeof step.id === 'string' && step.manual === undefined) {
      if (isObject(step.expect))
        for (const key of Object.keys(step.expect)) {
          if (key === '__proto__') continue; // reported below
          const problem = noOutput(step.id, key.split(/[.[]/)[0] ?? key, '');
          if (problem) at([...path, 'expect'], problem[0], { ...problem[1], key });
        }
      if (isObject(step.dry_run) && isObject(step.dry_run.outputs))
        for (const key of Object.keys(step.dry_run.outputs)) {
          if (key === '__proto__') continue; // reported below
          const problem = noOutput(step.id, key, '');
          if (problem)
            at([...path, 'dry_run', 'outputs'], `dry_run: ${problem[0]}`, { ...problem[1], key });
        }
    }
    if (isObject(step.expect)) {
      for (const [key, value] of Object.entries(step.expect)) {
        if (isObject(value) && typeof value.matches === 'string') {
          const problem = expressions.regex.problem(value.matches);
          if (problem) at([...path, 'expect', key, 'matches'], problem, { hint: RE2_HINT });
        }
      }
    }
    for (const key of TEMPLATED_KEYS)
      if (step[key] !== undefined) checkStrings([...path, key], step[key], here);
    out.push(...checkShellValues(source, path, step, secretVars));
  }

  for (const parent of protoKeyParents(data))
    at(parent, '"__proto__" cannot be a key: it would be lost when the runbook is read', {
      key: '__proto__',
      hint: 'rename it',
    });

  checkSeverity(
    data,
    options,
    (path, message, extra) =>
      at(path, message, {
        hint: LINT_RULES['severity-outside-scheme'].hint,
        ...extra,
        rule: 'severity-outside-scheme',
      }),
    at,
  );
  checkAlertMatchers(data, options.expressions.regex, at);
  const hasSteps = (section: string): boolean =>
    Array.isArray(data[section]) && data[section].length > 0;
  if (hasSteps('resolution') && !hasSteps('verification'))
    lint(
      'resolution-without-verification',
      ['resolution'],
      'the runbook resolves but never verifies: it has resolution: steps and no verification: steps',
      { key: 'resolution' },
    );
  if (isObject(data.communication)) checkStrings(['communication'], data.communication);

  if (isObject(data.environments)) {
    for (const [name, environment] of Object.entries(data.environments)) {
      if (!isObject(environment) || !isObject(environment.vars)) continue;
      for (const [key, value] of Object.entries(environment.vars)) {
        if (!varNames.includes(key))
          at(
            ['environments', name, 'vars'],
            `environment "${name}" sets "${key}", which is not declared under vars:`,
            { key },
          );
        const definition = isObject(data.vars) ? data.vars[key] : undefined;
        if (
          isObject(definition) &&
          Array.isArray(definition.choices) &&
          !definition.choices.includes(value)
        )
          at(
            ['environments', name, 'vars', key],
            `environment "${name}" sets ${key} to ${JSON.stringify(value)}, which is not one of its choices (${definition.choices.map((choice) => JSON.stringify(choice)).join(', ')})`,
          );
      }
    }
  }
  if (isObject(data.vars)) {
    for (const [name, definition] of Object.entries(data.vars)) {
      if (!VAR_NAME_PATTERN.test(name) || !isObject(definition)) continue;
      if (
        Array.isArray(definition.choices) &&
        definition.default !== undefined &&
        !definition.choices.includes(definition.default)
      ) {
        at(
          ['vars', name, 'default'],
          `default ${JSON.stringify(definition.default)} is not one of the choices`,
        );
      }
    }
  }

  if (
    options.fileId &&
    typeof data.id === 'string' &&
    ID_PATTERN.test(data.id) &&
    data.id !== options.fileId
  ) {
    at(['id'], `id "${data.id}" does not match the file name "${options.fileId}"`, {
      severity: options.strict ? 'error' : 'warning',
      hint: `rename the file to ${data.id}.yaml or change the id`,
    });
  }
  checkEscalation(data, escalationSteps, at);
  out.push(...ignoreProblems);
  return ignored.size === 0 ? out : out.filter((d) => d.rule === undefined || !ignored.has(d.rule));
}

/** The rules `lint: { ignore: }` switches off: each a known rule with a reason. */
function checkIgnores(data: Raw, at: At): Set<string> {
  const ignored = new Set<string>();
  if (!isObject(data.lint) || !isObject(data.lint.ignore)) return ignored;
  for (const [rule, reason] of Object.entries(data.lint.ignore)) {
    const path: PathSegment[] = ['lint', 'ignore'];
    if (!(LINT_RULE_IDS as string[]).includes(rule)) {
      const guess = suggest(rule, LINT_RULE_IDS);
      at(path, `unknown lint rule "${rule}"`, {
        key: rule,
        hint: guess ? `did you mean "${guess}"?` : `rules: ${LINT_RULE_IDS.join(', ')}`,
      });
      continue;
    }
    if (typeof reason === 'string' && reason.trim() === '') {
      at([...path, rule], `lint rule "${rule}" is ignored without a reason`, {
        hint: 'say why it does not apply to this runbook',
      });
      continue;
    }
    ignored.add(rule);
  }
  return ignored;
}

/** Where a value's strings hold a literal that looks like a secret, and what it looks like. */
function secretsIn(
  path: PathSegment[],
  value: unknown,
): Array<[PathSegment[], { what: string; found: string }]> {
  if (typeof value === 'string') {
    const secret = findSecret(value);
    return secret ? [[path, secret]] : [];
  }
  if (Array.isArray(value))
    return value.flatMap((item, index) => secretsIn([...path, index], item));
  if (isObject(value))
    return Object.entries(value).flatMap(([key, item]) => secretsIn([...path, key], item));
  return [];
}

/** A `when:` that refers to nothing and is false: the step can never run. */
function alwaysFalse(source: string, expressions: Expressions): boolean {
  if (/\b(?:vars|env|steps|runbook|run|outputs)\b/.test(source)) return false;
  if (expressions.checkSyntax(source) !== undefined) return false;
  try {
    return expressions.evaluate(source, {}) === false;
  } catch {
    return false;
  }
}

/**
 * A `${{ }}` in an input that is code makes its value code: an error, or with the action's escape
 * hatch set a warning (an error under --strict). The hatch set where nothing is templated is a
 * warning.
 */
function checkCodeInputs(
  source: YamlSource,
  path: PathSegment[],
  input: Raw,
  code: CodeInputs,
  options: Pick<SemanticOptions, 'strict'>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const hatch = code.allowedBy;
  const allowed = hatch !== undefined && input[hatch] === true;
  let templated = false;
  for (const key of code.keys) {
    const value = input[key];
    if (typeof value !== 'string' || !hasTemplate(value)) continue;
    let expressions: string[];
    try {
      expressions = templateExpressions(value);
    } catch {
      continue; // reported with the other expression errors
    }
    expressions.forEach((expression, index) => {
      templated = true;
      const shown = `\`\${{ ${expression} }}\` inside ${key}:`;
      const hint = code.hint(expression);
      let found: { message: string; severity: Diagnostic['severity']; hint: string };
      if (hatch === undefined)
        found = {
          message: `${shown} its value would become code, not data`,
          severity: 'error',
          hint,
        };
      else if (!allowed)
        found = {
          message: `${shown} its value would become code, not data`,
          severity: 'error',
          hint: `${hint}; or, if the value is meant to be code, set ${hatch}: true`,
        };
      else if (options.strict)
        found = {
          message: `${shown} its value becomes code (${hatch}: true, which --strict does not accept)`,
          severity: 'error',
          hint,
        };
      else
        found = {
          message: `${shown} its value becomes code (allowed by ${hatch}: true)`,
          severity: 'warning',
          hint,
        };
      out.push(
        source.diagnosticAtText([...path, key], '${{', index, found.message, {
          severity: found.severity,
          hint: found.hint,
        }),
      );
    });
  }
  if (hatch !== undefined && allowed && !templated)
    out.push(
      source.diagnosticAtPath(path, `${hatch}: true, but ${code.keys.join(', ')} has no \${{ }}`, {
        key: hatch,
        severity: 'warning',
        hint: `remove ${hatch}`,
      }),
    );
  return out;
}

/** The outputs a step's action declares, and the action's name; undefined when not known. */
function declaredOutputs(
  step: Raw,
  adapters: LoadedAdapters,
): { names: string[]; of: string } | undefined {
  if (step.run !== undefined) return { names: Object.keys(PROCESS_OUTPUTS), of: 'run:' };
  if (typeof step.uses !== 'string') return undefined;
  const [adapterName = '', actionName = ''] = step.uses.split('.');
  const adapter = adapters.adapter(adapterName);
  if (!adapter || !Object.hasOwn(adapter.actions, actionName)) return undefined;
  const outputs = adapter.actions[actionName]?.outputs;
  return outputs ? { names: Object.keys(outputs), of: step.uses } : undefined;
}

function checkHost(
  path: PathSegment[],
  step: Raw,
  hosts: readonly string[],
  at: (path: PathSegment[], message: string, extra?: Partial<Diagnostic>) => void,
): void {
  const name = step.on as string;
  if (step.manual !== undefined) {
    at(path, 'on: does not apply to a manual: step', { hint: 'say where in the instruction' });
    return;
  }
  if (hosts.includes(name)) return;
  const guess = suggest(name, hosts);
  const configured = hosts.length > 0 ? `configured: ${hosts.join(', ')}` : 'none is configured';
  at(path, `unknown host "${name}"`, {
    hint: guess
      ? `did you mean "${guess}"? (hosts are listed under hosts: in runbook.config.yaml)`
      : `add it under hosts: in runbook.config.yaml (${configured})`,
  });
}

/** A kebab-case step id written as is after `steps.` (`steps.my-step`), when there is one. */
function hyphenatedStep(source: string, stepIds: ReadonlyMap<string, unknown>): string | undefined {
  if (!source.includes('-')) return undefined;
  for (const match of source.matchAll(/\bsteps\.([A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)+)/g)) {
    const words = (match[1] ?? '').split('-');
    // The longest run of words that is a step's id: `steps.my-step-1` may be `my-step` minus 1.
    for (let count = words.length; count > 1; count--) {
      const id = words.slice(0, count).join('-');
      if (stepIds.has(id)) return id;
    }
  }
  return undefined;
}

/** Where the data has a `__proto__` key: a JavaScript object cannot hold one as data, so the
 * schema drops it, and a variable, output or setting of that name would silently not exist. */
function protoKeyParents(
  value: unknown,
  path: PathSegment[] = [],
  found: PathSegment[][] = [],
): PathSegment[][] {
  // One path, grown and shrunk on the way: a copy is made only of a parent that is found.
  if (Array.isArray(value))
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      if (item === null || typeof item !== 'object') continue;
      path.push(index);
      protoKeyParents(item, path, found);
      path.pop();
    }
  else if (isObject(value)) {
    if (Object.hasOwn(value, '__proto__')) found.push([...path]);
    for (const key of Object.keys(value)) {
      const inner = value[key];
      if (inner === null || typeof inner !== 'object') continue;
      path.push(key);
      protoKeyParents(inner, path, found);
      path.pop();
    }
  }
  return found;
}

/** What a `call:` step may hold besides its call (docs/format.md#sub-runbooks): the rest belongs to
 * the steps it calls. A section it names is one there is. */
function checkCallStep(path: PathSegment[], step: Raw, at: At): void {
  // `runbook check` runs detection checks one by one, for real: each is one action.
  if (path[0] === 'detection')
    at([...path, 'call'], 'call: does not go in detection.checks', {
      hint: 'runbook check runs each detection check on its own: call from diagnosis: or later',
    });
  // A group's steps run per item inside one step (docs/format.md#loops-and-targets): one action each.
  if (path.includes('steps'))
    at([...path, 'call'], 'call: does not go in a for_each: group', {
      hint: 'loop inside the called runbook, or list the group’s steps here',
    });
  for (const key of LOOP_KEYS)
    if (step[key] !== undefined)
      at([...path, key], `${key}: does not go with call:`, {
        hint: 'a call runs once: loop inside the called runbook, or list its steps in a for_each: group',
      });
  for (const key of CALL_STEP_REFUSES)
    if (step[key] !== undefined)
      at([...path, key], `${key}: does not go with call:`, {
        hint: `${key}: belongs on the called runbook's steps`,
      });
  if (typeof step.call !== 'string' || !step.call.includes('#')) return;
  const section = step.call.slice(step.call.indexOf('#') + 1);
  if (!(SECTIONS as readonly string[]).includes(section)) {
    const guess = suggest(section, SECTIONS);
    at([...path, 'call'], `call: unknown section "${section}"`, {
      hint: guess ? `did you mean "${guess}"?` : `sections: ${SECTIONS.join(', ')}`,
    });
  }
}

/** The keys of a loop, which a `call:` step refuses. */
const LOOP_KEYS = ['for_each', 'as', 'steps'] as const;

/** The keys a `call:` step refuses: they are about one action or process. */
const CALL_STEP_REFUSES = [
  'retry',
  'timeout',
  'on',
  'env',
  'effect',
  'capture',
  'expect',
  'dry_run',
  'check',
  'parallel',
  'confirm',
] as const;

/** Every step of a runbook's raw data (valid or not), with its path, in run order. */
export function collectSteps(data: Raw): RawStep[] {
  const steps: RawStep[] = [];
  for (const section of SECTIONS) {
    const list =
      section === 'detection'
        ? isObject(data.detection)
          ? data.detection.checks
          : undefined
        : data[section];
    if (!Array.isArray(list)) continue;
    const base: PathSegment[] = section === 'detection' ? ['detection', 'checks'] : [section];
    list.forEach((step, index) => {
      if (!isObject(step)) return;
      steps.push({ path: [...base, index], step });
      if (Array.isArray(step.steps))
        step.steps.forEach((inner, at) => {
          if (isObject(inner))
            steps.push({ path: [...base, index, 'steps', at], step: inner, group: step });
        });
    });
  }
  return steps;
}

function checkSeverity(
  data: Raw,
  options: SemanticOptions,
  at: (path: PathSegment[], message: string, extra?: Partial<Diagnostic>) => void,
  /** For a scheme's own definition: an error of the file, not of the lint rule. */
  atScheme: (path: PathSegment[], message: string, extra?: Partial<Diagnostic>) => void,
): void {
  const reference = data.severity_scheme;
  if (isObject(reference)) {
    // Semantics read the raw file: a shape the schema refused is reported there, not here.
    const { levels, warn_from: from } = reference;
    const valid =
      Array.isArray(levels) &&
      levels.every((level) => typeof level === 'string') &&
      (from === undefined || typeof from === 'string');
    if (!valid) return;
    const definition = reference as unknown as SchemeDefinition;
    for (const problem of schemeProblems(definition))
      atScheme(['severity_scheme', ...problem.path], problem.message, { hint: problem.hint });
  } else if (reference !== undefined && typeof reference !== 'string') return;
  const scheme = resolveScheme(reference as SchemeReference | undefined, options);
  if (!scheme) {
    const known = Object.keys(options.schemes);
    const guess = suggest(String(reference), known);
    at(['severity_scheme'], `unknown severity scheme "${String(reference)}"`, {
      hint: guess
        ? `did you mean "${guess}"? (known: ${known.join(', ')})`
        : `known: ${known.join(', ')} (define more in runbook.config.yaml, or write its own: { levels: [...] })`,
    });
    return;
  }
  const { levels } = scheme;
  const checkLevels = (path: PathSegment[], value: unknown): void => {
    for (const level of severityLevels(value)) {
      if (levels.includes(level)) continue;
      const guess = suggestLevel(level, levels);
      // A list points at its item; a string (P2/P9) at itself.
      at(
        Array.isArray(value) ? [...path, value.indexOf(level)] : path,
        `severity "${level}" is not a level of scheme "${scheme.name}" (${levels.join(', ')})`,
        guess ? { hint: `did you mean "${guess}"?` } : {},
      );
    }
  };
  checkLevels(['severity'], data.severity);
  if (Array.isArray(data.escalation))
    data.escalation.forEach(
      (rule, index) =>
        isObject(rule) && checkLevels(['escalation', index, 'severity'], rule.severity),
    );
}

/** `P1`, `P2/P3`, `P2-P3` or `[P2, P3]` → the levels named. */
export function severityLevels(value: unknown, scheme?: readonly string[]): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  if (typeof value !== 'string') return [];
  const named = value.split(/\s*[/,–]\s*|\s+-\s+|(?<=\d)-(?=[A-Za-z])/).filter(Boolean);
  // A range written with a dash (P0–P2) covers the levels between its ends in the scheme.
  const range = /^\s*(\S+?)\s*(?:–|\s-\s|(?<=\d)-(?=[A-Za-z]))\s*(\S+)\s*$/.exec(value);
  if (scheme && range) {
    const from = scheme.indexOf(range[1] ?? '');
    const to = scheme.indexOf(range[2] ?? '');
    if (from >= 0 && to >= from) return scheme.slice(from, to + 1);
  }
  return named;
}

/** The levels of a runbook's severity, with dash ranges expanded through its scheme. */
export function runbookSeverityLevels(
  runbook: {
    severity?: string | string[] | undefined;
    severity_scheme?: SchemeReference | undefined;
  },
  schemes: Record<string, string[]>,
  defaultScheme: string,
): string[] {
  return severityLevels(
    runbook.severity,
    resolveScheme(runbook.severity_scheme, { schemes, defaultScheme })?.levels,
  );
}

function isTemplateString(value: unknown): boolean {
  return typeof value === 'string' && hasTemplate(value);
}

function isTemplated(input: Raw, path: PathSegment[]): boolean {
  let value: unknown = input;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return false;
    value = (value as Record<string | number, unknown>)[segment];
    if (typeof value === 'string' && hasTemplate(value)) return true;
  }
  return typeof value === 'string' && hasTemplate(value);
}

function formatLocation(source: YamlSource, path: PathSegment[]): string {
  const d = source.diagnosticAtPath(path, '');
  return `line ${d.line}`;
}
