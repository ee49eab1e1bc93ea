import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJournal, runCli, tempDir } from '../helpers/cli.js';

/** for_each: (docs/format.md#loops-and-targets), run in-process with real processes. */

interface StepDoc {
  id: string;
  status: string;
  reason?: string;
  command: string | null;
  exit_code: number | null;
  loop?: string;
  declined?: boolean;
  item?: { index: number; label: string };
  items?: StepDoc[];
  outputs?: Record<string, unknown>;
}
interface Doc {
  status: string;
  exit_code: number;
  reason: string | null;
  journal: string;
  steps: StepDoc[];
}

describe('for_each', () => {
  let dir: ReturnType<typeof tempDir>;
  let runbooks: string;
  beforeEach(() => {
    dir = tempDir();
    runbooks = join(dir.path, 'runbooks');
    mkdirSync(runbooks);
  });
  afterEach(() => dir.remove());

  const write = (id: string, body: string): void =>
    writeFileSync(join(runbooks, `${id}.yaml`), `id: ${id}\ntitle: ${id}\n${body}`);
  const run = async (id: string, args: string[] = []) => {
    const result = await runCli(
      ['run', id, '--dir', runbooks, '--var', `out=${dir.path}`, '--format', 'json', ...args],
      { env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') } },
    );
    if (result.stdout === '') throw new Error(result.stderr);
    return { code: result.code, doc: JSON.parse(result.stdout) as Doc, stderr: result.stderr };
  };
  const journal = (doc: Doc): Array<Record<string, unknown>> =>
    parseJournal(readFileSync(doc.journal, 'utf8'));
  const VARS = 'vars:\n  out: { required: true }\n';

  it('runs at most parallel: N items at once, and that many', async () => {
    // Each item marks its start, waits until its pair has started too (so two must run together),
    // then marks its end: the marks give how many ran at once.
    write(
      'fan',
      `${VARS}diagnosis:
  - id: fan
    for_each: [a, b, c, d, e]
    parallel: 2
    run: |
      log="${'${{ vars.out }}'}/marks"
      echo "start ${'${{ item }}'}" >> "$log"
      need=${'${{ for_each.index - for_each.index % 2 + 2 > for_each.count ? for_each.count : for_each.index - for_each.index % 2 + 2 }}'}
      n=0
      while [ "$(grep -c '^start' "$log")" -lt "$need" ]; do
        n=$((n + 1)); [ "$n" -gt 1500 ] && exit 9
        sleep 0.02
      done
      echo "end ${'${{ item }}'}" >> "$log"
`,
    );
    const { code, doc } = await run('fan');
    expect(code).toBe(0);
    const marks = readFileSync(join(dir.path, 'marks'), 'utf8').trim().split('\n');
    let running = 0;
    let most = 0;
    for (const mark of marks) {
      running += mark.startsWith('start') ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(most).toBe(2);
    expect(marks.filter((mark) => mark.startsWith('end')).sort()).toEqual([
      'end a',
      'end b',
      'end c',
      'end d',
      'end e',
    ]);
    const fan = doc.steps[0] as StepDoc;
    expect(fan.loop).toBe('for each of 5 items, 2 at once');
    expect(fan.items?.map((item) => [item.item?.label, item.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'succeeded'],
      ['c', 'succeeded'],
      ['d', 'succeeded'],
      ['e', 'succeeded'],
    ]);
    expect(fan.outputs).toMatchObject({ count: 5, succeeded: 5, failed: 0 });
  });

  it('stops at the first failed item, says which, and runs the rollback', async () => {
    write(
      'stop',
      `${VARS}resolution:
  - id: restart
    for_each: [db1, db2, db3]
    as: host
    run: 'echo "restart ${'${{ host }}'}"; test "${'${{ host }}'}" != db2'
verification:
  - id: never
    run: "true"
rollback:
  - id: undo
    run: echo undone
`,
    );
    const { code, doc } = await run('stop');
    expect(code).toBe(1);
    expect(doc.status).toBe('failed');
    const restart = doc.steps.find((step) => step.id === 'restart') as StepDoc;
    expect(restart.status).toBe('failed');
    expect(restart.reason).toBe('item 2 of 3 (db2) failed: exited with code 1 (1 of 3 succeeded)');
    expect(restart.items?.map((item) => [item.item?.label, item.status, item.reason])).toEqual([
      ['db1', 'succeeded', undefined],
      ['db2', 'failed', 'exited with code 1'],
      ['db3', 'skipped', 'not run: item 2 (db2) failed'],
    ]);
    expect(restart.items?.[0]?.command).toBe('echo "restart db1"; test "db1" != db2');
    expect(doc.steps.map((step) => [step.id, step.status])).toEqual([
      ['restart', 'failed'],
      ['undo', 'succeeded'],
    ]);
    // The journal: each item's start and end carry its index and label.
    const events = journal(doc).filter(
      (event) => event.type === 'step.item' || (event.type === 'step.start' && event.item),
    );
    expect(events.map((event) => [event.type, event.item, event.status ?? null])).toEqual([
      ['step.start', { index: 0, label: 'db1' }, null],
      ['step.item', { index: 0, label: 'db1' }, 'succeeded'],
      ['step.start', { index: 1, label: 'db2' }, null],
      ['step.item', { index: 1, label: 'db2' }, 'failed'],
    ]);
  });

  it('runs every item with continue_on_error, skips an empty list, splits a text at commas', async () => {
    write(
      'tolerant',
      `${VARS}diagnosis:
  - id: all
    for_each: [1, 2, 3]
    continue_on_error: true
    run: test ${'${{ item }}'} -ne 2
  - id: none
    for_each: ${'${{ [] }}'}
    run: "true"
  - id: from-text
    for_each: ${'${{ " x, ,y " }}'}
    run: echo ${'${{ item }}'}
`,
    );
    const { doc } = await run('tolerant');
    const byId = (id: string) => doc.steps.find((step) => step.id === id) as StepDoc;
    expect(byId('all').items?.map((item) => item.status)).toEqual([
      'succeeded',
      'failed',
      'succeeded',
    ]);
    expect(byId('all').outputs).toMatchObject({ count: 3, succeeded: 2, failed: 1 });
    expect(byId('none')).toMatchObject({ status: 'skipped', reason: 'for_each: no items' });
    expect(byId('from-text').items?.map((item) => item.item?.label)).toEqual(['x', 'y']);
  });

  it('runs a group of steps per item, each seeing the ones before it; later steps read the items', async () => {
    write(
      'group',
      `${VARS}diagnosis:
  - id: per-host
    for_each: [web1, web2]
    steps:
      - id: ping
        run: echo "pong from ${'${{ item }}'}"
      - id: twice
        run: echo "${'${{ steps.ping.outputs.stdout.trim() }}'} / ${'${{ for_each.index }}'}"
  - id: summary
    run: echo "${'${{ steps.per_host.outputs.items.map(i, i.outputs.twice.stdout.trim()).join(";") }}'}"
`,
    );
    const { code, doc } = await run('group');
    expect(code).toBe(0);
    const summary = doc.steps.find((step) => step.id === 'summary') as StepDoc;
    expect(summary.outputs?.stdout).toBe('pong from web1 / 0;pong from web2 / 1');
    const items = journal(doc)
      .filter((event) => event.type === 'step.item')
      .map((event) => [event.id, (event.item as { label: string }).label, event.command]);
    expect(items).toEqual([
      ['ping', 'web1', 'echo "pong from web1"'],
      ['twice', 'web1', 'echo "pong from web1 / 0"'],
      ['ping', 'web2', 'echo "pong from web2"'],
      ['twice', 'web2', 'echo "pong from web2 / 1"'],
    ]);
  });

  it('asks once for a destructive loop, naming every item; without approval nothing runs', async () => {
    write(
      'wipe',
      `${VARS}resolution:
  - id: wipe
    for_each: [cache-a, cache-b]
    effect: destructive
    run: touch "${'${{ vars.out }}'}/wiped-${'${{ item }}'}"
verification:
  - id: ok
    run: "true"
`,
    );
    const refused = await run('wipe');
    expect(refused.code).toBe(3);
    expect(refused.doc.steps[0]).toMatchObject({ id: 'wipe', status: 'skipped', declined: true });
    expect(readdirSync(dir.path).filter((name) => name.startsWith('wiped'))).toEqual([]);

    const approved = await run('wipe', ['--approve', 'wipe']);
    expect(approved.code).toBe(0);
    expect(
      readdirSync(dir.path)
        .filter((name) => name.startsWith('wiped'))
        .sort(),
    ).toEqual(['wiped-cache-a', 'wiped-cache-b']);
    const confirms = journal(approved.doc).filter((event) => event.type === 'step.confirm');
    expect(
      confirms.map((event) => [event.step, event.items ?? null, event.item ?? null]),
    ).toContainEqual(['wipe', ['cache-a', 'cache-b'], null]);
  });

  it('grades a for_each detection check per item: Nagios, perfdata, JSON and Prometheus carry the item', async () => {
    write(
      'disk',
      `severity: P2
detection:
  checks:
    - id: usage
      effect: read
      for_each: [web1, web2, "db 1"]
      run: 'case "${'${{ item }}'}" in web1) echo 40;; web2) echo 85;; *) echo 97;; esac'
      capture:
        used_percent: int(outputs.stdout.trim())
      expect:
        used_percent: { warn: 80, crit: 95 }
`,
    );
    const env = { RUNBOOK_STATE_DIR: join(dir.path, 'state') };
    const nagios = await runCli(['check', 'disk', '--dir', runbooks], { env });
    expect(nagios.code).toBe(2);
    const lines = nagios.stdout.trim().split('\n');
    expect(lines[0]).toBe(
      "RUNBOOK CRITICAL - 1 CRITICAL, 1 WARNING, 1 OK: disk/usage[db 1]: used_percent is 97, past the critical level > 95 | usage[web1].used_percent=40%;80;95 usage[web2].used_percent=85%;80;95 'usage[db 1].used_percent'=97%;80;95",
    );
    expect(lines.slice(1).map((line) => line.replace(/ \(\d+ms\)/, ''))).toEqual([
      'OK disk/usage[web1]: used_percent 40',
      'WARNING disk/usage[web2]: used_percent is 85, past the warning level > 80',
      'CRITICAL disk/usage[db 1]: used_percent is 97, past the critical level > 95',
    ]);
    const json = await runCli(['check', 'disk', '--dir', runbooks, '--format', 'json'], { env });
    const checks = (JSON.parse(json.stdout) as { checks: Array<Record<string, unknown>> }).checks;
    expect(checks.map((check) => [check.id, check.item, check.state, check.values])).toEqual([
      ['usage', 'web1', 'OK', { used_percent: 40 }],
      ['usage', 'web2', 'WARNING', { used_percent: 85 }],
      ['usage', 'db 1', 'CRITICAL', { used_percent: 97 }],
    ]);
    const prometheus = await runCli(
      ['check', 'disk', '--dir', runbooks, '--format', 'prometheus'],
      {
        env,
      },
    );
    expect(
      prometheus.stdout.split('\n').filter((line) => line.startsWith('runbook_check_state')),
    ).toEqual([
      'runbook_check_state{runbook="disk",check="usage",service="",severity="P2",item="web1"} 0',
      'runbook_check_state{runbook="disk",check="usage",service="",severity="P2",item="web2"} 1',
      'runbook_check_state{runbook="disk",check="usage",service="",severity="P2",item="db 1"} 2',
    ]);
  });
});
