import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, parseJournal, tempDir } from '../helpers/cli.js';
import { openTerminal, type Terminal } from '../helpers/tmux.js';

/** An interactive run as a person sees it: under a real pseudo-terminal (tmux), typing answers
 * and reading the screen. */
const RUNBOOK = `
id: interactive
title: An interactive incident
severity: P2
service: demo
vars:
  out: { required: true }
diagnosis:
  - id: flaky
    name: Fails the first time
    run: test -f \${{ vars.out }}/tried || { touch \${{ vars.out }}/tried; echo "connection reset" >&2; exit 1; }
  - id: broken
    name: Always fails
    run: echo "permission denied" >&2; exit 2
resolution:
  - id: wipe
    name: Wipe the cache
    run: touch \${{ vars.out }}/wiped
    effect: destructive
    confirm: true
  - id: tell-lead
    manual: Tell the incident lead the cache was wiped.
verification:
  - id: check
    run: test -f \${{ vars.out }}/wiped
`;

let terminal: Terminal | undefined;

describe('an interactive run under a real terminal', () => {
  const dir = tempDir();
  afterAll(() => {
    terminal?.close();
    dir.remove();
  });

  it('shows the header and steps, asks what to do on failure (retry, then skip), asks for the step id before a destructive step, waits for the manual step', async () => {
    mkdirSync(join(dir.path, 'runbooks'), { recursive: true });
    writeFileSync(join(dir.path, 'runbooks/interactive.yaml'), RUNBOOK);
    const state = join(dir.path, 'state');
    const command = `cd ${dir.path} && RUNBOOK_STATE_DIR=${state} ${process.execPath} ${BIN} run interactive --var out=${dir.path}; echo "EXIT=$?" > ${dir.path}/exit; sleep 30`;
    const tty = openTerminal('tty', command, { height: 60, scrollback: 200 });
    terminal = tty;

    let shown = await tty.waitFor('flaky failed (exited with code 1). What now?');
    expect(shown).toMatch(/▶ An interactive incident {2}interactive {2}P2 · demo/);
    expect(shown).toContain('connection reset');
    // The choices are retry, skip, shell, abort, with abort (the safe one) preselected.
    tty.keys('Up', 'Up', 'Up', 'Enter');
    shown = await tty.waitFor('broken failed (exited with code 2). What now?');
    expect(shown).toMatch(/✓ flaky/);
    tty.keys('Up', 'Up', 'Enter');
    shown = await tty.waitFor('Type "wipe" to run it');
    expect(shown).toContain('$ touch');
    tty.keys('wipe', 'Enter');
    shown = await tty.waitFor('Tell the incident lead the cache was wiped.');
    // The acknowledgement defaults to no: done is said with y.
    await tty.waitFor('Done? (n or Enter stops the run) (y/N)');
    tty.keys('y', 'Enter');
    shown = await tty.waitFor(/✔ Succeeded in/);
    const exit = join(dir.path, 'exit');
    await tty.waitUntil('the exit code', () => (existsSync(exit) ? true : undefined));
    expect(readFileSync(exit, 'utf8').trim()).toBe('EXIT=0');
    expect(existsSync(join(dir.path, 'wiped'))).toBe(true);
    expect(shown).toMatch(/chose retry for flaky/);
    expect(shown).toMatch(/chose skip for broken/);
    expect(shown).toMatch(/− broken .*\n.*skipped by .+ after it failed: exited with code 2/);

    const [file] = readdirSync(join(state, 'runs'));
    const journal = parseJournal(readFileSync(join(state, 'runs', file ?? ''), 'utf8'));
    expect(
      journal.filter((e) => e.type === 'step.decision').map((e) => [e.step, e.choice]),
    ).toEqual([
      ['flaky', 'retry'],
      ['broken', 'skip'],
    ]);
    expect(journal.find((e) => e.type === 'step.confirm')).toMatchObject({
      step: 'wipe',
      approved: true,
    });
    const manual = journal.find((e) => e.type === 'step.end' && e.id === 'tell-lead') as {
      status: string;
      outputs: Record<string, unknown>;
    };
    expect(manual.status).toBe('succeeded');
    // Acknowledged by the person at the terminal (this user), while the run went on.
    expect(manual.outputs.acknowledged_by).toBe(userInfo().username);
    const at = String(manual.outputs.acknowledged_at);
    expect(at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect([journal[0]?.ts, at, journal.at(-1)?.ts].map((ts) => String(ts)).sort()).toEqual([
      String(journal[0]?.ts),
      at,
      String(journal.at(-1)?.ts),
    ]);
    expect(journal.at(-1)).toMatchObject({ type: 'run.end', status: 'succeeded' });
  });
});
