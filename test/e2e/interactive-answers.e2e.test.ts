import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, parseJournal, tempDir } from '../helpers/cli.js';
import { openTerminal, type Terminal } from '../helpers/tmux.js';

/** Answers, confirmations and the rollback offer as a person meets them: under a real
 * pseudo-terminal (tmux), typing and reading the screen (docs/format.md#answers). */
const RUNBOOK = `
id: answers
title: Answers asked mid-run
vars:
  out: { required: true }
diagnosis:
  - id: ticket
    manual: Open a ticket for this incident.
    input: { name: ticket, pattern: '^RHOSDFP-[0-9]+$', description: 'The ticket id, e.g. RHOSDFP-12' }
  - id: decide
    manual: Did the errors start before the deploy?
    choices:
      - { value: rollback, description: 'after it: roll the deploy back' }
      - { value: investigate, description: 'before it: the deploy is not the cause' }
resolution:
  - id: wipe
    when: steps.decide.outputs.answer == 'investigate'
    run: echo "\${{ steps.ticket.outputs.ticket }}" > \${{ vars.out }}/wiped
    effect: destructive
  - id: tell-lead
    manual: Tell the incident lead the cache was wiped.
  - id: after
    run: touch \${{ vars.out }}/after
`;

const ROLLBACK = `
id: offer
title: Abort then roll back
vars:
  out: { required: true }
resolution:
  - id: fix
    run: echo "no route to host" >&2; exit 4
rollback:
  - id: undo
    run: touch \${{ vars.out }}/undone
`;

const terminals: Terminal[] = [];

/** A run of the binary in its own tmux session; it writes its exit code to `exit`. */
function start(
  dir: string,
  name: string,
  args: string,
): {
  keys: (...k: string[]) => void;
  waitFor: (t: string | RegExp) => Promise<string>;
  exit: () => Promise<string>;
  journal: () => Array<Record<string, unknown>>;
} {
  const state = join(dir, 'state');
  const exitFile = join(dir, 'exit');
  const command = `cd ${dir} && RUNBOOK_STATE_DIR=${state} ${process.execPath} ${BIN} run ${args} --var out=${dir}; echo "EXIT=$?" > ${exitFile}; sleep 30`;
  const tty = openTerminal(`answers-${name}`, command, { width: 160, height: 70 });
  terminals.push(tty);
  return {
    keys: tty.keys,
    waitFor: (text) => tty.waitFor(text),
    exit: async () => {
      await tty.waitUntil('the exit code', () => (existsSync(exitFile) ? true : undefined), 15_000);
      return readFileSync(exitFile, 'utf8').trim();
    },
    journal: () => {
      const [file] = readdirSync(join(state, 'runs')).filter((f) => f.endsWith('.jsonl'));
      return parseJournal(readFileSync(join(state, 'runs', file ?? ''), 'utf8'));
    },
  };
}

function project(dir: string, file: string, text: string): void {
  mkdirSync(join(dir, 'runbooks'), { recursive: true });
  writeFileSync(join(dir, 'runbooks', file), text);
}

