import { describe, expect, it } from 'vitest';
import { callTarget, checkCalls, expandSteps } from './calls.js';
import type { Runbook } from './runbook.js';

/** Runbooks as the schema gives them, small: only what the checks read. */
function book(id: string, rest: Partial<Runbook> = {}): Runbook {
  return { id, title: id, ...rest } as Runbook;
}

function catalog(...books: Runbook[]) {
  const byId = new Map(books.map((b) => [b.id, b]));
  return { lookup: (id: string) => byId.get(id), ids: [...byId.keys()] };
}

describe('call targets', () => {
  it('reads an id, an id with a section, and the object form', () => {
    expect(callTarget('pg-replication')).toEqual({ runbook: 'pg-replication', section: undefined });
    expect(callTarget('pg-replication#resolution')).toEqual({
      runbook: 'pg-replication',
      section: 'resolution',
    });
    expect(callTarget({ runbook: 'x', section: 'rollback' })).toEqual({
      runbook: 'x',
      section: 'rollback',
    });
    expect(callTarget('x#nowhere')).toBeUndefined();
  });
});

describe('checkCalls', () => {
  const slot = book('pg-slot-cleanup', {
    vars: {
      slot: { required: true },
      mode: { default: 'drop', choices: ['drop', 'keep'] },
      token: { env: 'PG_TOKEN', required: true, secret: true },
    },
    resolution: [{ id: 'drop', run: 'echo drop' }],
  });

  it('names an unknown runbook, with the closest id', () => {
    const caller = book('pg-replication', {
      resolution: [{ id: 'clean', call: 'pg-slot-cleanp', with: { slot: 'a' } }],
    });
    const { lookup, ids } = catalog(caller, slot);
    expect(checkCalls(caller, lookup, ids)).toEqual([
      {
        path: ['resolution', 0, 'call'],
        message: 'call: no runbook with id "pg-slot-cleanp"',
        hint: 'did you mean "pg-slot-cleanup"?',
      },
    ]);
  });

  it('checks with: against the vars the called runbook declares', () => {
    const caller = book('pg-replication', {
      diagnosis: [{ id: 'look', run: 'true' }],
      resolution: [
        { id: 'clean', call: 'pg-slot-cleanup#resolution', with: { slots: 'a', mode: 'purge' } },
      ],
    });
    const { lookup, ids } = catalog(caller, slot);
    expect(checkCalls(caller, lookup, ids)).toEqual([
      {
        path: ['resolution', 0, 'with'],
        key: 'slots',
        message: 'call: runbook pg-slot-cleanup declares no variable "slots"',
        hint: 'did you mean "slot"?',
      },
      {
        path: ['resolution', 0, 'with', 'mode'],
        message: `call: pg-slot-cleanup's mode is one of "drop", "keep", not "purge"`,
      },
      // token has an env: variable, so it may come from there; slot has no other source.
      {
        path: ['resolution', 0, 'call'],
        message: 'call: runbook pg-slot-cleanup needs a value for slot: give it under with:',
        hint: 'with: { slot: … }',
      },
    ]);
  });

  it('takes a templated value for a var with choices as it will be rendered', () => {
    const caller = book('pg-replication', {
      resolution: [
        { id: 'clean', call: 'pg-slot-cleanup', with: { slot: 'a', mode: '${{ vars.mode }}' } },
      ],
    });
    const { lookup, ids } = catalog(caller, slot);
    expect(checkCalls(caller, lookup, ids)).toEqual([]);
  });

  it('refuses a section the called runbook has no steps in', () => {
    const caller = book('a', {
      resolution: [{ id: 'x', call: 'pg-slot-cleanup#verification', with: { slot: 's' } }],
    });
    const { lookup, ids } = catalog(caller, slot);
    expect(checkCalls(caller, lookup, ids)).toEqual([
      {
        path: ['resolution', 0, 'call'],
        message: 'call: runbook pg-slot-cleanup has no verification steps',
        hint: 'its sections with steps: resolution',
      },
    ]);
  });

  it('finds a runbook that calls itself', () => {
    const self = book('loop', { resolution: [{ id: 'again', call: 'loop' }] });
    const { lookup, ids } = catalog(self);
    expect(checkCalls(self, lookup, ids).map((p) => p.message)).toEqual([
      'call cycle: loop (step again) → loop',
    ]);
  });

  it('finds a cycle through other runbooks and sections, from each end', () => {
    const a = book('a', { resolution: [{ id: 'to-b', call: 'b#diagnosis' }] });
    const b = book('b', {
      diagnosis: [{ id: 'to-c', call: 'c' }],
      resolution: [{ id: 'r', run: 'true' }],
    });
    const c = book('c', { verification: [{ id: 'to-a', call: 'a#resolution' }] });
    const { lookup, ids } = catalog(a, b, c);
    expect(checkCalls(a, lookup, ids).map((p) => [p.path, p.message])).toEqual([
      [['resolution', 0, 'call'], 'call cycle: a (step to-b) → b#diagnosis → c → a#resolution'],
    ]);
    expect(checkCalls(c, lookup, ids).map((p) => p.message)).toEqual([
      'call cycle: c (step to-a) → a#resolution → b#diagnosis → c',
    ]);
  });

  it('is no cycle when the section called does not hold the call back', () => {
    // a's resolution calls b; b calls a's diagnosis only, which calls nothing.
    const a = book('a', {
      diagnosis: [{ id: 'look', run: 'true' }],
      resolution: [{ id: 'to-b', call: 'b' }],
    });
    const b = book('b', { resolution: [{ id: 'back', call: 'a#diagnosis' }] });
    const { lookup, ids } = catalog(a, b);
    expect(checkCalls(a, lookup, ids)).toEqual([]);
    expect(checkCalls(b, lookup, ids)).toEqual([]);
  });
});

describe('expandSteps', () => {
  it('gives the called steps their ids in the run, depth first, with the called rollback', () => {
    const inner = book('inner', {
      resolution: [{ id: 'do', run: 'true' }],
      rollback: [{ id: 'undo', run: 'true' }],
    });
    const middle = book('middle', {
      diagnosis: [{ id: 'look', run: 'true' }],
      resolution: [{ id: 'deeper', call: 'inner#resolution' }],
    });
    const top = book('top', {
      resolution: [
        { id: 'go', call: 'middle' },
        { id: 'after', run: 'true' },
      ],
    });
    const { lookup } = catalog(top, middle, inner);
    expect(expandSteps(top, lookup).map((s) => [s.id, s.section, s.depth, s.runbook.id])).toEqual([
      ['go', 'resolution', 0, 'top'],
      ['go/look', 'diagnosis', 1, 'middle'],
      ['go/deeper', 'resolution', 1, 'middle'],
      ['go/deeper/do', 'resolution', 2, 'inner'],
      ['go/deeper/undo', 'rollback', 2, 'inner'],
      ['after', 'resolution', 0, 'top'],
    ]);
  });
});
