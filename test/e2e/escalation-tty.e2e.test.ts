import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, json, parseJournal, runBin, startServer, tempDir } from '../helpers/cli.js';
import { openTerminal, type Terminal } from '../helpers/tmux.js';

/** "If nobody acknowledges within N": the built CLI under a real pseudo-terminal (tmux), blocked
 * on a prompt nobody answers; the rule must fire while it waits (docs/format.md#escalation). */
const RUNBOOK = `
id: replica-lag
title: Replica lag
severity: P1
resolution:
  - id: page-dba
    manual: Page the DBA and wait until they take it.
  - id: promote
    run: "true"
    effect: destructive
escalation:
  - id: dba-silent
    when: { unacknowledged: page-dba, within: 1s }
    to: db-oncall
    via: slack
  - { when: { unacknowledged: promote, within: 1h }, to: Nobody }
  - { when: rollback_failed, to: CTO }
`;

let terminal: Terminal | undefined;

describe('escalation when nobody acknowledges, under a real terminal', () => {
  const dir = tempDir();
  afterAll(() => {
    terminal?.close();
    dir.remove();
  });

  it('fires while the prompt waits: journaled, shown above the prompt, posted to the webhook; the run then goes on', async () => {
    mkdirSync(join(dir.path, 'runbooks'), { recursive: true });
    writeFileSync(join(dir.path, 'runbooks/replica-lag.yaml'), RUNBOOK);
    writeFileSync(
      join(dir.path, 'runbook.config.yaml'),
      'severity_policies:\n  P1:\n    notify_on_start: { webhook_env: TEAM_WEBHOOK }\n',
    );
    const posts: string[] = [];
    const hook = await startServer((_request, response, body) => {
      posts.push((JSON.parse(body) as { payload?: { text: string }; text?: string }).text ?? '');
      json(response, 200, { ok: true });
    });
    const state = join(dir.path, 'state');
    const command = `cd ${dir.path} && TEAM_WEBHOOK=${hook.url}/team RUNBOOK_STATE_DIR=${state} ${process.execPath} ${BIN} run replica-lag; echo "EXIT=$?" > ${dir.path}/exit; sleep 30`;
    const tty = openTerminal('escalation', command, { scrollback: 200 });
    terminal = tty;

    await tty.waitUntil('the prompt', () => (tty.screen().includes('Done?') ? true : undefined));
    const runs = join(state, 'runs');
    const journalFile = await tty.waitUntil('the journal', () => {
      const [file] = existsSync(runs) ? readdirSync(runs) : [];
      return file === undefined ? undefined : join(runs, file);
    });
    // Nobody answers: the rule's event reaches the journal while the run is blocked on the prompt.
    const escalation = await tty.waitUntil('the escalation event', () =>
      parseJournal(readFileSync(journalFile, 'utf8')).find(
        (event) => event.type === 'escalation.triggered',
      ),
    );
    expect(escalation).toEqual({
      type: 'escalation.triggered',
      ts: expect.any(String) as string,
      rule: 'dba-silent',
      when: 'if nobody acknowledges page-dba within 1s',
      reason: 'nobody acknowledged page-dba within 1s',
      step: 'page-dba',
      to: 'db-oncall',
      via: 'slack',
    });
    const journal = parseJournal(readFileSync(journalFile, 'utf8'));
    expect(journal.some((event) => event.type === 'step.end')).toBe(false);
    await tty.waitUntil('the webhook post', () => (posts.length === 2 ? true : undefined));
    const runId = String(journal[0]?.run_id);
    expect(posts).toEqual([
      expect.stringMatching(/^Incident runbook "Replica lag" \(replica-lag\) started by /),
      `"Replica lag": nobody acknowledged page-dba within 1s: escalate to db-oncall via slack (run ${runId}, rule dba-silent)`,
    ]);
    // The announcement sits above the prompt, which still waits, whole.
    const shown = await tty.waitUntil('the announcement', () => {
      const text = tty.screen();
      return text.includes('✉ team notified (escalation)') ? text : undefined;
    });
    const lines = shown.split('\n').filter((line) => line.trim() !== '');
    expect(lines.slice(-3)).toEqual([
      '  ⏰ nobody acknowledged page-dba within 1s: escalate to db-oncall via slack (rule dba-silent)',
      '  ✉ team notified (escalation)',
      '? Done? (n or Enter stops the run) (y/N)',
    ]);

    // The person answers; the destructive step is confirmed at once: its 1h rule never fires.
    tty.keys('y', 'Enter');
    await tty.waitUntil('the destructive prompt', () =>
      tty.screen().includes('Type "promote" to run it') ? true : undefined,
    );
    tty.keys('promote', 'Enter');
    const exit = await tty.waitUntil('the exit', () => {
      const file = join(dir.path, 'exit');
      return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
    });
    expect(exit).toBe('EXIT=0');
    await hook.close();
    const events = parseJournal(readFileSync(journalFile, 'utf8'));
    expect(
      events.filter((event) => event.type === 'escalation.triggered').map((event) => event.rule),
    ).toEqual(['dba-silent']);
    expect(
      events.filter((event) => event.type === 'notify').map((event) => [event.purpose, event.ok]),
    ).toEqual([
      ['start', true],
      ['escalation', true],
    ]);

    // history and the report show it; a plan lists every rule in words.
    const report = await runBin(['report', runId], {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: state },
    });
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(
      /Escalated \(rule `dba-silent`\): nobody acknowledged page-dba within 1s: db-oncall via slack/,
    );
    const plan = await runBin(['run', 'replica-lag', '--dry-run'], {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: state },
    });
    expect(plan.code).toBe(0);
    const planned = plan.stdout.split('\n');
    const from = planned.indexOf('Escalation (in a real run)');
    expect(planned.slice(from, from + 4)).toEqual([
      'Escalation (in a real run)',
      '  if nobody acknowledges page-dba within 1s: escalate to db-oncall via slack',
      '  if nobody acknowledges promote within 1h: escalate to Nobody',
      '  if the rollback fails: escalate to CTO',
    ]);
  });
});