describe('answers and confirmations under a real terminal', () => {
  const dirs: Array<{ path: string; remove: () => void }> = [];
  afterAll(() => {
    for (const terminal of terminals) terminal.close();
    for (const dir of dirs) dir.remove();
  });
  const fresh = (): string => {
    const dir = tempDir();
    dirs.push(dir);
    return dir.path;
  };

  it('re-asks an input that does not match, takes a choice picked with the arrow keys, re-asks a mistyped step id, and stops at a manual step left at its default (no)', async () => {
    const dir = fresh();
    project(dir, 'answers.yaml', RUNBOOK);
    const run = start(dir, 'flow', 'answers');
    await run.waitFor('ticket (^RHOSDFP-[0-9]+$), or press Enter to stop:');
    await run.waitFor('The ticket id, e.g. RHOSDFP-12');
    run.keys('rhosdfp-7', 'Enter');
    await run.waitFor('"rhosdfp-7" does not match ^RHOSDFP-[0-9]+$');
    run.keys('RHOSDFP-7', 'Enter');
    let shown = await run.waitFor('decide: which one?');
    expect(shown).toContain('ticket: ticket = "RHOSDFP-7" (answered by');
    expect(shown).toContain('Did the errors start before the deploy?');
    run.keys('Down', 'Enter');
    await run.waitFor('Type "wipe" to run it, or press Enter to stop:');
    run.keys('wpie', 'Enter');
    shown = await run.waitFor('(try 2 of 3)');
    expect(shown).toContain('"wpie" is not "wipe": type the step id exactly as shown.');
    run.keys('wipe', 'Enter');
    await run.waitFor('Tell the incident lead the cache was wiped.');
    shown = await run.waitFor('Done? (n or Enter stops the run) (y/N)');
    run.keys('Enter');
    shown = await run.waitFor('⊘ Stopped: manual step tell-lead was not acknowledged');
    expect(await run.exit()).toBe('EXIT=3');
    expect(readFileSync(join(dir, 'wiped'), 'utf8')).toBe('RHOSDFP-7\n');
    expect(existsSync(join(dir, 'after'))).toBe(false);
    const journal = run.journal();
    expect(
      journal
        .filter((e) => e.type === 'step.answer')
        .map((e) => [e.step, e.name, e.value, e.by, e.given_before]),
    ).toEqual([
      ['ticket', 'ticket', 'RHOSDFP-7', userInfo().username, false],
      ['decide', 'answer', 'investigate', userInfo().username, false],
    ]);
    expect(journal.find((e) => e.type === 'step.confirm')).toMatchObject({
      step: 'wipe',
      approved: true,
    });
  });

  it('declines a destructive step after the third mistyped id, and runs nothing of it', async () => {
    const dir = fresh();
    project(dir, 'answers.yaml', RUNBOOK);
    const run = start(
      dir,
      'misses',
      'answers --answer ticket=RHOSDFP-1 --answer decide=investigate',
    );
    await run.waitFor('Type "wipe" to run it, or press Enter to stop:');
    run.keys('wip', 'Enter');
    await run.waitFor('(try 2 of 3)');
    run.keys('wipe ', 'BSpace', 'BSpace', 'Enter');
    await run.waitFor('(try 3 of 3)');
    run.keys('WIPE', 'Enter');
    const shown = await run.waitFor('⊘ Stopped: wipe was not confirmed');
    expect(shown).toContain('"WIPE" is not "wipe": 3 misses, so wipe is not run.');
    expect(await run.exit()).toBe('EXIT=3');
    expect(existsSync(join(dir, 'wiped'))).toBe(false);
    expect(run.journal().find((e) => e.type === 'step.confirm')).toMatchObject({
      step: 'wipe',
      approved: false,
    });
  });

  it('offers the rollback after abort at a failed resolution step, and runs it on y', async () => {
    const dir = fresh();
    project(dir, 'offer.yaml', ROLLBACK);
    const run = start(dir, 'offer', 'offer');
    await run.waitFor('fix failed (exited with code 4). What now?');
    // abort is preselected.
    run.keys('Enter');
    let shown = await run.waitFor('Run the rollback now? (y/N)');
    expect(shown).toContain('fix is stopped. The rollback: undo');
    run.keys('y', 'Enter');
    shown = await run.waitFor(/⊘ Stopped: stopped by .+ after fix failed/);
    expect(shown).toMatch(/✓ undo/);
    expect(shown).toContain('had the rollback run after stopping at fix');
    expect(await run.exit()).toBe('EXIT=3');
    expect(existsSync(join(dir, 'undone'))).toBe(true);
    expect(run.journal().find((e) => e.type === 'rollback.offer')).toMatchObject({
      step: 'fix',
      accepted: true,
      by: userInfo().username,
    });
  });
});
