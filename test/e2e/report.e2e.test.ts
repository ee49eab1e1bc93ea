import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseJournal,
  ROOT,
  runBin,
  startServer,
  tempDir,
  type TestServer,
} from '../helpers/cli.js';
import {
  codeBlocks,
  items,
  nodeTypes,
  outline,
  parseMarkdown,
  section,
  textOf,
} from '../helpers/markdown.js';

// `runbook report` of real runs: the demo (its real service on 127.0.0.1) and a small runbook whose
// server and commands answer hostile text, each run by bin/runbook.js, then reported as Markdown
// and as JSON, both parsed and compared with the run's journal.

const state = tempDir('runbook-report-');
const env = (extra: Record<string, string> = {}) => ({
  RUNBOOK_STATE_DIR: join(state.path, 'state'),
  ...extra,
});
let runId = '';
let journal: Array<Record<string, unknown>> = [];

/** The journal's events of one type, with their fields. */
const eventsOf = (type: string) => journal.filter((event) => event.type === type);
const stepEnd = (id: string) =>
  eventsOf('step.end').find((event) => event.id === id) as Record<string, unknown> & {
    ts: string;
    command: string;
    duration_ms: number;
    outputs: Record<string, unknown>;
  };
const time = (ts: unknown) => String(ts).slice(11, 23);
const ms = (n: number) => (n < 1000 ? `${n}ms` : `${(n / 1000).toFixed(1)}s`);

