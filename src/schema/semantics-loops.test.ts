import { describe, expect, it } from 'vitest';
import { createRegistry } from '../adapters/registry.js';
import { loadExpressions } from './expressions.js';
import { parseRunbook } from './load.js';
import { TEST_CONFIG } from '../../test/helpers/config.js';

const ADAPTERS = await createRegistry().load();
const EXPRESSIONS = await loadExpressions();

function problems(steps: string, groups?: Record<string, string[]>): string[] {
  const source = `id: loops\ntitle: Loops\ndiagnosis:\n${steps}`;
  const loaded = parseRunbook('loops.yaml', Buffer.from(source, 'utf8'), {
    adapters: ADAPTERS,
    expressions: EXPRESSIONS,
    config: { ...TEST_CONFIG, hosts: {}, ...(groups ? { groups } : {}) },
  });
  return loaded.diagnostics.map(
    (d) => `${d.line}:${d.col} ${d.message}${d.hint ? ` (${d.hint})` : ''}`,
  );
}

describe('for_each: in validation', () => {
  it('accepts a list, an expression over earlier outputs, a group, the item by its name, and a group of steps', () => {
    expect(
      problems(
        [
          '  - id: find',
          '    run: echo a',
          '    capture:',
          '      hosts: "[outputs.stdout]"',
          '  - id: each',
          '    for_each: ${{ steps.find.outputs.hosts }}',
          '    as: replica',
          '    parallel: 4',
          '    on: ${{ replica }}',
          '    run: echo ${{ replica }} ${{ for_each.index }}',
          '    expect: outputs.stdout != ""',
          '  - id: group',
          '    for_each: { group: db }',
          '    steps:',
          '      - id: one',
          '        run: echo ${{ item }}',
          '      - id: two',
          '        run: echo ${{ steps.one.outputs.stdout }}',
          '  - id: after',
          '    run: echo ${{ steps.each.outputs.count }} ${{ steps.group.outputs.items[0].label }}',
          '',
        ].join('\n'),
        { db: ['db1'] },
      ),
    ).toEqual([]);
  });

  it('reports each misuse at its place', () => {
    expect(
      problems(
        [
          '  - id: a',
          '    as: x',
          '    parallel: 3',
          '    run: echo ${{ item }}',
          '  - id: b',
          '    for_each: "hosts: ${{ vars.x }}"',
          '    as: steps',
          '    run: "true"',
          '  - id: c',
          '    for_each: [1, 2]',
          '    run: "true"',
          '    steps:',
          '      - id: d',
          '        for_each: [3]',
          '        run: "true"',
          '  - id: e',
          '    for_each: { group: dbs }',
          '    run: echo ${{ steps.c.outputs.stdout }} ${{ steps.d.outputs.stdout }}',
          '',
        ].join('\n'),
        { db: ['db1'] },
      ),
    ).toEqual([
      '5:9 as: goes with for_each: (add for_each: with the items to run it for)',
      '6:15 parallel: N (items at once) goes with for_each: (parallel: true runs the step with the adjacent parallel steps)',
      '7:10 `item`: unknown name "item" (expressions see vars, env, steps, runbook, run, alert)',
      '9:15 for_each: takes a list, { group: <name> }, or one ${{ expression }} (e.g. for_each: ${{ steps.find.outputs.hosts }})',
      '9:15 unknown variable "x" in `vars.x` (declare it under vars:)',
      '10:9 "steps" is a name expressions already have: call the item otherwise',
      '14:10 a for_each: step runs its action or its steps:, not both (move the action into steps:)',
      '17:9 unknown key "for_each" (known keys: id, name, description, run, uses, with, call, manual, input, choices, when, timeout, retry, continue_on_error, effect, confirm, capture, expect, parallel, on, env, check, dry_run, source, approval)',
      '20:24 no group "dbs" in the inventory (did you mean "db"?)',
      '21:10 for_each step "c" has no output "stdout" in `steps.c.outputs.stdout` (its outputs: items, count, succeeded, failed; an item\'s are items[i].outputs.stdout)',
      '21:10 step "d" runs for each item of "c": `steps.d.outputs.stdout` has no one value (read steps.c.outputs.items[i].outputs.d)',
    ]);
  });
});