beforeAll(() => {
  const demo = spawnSync(process.execPath, [join(ROOT, 'demo/run-demo.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env() },
    timeout: 30_000,
  });
  expect(demo.status).toBe(0);
  const runs = readdirSync(join(state.path, 'state/runs'));
  expect(runs).toHaveLength(1);
  runId = (runs[0] ?? '').replace(/\.jsonl$/, '');
  journal = parseJournal(readFileSync(join(state.path, 'state/runs', runs[0] ?? ''), 'utf8'));
});
afterAll(() => state.remove());

describe('runbook report of the demo', () => {
  it('writes the Markdown report: every section, the timeline and values as the journal has them', async () => {
    const result = await runBin(['report', runId], { env: env() });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const md = parseMarkdown(result.stdout);
    expect(outline(md)).toEqual([
      '# Incident report: Demo API returns 503',
      '## Summary',
      '## Findings',
      '## Timeline (UTC)',
      '## Captured values',
      '## Communication',
      '### initial',
      '### resolved',
      '## Post-incident checklist',
      '## Action items',
    ]);
    const start = eventsOf('run.start')[0] as {
      ts: string;
      user: string;
      host: string;
      pid: number;
    };
    const end = eventsOf('run.end')[0] as { ts: string; duration_ms: number };
    const day = (ts: string) => `${ts.slice(0, 10)} ${ts.slice(11, 19)} UTC`;
    expect(items(section(md, 'Summary')).map((item) => item.text)).toEqual([
      'Runbook: demo-api-down: Demo API returns 503',
      'Runbook file: runbooks/demo/demo-api-down.yaml',
      'Service: demo-api',
      'Severity: P2',
      `Run: ${runId} (a real run)`,
      `Who and where: ${start.user} on ${start.host} (pid ${start.pid})`,
      `Started: ${day(start.ts)}`,
      `Ended: ${day(end.ts)}`,
      `Duration: ${ms(end.duration_ms)}`,
      'Result: succeeded',
      `Journal: ${join(state.path, 'state/runs', `${runId}.jsonl`)}`,
    ]);
    const health = stepEnd('health');
    const findings = items(section(md, 'Findings'));
    expect(findings.map((item) => item.text)).toEqual([
      'health Health endpoint answers 200: status is 503, expected 200',
    ]);
    expect(items(findings[0]?.blocks.slice(1) ?? []).map((item) => item.text)).toEqual([
      'status: 503',
      `latency_ms: ${String(health.outputs.latency_ms)}`,
    ]);
    const line = (id: string, name: string, effect: string, exit: string) => {
      const step = stepEnd(id);
      return `${time(step.ts)} ${id} ${name}: succeeded · ${effect} · exit ${exit} · ${ms(step.duration_ms)}`;
    };
    const section_ = (name: string, title: string) =>
      `${time(eventsOf('section.start').find((e) => e.section === name)?.ts)} ${title}`;
    const confirm = eventsOf('step.confirm')[0];
    const timeline = items(section(md, 'Timeline (UTC)'));
    expect(timeline.map((item) => item.text)).toEqual([
      `${time(start.ts)} Run started by ${start.user} on ${start.host} (a real run)`,
      section_('detection', 'Detection'),
      `${time(health.ts)} health Health endpoint answers 200: failed · read · exit — · ${ms(health.duration_ms)} · finding`,
      section_('diagnosis', 'Diagnosis'),
      line('service-status', 'Ask the service why it is degraded', 'read', '—'),
      line('lock-details', 'Who left the lock, and when', 'read', '0'),
      section_('resolution', 'Resolution'),
      `${time(confirm?.ts)} remove-stale-lock approved by ${start.user} (given with the run: --approve)`,
      line('remove-stale-lock', 'Remove the stale maintenance lock', 'destructive', '0'),
      line('reload-service', 'Reload the service so it re-reads its state (SIGHUP)', 'write', '0'),
      section_('verification', 'Verification'),
      line('healthy-again', 'Health endpoint answers 200 again', 'read', '—'),
      `${time(end.ts)} Run ended: succeeded after ${ms(end.duration_ms)}`,
    ]);
    // Each step's exact command, as the journal has it, in a code span of its own.
    const commands = timeline
      .filter((item) => item.blocks.length > 1)
      .map((item) => item.blocks[1] && textOf(item.blocks[1]));
    expect(commands).toEqual(
      [
        'health',
        'service-status',
        'lock-details',
        'remove-stale-lock',
        'reload-service',
        'healthy-again',
      ].map((id) => stepEnd(id).command),
    );
    const status = stepEnd('service-status').outputs;
    expect(items(section(md, 'Captured values')).map((item) => item.text)).toEqual([
      'service-status reason: stale-lock',
      `service-status lock_file: ${String(status.lock_file)}`,
      `service-status pid: ${String(status.pid)}`,
    ]);
    expect(codeBlocks(section(md, 'initial'))).toEqual([
      { lang: 'text', value: 'We are investigating errors from demo-api.' },
    ]);
    expect(codeBlocks(section(md, 'resolved'))).toEqual([
      { lang: 'text', value: 'demo-api is healthy again.' },
    ]);
    expect(items(section(md, 'Post-incident checklist'))).toEqual([
      {
        text: 'Why did the deploy crash without removing its lock?',
        checked: false,
        blocks: expect.any(Array),
      },
      {
        text: 'Should the service expire maintenance locks itself?',
        checked: false,
        blocks: expect.any(Array),
      },
    ]);
    expect(items(section(md, 'Action items'))).toEqual([]);
  });

  it('docs/report-example.md is such a report (npm run report:example makes it again)', async () => {
    const fresh = parseMarkdown((await runBin(['report', runId], { env: env() })).stdout);
    const example = parseMarkdown(readFileSync(join(ROOT, 'docs/report-example.md'), 'utf8'));
    expect(outline(example)).toEqual(outline(fresh));
    const shape = (md: typeof fresh, title: string) =>
      items(section(md, title)).map((item) =>
        item.text
          .replace(/\b\d+(\.\d+)?(ms|s)\b/g, 'D')
          .replace(/runbook-demo-\w+/g, 'runbook-demo-X')
          .replace(/\d+/g, '0'),
      );
    for (const title of [
      'Findings',
      'Timeline (UTC)',
      'Captured values',
      'Post-incident checklist',
    ])
      expect(shape(example, title)).toEqual(shape(fresh, title));
  });

  it('prints one JSON document with the same facts, through a pipe', async () => {
    const result = await runBin(['report', runId, '--format', 'json'], { env: env() });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual([
      'run_id',
      'runbook',
      'runbook_file',
      'runbook_problem',
      'mode',
      'status',
      'stopped',
      'reason',
      'started_at',
      'ended_at',
      'duration_ms',
      'parts',
      'findings',
      'timeline',
      'captured',
      'communication',
      'checklist',
      'action_items',
      'missing',
      'journal',
      'alert',
    ]);
    const start = eventsOf('run.start')[0] as Record<string, unknown>;
    const end = eventsOf('run.end')[0] as Record<string, unknown>;
    const health = stepEnd('health');
    const status = stepEnd('service-status').outputs;
    expect(report).toMatchObject({
      run_id: runId,
      runbook: start.runbook,
      runbook_file: 'runbooks/demo/demo-api-down.yaml',
      runbook_problem: null,
      mode: 'execute',
      status: 'succeeded',
      stopped: null,
      reason: null,
      started_at: start.ts,
      ended_at: end.ts,
      duration_ms: end.duration_ms,
      parts: [
        {
          part: 1,
          user: start.user,
          host: start.host,
          pid: start.pid,
          mode: 'execute',
          started_at: start.ts,
          ended_at: end.ts,
          duration_ms: end.duration_ms,
          status: 'succeeded',
          from_step: null,
        },
      ],
      findings: [
        {
          step: 'health',
          name: 'Health endpoint answers 200',
          reason: 'status is 503, expected 200',
          values: { status: 503, latency_ms: health.outputs.latency_ms },
        },
      ],
      captured: [
        { step: 'service-status', name: 'reason', value: 'stale-lock' },
        { step: 'service-status', name: 'lock_file', value: status.lock_file },
        { step: 'service-status', name: 'pid', value: status.pid },
      ],
      communication: [
        {
          name: 'initial',
          channel: null,
          text: 'We are investigating errors from demo-api.',
          unfilled: [],
        },
        { name: 'resolved', channel: null, text: 'demo-api is healthy again.', unfilled: [] },
      ],
      checklist: [
        'Why did the deploy crash without removing its lock?',
        'Should the service expire maintenance locks itself?',
      ],
      action_items: [],
      missing: [],
      journal: {
        path: join(state.path, 'state/runs', `${runId}.jsonl`),
        torn: false,
        unreadable: 0,
      },
      alert: null,
    });
    const timeline = report.timeline as Array<Record<string, unknown>>;
    expect(timeline.map((entry) => [entry.kind, entry.step ?? entry.section ?? null])).toEqual([
      ['start', null],
      ['section', 'detection'],
      ['step', 'health'],
      ['section', 'diagnosis'],
      ['step', 'service-status'],
      ['step', 'lock-details'],
      ['section', 'resolution'],
      ['confirm', 'remove-stale-lock'],
      ['step', 'remove-stale-lock'],
      ['step', 'reload-service'],
      ['section', 'verification'],
      ['step', 'healthy-again'],
      ['end', null],
    ]);
    expect(timeline[8]).toEqual({
      ts: stepEnd('remove-stale-lock').ts,
      part: 1,
      kind: 'step',
      step: 'remove-stale-lock',
      name: 'Remove the stale maintenance lock',
      section: 'resolution',
      status: 'succeeded',
      effect: 'destructive',
      command: stepEnd('remove-stale-lock').command,
      instruction: null,
      exit_code: 0,
      duration_ms: stepEnd('remove-stale-lock').duration_ms,
      attempts: 1,
      started_at: eventsOf('step.start').find((e) => e.step === 'remove-stale-lock')?.ts,
      reason: null,
      finding: false,
      declined: false,
    });
  });

  it('--out writes the same report atomically; never into the state directory or over a journal', async () => {
    const out = join(state.path, 'report.md');
    const printed = await runBin(['report', runId], { env: env() });
    const written = await runBin(['report', runId, '--out', out], { env: env() });
    expect(written).toMatchObject({ code: 0, stdout: '', stderr: `wrote ${out}\n` });
    expect(readFileSync(out, 'utf8')).toBe(printed.stdout);

    const journalPath = join(state.path, 'state/runs', `${runId}.jsonl`);
    const before = readFileSync(journalPath, 'utf8');
    const intoState = await runBin(['report', runId, '--out', journalPath], { env: env() });
    expect(intoState.code).toBe(2);
    expect(intoState.stderr).toBe(
      `runbook: --out ${journalPath} is inside the state directory ${join(state.path, 'state')}: refusing to write there\nhint: write the report somewhere else\n`,
    );
    const copy = join(state.path, 'copy.jsonl');
    writeFileSync(copy, before);
    const overJournal = await runBin(['report', runId, '--out', copy], { env: env() });
    expect(overJournal.code).toBe(2);
    expect(overJournal.stderr).toBe(
      `runbook: --out ${copy} is a run journal: refusing to overwrite it\nhint: write the report somewhere else\n`,
    );
    expect(readFileSync(journalPath, 'utf8')).toBe(before);
    expect(readFileSync(copy, 'utf8')).toBe(before);

    const locked = join(state.path, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    const unwritable = await runBin(['report', runId, '--out', join(locked, 'r.md')], {
      env: env(),
    });
    chmodSync(locked, 0o700);
    if (process.getuid?.() !== 0) {
      expect(unwritable.code).toBe(74);
      expect(unwritable.stderr).toBe(
        `runbook: cannot write the report to ${join(locked, 'r.md')}: permission denied (EACCES)\nhint: give --out a file in a directory you can write, or leave --out out to print the report\n`,
      );
    }
    const nowhere = await runBin(['report', runId, '--out', join(state.path, 'no/such/r.md')], {
      env: env(),
    });
    expect(nowhere.code).toBe(74);
    expect(nowhere.stderr).toBe(
      `runbook: cannot write the report to ${join(state.path, 'no/such/r.md')}: no such file or directory (ENOENT) (its directory)\nhint: give --out a file in a directory that exists and that you can write\n`,
    );
  });

  it('an unknown run id: one message, a near id, exit 2; a path as run id is refused', async () => {
    const near = `${runId.slice(0, -1)}${runId.endsWith('0') ? '1' : '0'}`;
    const unknown = await runBin(['report', near], { env: env() });
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toBe(
      `runbook: no run "${near}" in ${join(state.path, 'state/runs')}\nhint: did you mean ${runId}? (list the runs with: runbook history)\n`,
    );
    for (const id of ['../state/runs/x', '/etc/passwd', 'a/b', '..']) {
      const refused = await runBin(['report', id], { env: env() });
      expect(refused).toMatchObject({ code: 2, stdout: '' });
      expect(refused.stderr).toBe(
        `runbook: "${id}" is not a run id: a run id is made of letters, digits, ".", "_" and "-", never a path\nhint: list the runs with: runbook history\n`,
      );
    }
  });

  it('from another directory: the runbook is found where the run started', async () => {
    const elsewhere = tempDir();
    const result = await runBin(['report', runId], { env: env(), cwd: elsewhere.path });
    elsewhere.remove();
    expect(result.code).toBe(0);
    const md = parseMarkdown(result.stdout);
    expect(outline(md)).not.toContain('## Missing from this report');
    expect(outline(md)).toContain('### initial');
  });

  it('when the runbook file is gone: the report from the journal alone, saying what is missing', async () => {
    const gone = tempDir();
    mkdirSync(join(gone.path, 'runbooks'));
    writeFileSync(
      join(gone.path, 'runbooks/short-lived.yaml'),
      'id: short-lived\ntitle: Short-lived\ndiagnosis:\n  - id: look\n    run: "true"\n',
    );
    const ran = await runBin(['run', 'short-lived', '--non-interactive', '--format', 'json'], {
      env: env(),
      cwd: gone.path,
    });
    expect(ran.code).toBe(0);
    const id = (JSON.parse(ran.stdout) as { run_id: string }).run_id;
    rmSync(join(gone.path, 'runbooks/short-lived.yaml'));
    const result = await runBin(['report', id], { env: env(), cwd: gone.path });
    gone.remove();
    expect(result.code).toBe(0);
    const md = parseMarkdown(result.stdout);
    expect(items(section(md, 'Missing from this report')).map((item) => item.text)).toEqual([
      `the runbook file: runbooks/short-lived.yaml: no such file (from ${gone.path}); by id: no runbook with id "short-lived" in runbooks (give its directory with --dir); its communication templates and post-incident checklist are not in this report`,
    ]);
    expect(section(md, 'Communication').map(textOf)).toEqual([
      expect.stringMatching(/^Not available: /),
    ]);
    expect(items(section(md, 'Timeline (UTC)')).map((item) => item.text.slice(13))).toEqual([
      expect.stringMatching(/^Run started by .+ \(a real run\)$/),
      'Diagnosis',
      expect.stringMatching(/^look: succeeded · write · exit 0 · \d+ms$/),
      expect.stringMatching(/^Run ended: succeeded after \d+ms$/),
    ]);
  });
});

describe('runbook report of a run whose outputs are hostile', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((_request, response) => {
      response.writeHead(503, { 'content-type': 'text/plain' });
      response.end('# down | <script>x</script> `tick` ```\n- list\n> quote');
    });
  });
  afterAll(() => server.close());

  it('keeps every value as text or code', async () => {
    const dir = join(state.path, 'hostile');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'hostile.yaml'),
      [
        'id: hostile',
        'title: "Hostile | `output` <b>"',
        'vars:',
        '  url: { default: "http://127.0.0.1:1" }',
        '  token: { env: HOSTILE_TOKEN, secret: true }',
        'detection:',
        '  checks:',
        '    - id: web',
        '      uses: http.get',
        '      with: { url: "${{ vars.url }}/x" }',
        '      expect: { status: 200 }',
        '      capture: { body: outputs.body }',
        'diagnosis:',
        '    - id: shout',
        "      run: printf '%s\\n' '# heading' '| a | b |' '```' \"$T\"",
        '      env: { T: "${{ vars.token }}" }',
        '      effect: read',
        '      capture: { said: outputs.stdout }',
        'communication:',
        '  initial: "Token ${{ vars.token }}; said ${{ steps.shout.outputs.said }}"',
        '',
      ].join('\n'),
    );
    const secret = 'hostile-s3cret-value';
    const run = await runBin(['run', 'hostile', '--dir', dir, '--var', `url=${server.url}`], {
      env: env({ HOSTILE_TOKEN: secret }),
    });
    expect(run.code).toBe(0);
    const id = /journal: .*\/([^/]+)\.jsonl/.exec(run.stdout)?.[1] ?? '';
    const result = await runBin(['report', id, '--dir', dir], { env: env() });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(secret);
    const md = parseMarkdown(result.stdout);
    expect(outline(md)).toEqual([
      '# Incident report: Hostile | `output` <b>',
      '## Summary',
      '## Findings',
      '## Timeline (UTC)',
      '## Captured values',
      '## Communication',
      '### initial',
      '## Post-incident checklist',
      '## Action items',
    ]);
    expect(
      [...nodeTypes(md.children ?? [])].filter(
        (type) => type === 'html' || type === 'table' || type === 'blockquote',
      ),
    ).toEqual(['html']);
    const captured = items(section(md, 'Captured values'));
    expect(captured.map((item) => item.text)).toEqual(['web body:', 'shout said:']);
    expect(codeBlocks(captured[0]?.blocks ?? [])).toEqual([
      { lang: null, value: '# down | <script>x</script> `tick` ```\n- list\n> quote' },
    ]);
    expect(codeBlocks(captured[1]?.blocks ?? [])).toEqual([
      { lang: null, value: '# heading\n| a | b |\n```\n***' },
    ]);
    expect(codeBlocks(section(md, 'initial'))).toEqual([
      { lang: 'text', value: 'Token ***; said # heading\n| a | b |\n```\n***' },
    ]);
  });
});
