import { beforeAll, describe, expect, it } from 'vitest';
import {
  codeBlocks,
  items,
  nodeTypes,
  outline,
  parseMarkdown,
  section,
  tableCells,
  textOf,
} from '../../test/helpers/markdown.js';
import { Redactor } from '../engine/redact.js';
import { loadExpressions, type Expressions } from '../schema/expressions.js';
import { runbookSchema, type Runbook } from '../schema/runbook.js';
import { parseJournal } from '../state/journal-reader.js';
import { runRecord, type RunRecord } from '../state/run-record.js';
import { incidentReport, type RunbookSource } from './incident.js';
import { incidentMarkdown } from './incident-md.js';

const T = (s: string): string => `2026-12-06T10:${s}Z`;

const runStart = (user = 'alice', host = 'bastion-1', vars: Record<string, unknown> = {}) => ({
  type: 'run.start',
  ts: T('00:00.000'),
  run_id: 'r1',
  runbook: { id: 'api-down', title: 'API down', severity: 'P1', service: 'api', file: 'api.yaml' },
  mode: 'execute',
  vars: { api_url: 'http://127.0.0.1:1', token: '***', ...vars },
  user,
  host,
  pid: 4242,
  journal: '/state/runs/r1.jsonl',
});

const section_ = (ts: string, name: string) => ({
  type: 'section.start',
  ts: T(ts),
  section: name,
});

function stepEnd(ts: string, id: string, section: string, status: string, extra: object = {}) {
  return {
    type: 'step.end',
    ts: T(ts),
    id,
    name: undefined,
    section,
    status,
    effect: 'read',
    command: `check ${id}`,
    exit_code: status === 'failed' ? 1 : 0,
    duration_ms: 1500,
    outputs: {},
    attempts: 1,
    ...extra,
  };
}

const runEnd = (ts: string, status: string, ms: number, reason?: string) => ({
  type: 'run.end',
  ts: T(ts),
  run_id: 'r1',
  status,
  duration_ms: ms,
  findings: [],
  ...(reason ? { reason } : {}),
});

function record(events: object[], torn = ''): RunRecord {
  const text = events.map((event) => `${JSON.stringify(event)}\n`).join('') + torn;
  const read = runRecord(parseJournal('/state/runs/r1.jsonl', text), false);
  if (!read) throw new Error('not a run');
  return read;
}

const RUNBOOK = {
  id: 'api-down',
  title: 'API down',
  service: 'api',
  severity: 'P1',
  vars: {
    api_url: { default: 'http://127.0.0.1:1' },
    token: { env: 'API_TOKEN', secret: true, default: 'tok-s3cret-default' },
  },
  detection: {
    checks: [
      {
        id: 'health',
        uses: 'http.get',
        with: { url: '${{ vars.api_url }}/health' },
        expect: { status: 200, 'json.error_rate': { crit: 0.05 } },
      },
    ],
  },
  diagnosis: [
    { id: 'status', run: 'curl -s status', effect: 'read', capture: { reason: 'outputs.stdout' } },
  ],
  resolution: [{ id: 'restart', run: 'systemctl restart api', effect: 'destructive' }],
  rollback: [{ id: 'undo', run: 'systemctl start api-old' }],
  communication: {
    initial: 'We are investigating errors from ${{ runbook.service }} (run ${{ run.id }}).',
    update: {
      channel: '#incidents',
      template:
        'Cause: ${{ steps.status.outputs.reason }}; token ${{ vars.token }}; ${{ steps.never.outputs.x }}',
    },
  },
  postmortem: { checklist: ['Root cause identified', 'Runbook updated | if needed'] },
};

let expressions: Expressions;
let runbook: Runbook;
beforeAll(async () => {
  expressions = await loadExpressions();
  runbook = runbookSchema().parse(RUNBOOK);
});

function render(
  run: RunRecord,
  source: RunbookSource = { runbook, file: 'api.yaml', problem: undefined },
): ReturnType<typeof parseMarkdown> {
  const redactor = new Redactor();
  redactor.add('tok-s3cret-default');
  const report = incidentReport(run, source, { redactor, expressions });
  return parseMarkdown(incidentMarkdown(report));
}

const HEADINGS = [
  '# Incident report: API down',
  '## Summary',
  '## Findings',
  '## Timeline (UTC)',
  '## Captured values',
  '## Communication',
  '### initial',
  '### update (#incidents)',
  '## Post-incident checklist',
  '## Action items',
];

describe('incident report, Markdown', () => {
  const failed = () =>
    record([
      runStart(),
      section_('00:00.001', 'detection'),
      stepEnd('00:01.000', 'health', 'detection', 'failed', {
        name: 'Health endpoint answers 200',
        command: 'GET http://127.0.0.1:1/health',
        exit_code: null,
        reason: 'status is 503, expected 200',
        finding: true,
        outputs: { status: 503, json: { error_rate: 0.5 }, headers: { a: 'b' } },
      }),
      section_('00:01.100', 'diagnosis'),
      stepEnd('00:02.000', 'status', 'diagnosis', 'succeeded', {
        outputs: { stdout: 'stuck', reason: 'stuck' },
        captured: ['reason'],
      }),
      section_('00:02.100', 'resolution'),
      { type: 'step.confirm', ts: T('00:02.200'), step: 'restart', approved: true, by: 'alice' },
      stepEnd('00:03.000', 'restart', 'resolution', 'failed', {
        effect: 'destructive',
        command: 'systemctl restart api',
        reason: 'exit code 1',
      }),
      { type: 'section.start', ts: T('00:03.100'), section: 'rollback', note: 'restart failed' },
      stepEnd('00:04.000', 'undo', 'rollback', 'succeeded', {
        effect: 'write',
        command: 'systemctl start api-old',
      }),
      runEnd('00:04.500', 'failed', 4500, 'restart failed'),
    ]);

  it('a failed run with its rollback: headings, summary, findings, timeline, checklist', () => {
    const md = render(failed());
    expect(outline(md)).toEqual(HEADINGS);
    expect(items(section(md, 'Summary')).map((item) => item.text)).toEqual([
      'Runbook: api-down: API down',
      'Runbook file: api.yaml',
      'Service: api',
      'Severity: P1',
      'Run: r1 (a real run)',
      'Who and where: alice on bastion-1 (pid 4242)',
      'Started: 2026-12-06 10:00:00 UTC',
      'Ended: 2026-12-06 10:00:04 UTC',
      'Duration: 4.5s',
      'Result: failed at restart: restart failed',
      'Journal: /state/runs/r1.jsonl',
    ]);
    const findings = items(section(md, 'Findings'));
    expect(findings.map((item) => item.text)).toEqual([
      'health Health endpoint answers 200: status is 503, expected 200',
    ]);
    // The values the check judged: its expect keys, a dotted one as a path.
    expect(items(findings[0]?.blocks.slice(1) ?? []).map((item) => item.text)).toEqual([
      'status: 503',
      'json.error_rate: 0.5',
    ]);
    const timeline = items(section(md, 'Timeline (UTC)'));
    expect(timeline.map((item) => item.text)).toEqual([
      '10:00:00.000 Run started by alice on bastion-1 (a real run)',
      '10:00:00.001 Detection',
      '10:00:01.000 health Health endpoint answers 200: failed · read · exit — · 1.5s · finding',
      '10:00:01.100 Diagnosis',
      '10:00:02.000 status: succeeded · read · exit 0 · 1.5s',
      '10:00:02.100 Resolution',
      '10:00:02.200 restart approved by alice',
      '10:00:03.000 restart: failed · destructive · exit 1 · 1.5s',
      '10:00:03.100 Rollback (restart failed)',
      '10:00:04.000 undo: succeeded · write · exit 0 · 1.5s',
      '10:00:04.500 Run ended: failed after 4.5s (restart failed)',
    ]);
    // Each step's command in a code span of its own paragraph, then its reason.
    const restart = timeline[7]?.blocks.slice(1).map((block) => [block.type, textOf(block)]);
    expect(restart).toEqual([
      ['paragraph', 'systemctl restart api'],
      ['paragraph', 'exit code 1'],
    ]);
    expect(nodeTypes(timeline[7]?.blocks.slice(1, 2) ?? [])).toEqual(
      new Set(['paragraph', 'inlineCode']),
    );
    expect(items(section(md, 'Captured values')).map((item) => item.text)).toEqual([
      'status reason: stuck',
    ]);
    expect(items(section(md, 'Post-incident checklist'))).toEqual([
      { text: 'Root cause identified', checked: false, blocks: expect.any(Array) },
      { text: 'Runbook updated | if needed', checked: false, blocks: expect.any(Array) },
    ]);
    expect(items(section(md, 'Action items'))).toEqual([]);
  });

  it('fills the communication templates from the run, secrets masked, what cannot be filled named', () => {
    const md = render(failed());
    expect(codeBlocks(section(md, 'initial'))).toEqual([
      { lang: 'text', value: 'We are investigating errors from api (run r1).' },
    ]);
    const update = section(md, 'update (#incidents)');
    expect(codeBlocks(update)).toEqual([
      {
        lang: 'text',
        value: 'Cause: stuck; token ***; ${{ steps.never.outputs.x }}',
      },
    ]);
    expect(items(update).map((item) => item.text)).toEqual([
      expect.stringMatching(/^\$\{\{ steps\.never\.outputs\.x \}\}: .+/),
    ]);
  });

  it('a resumed run of two parts by two people is one incident', () => {
    const run = record([
      runStart(),
      section_('00:00.001', 'resolution'),
      stepEnd('00:01.000', 'restart', 'resolution', 'failed', { reason: 'exit code 1' }),
      runEnd('00:01.500', 'failed', 1500, 'restart failed'),
      {
        type: 'run.resume',
        ts: T('30:00.000'),
        run_id: 'r1',
        part: 2,
        mode: 'execute',
        user: 'bob',
        host: 'bastion-2',
        pid: 99,
        from_step: 'restart',
      },
      section_('30:00.001', 'resolution'),
      stepEnd('30:02.000', 'restart', 'resolution', 'succeeded'),
      runEnd('30:02.500', 'succeeded', 2500),
    ]);
    const md = render(run);
    const summary = items(section(md, 'Summary')).map((item) => item.text);
    expect(summary).toContain(
      'Who and where: alice on bastion-1 (pid 4242) (part 1); bob on bastion-2 (pid 99) (part 2)',
    );
    expect(summary).toContain(
      'Duration: 4.0s running, over 2 parts (30m3s from the first start to the last end)',
    );
    expect(summary).toContain('Result: succeeded');
    expect(outline(md)).toContain('### Parts');
    expect(tableCells(section(md, 'Parts'))).toEqual([
      ['Part', 'Who', 'Where', 'Mode', 'Started (UTC)', 'Ended (UTC)', 'Duration', 'Result'],
      [
        '1',
        'alice',
        'bastion-1',
        'a real run',
        '2026-12-06 10:00:00 UTC',
        '2026-12-06 10:00:01 UTC',
        '1.5s',
        'failed',
      ],
      [
        '2',
        'bob',
        'bastion-2',
        'a real run',
        '2026-12-06 10:30:00 UTC',
        '2026-12-06 10:30:02 UTC',
        '2.5s',
        'succeeded (from restart)',
      ],
    ]);
    expect(items(section(md, 'Timeline (UTC)')).map((item) => item.text)).toEqual([
      '10:00:00.000 Run started by alice on bastion-1 (a real run)',
      '10:00:00.001 Resolution',
      '10:00:01.000 restart: failed · read · exit 1 · 1.5s',
      '10:00:01.500 Run ended: failed after 1.5s (restart failed)',
      '10:30:00.000 Part 2: resumed by bob on bastion-2 (a real run), from restart',
      '10:30:00.001 Resolution',
      '10:30:02.000 restart: succeeded · read · exit 0 · 1.5s',
      '10:30:02.500 Run ended: succeeded after 2.5s',
    ]);
  });

  it('retries, approvals given with the run, a decision, a manual acknowledgement, escalation and notifications', () => {
    const run = record([
      runStart(),
      { type: 'notify', ts: T('00:00.010'), purpose: 'start', ok: true },
      section_('00:00.020', 'resolution'),
      {
        type: 'step.confirm',
        ts: T('00:00.030'),
        step: 'restart',
        approved: true,
        by: '--approve',
      },
      stepEnd('00:01.000', 'restart', 'resolution', 'succeeded', { effect: 'destructive' }),
      {
        type: 'step.start',
        ts: T('00:01.100'),
        section: 'resolution',
        step: 'ack',
        name: undefined,
        effect: 'manual',
        command: undefined,
      },
      stepEnd('00:40.000', 'ack', 'resolution', 'succeeded', {
        effect: 'manual',
        command: undefined,
        exit_code: null,
        outputs: {
          instruction: 'Tell support',
          acknowledged_by: 'carol',
          acknowledged_at: T('00:39.000'),
        },
      }),
      { type: 'escalation.due', ts: T('15:00.000'), after: '15m', to: 'API owner', via: 'Slack' },
      { type: 'notify', ts: T('15:00.100'), purpose: 'escalation', ok: false, error: 'HTTP 500' },
      section_('15:01.000', 'verification'),
      {
        type: 'step.retry',
        ts: T('15:02.000'),
        section: 'verification',
        step: 'healthy',
        attempt: 1,
        of: 3,
        reason: 'status is 503, expected 200',
        delay_ms: 2000,
      },
      stepEnd('15:05.000', 'healthy', 'verification', 'failed', { attempts: 3 }),
      { type: 'step.decision', ts: T('15:06.000'), step: 'healthy', choice: 'skip', by: 'alice' },
      runEnd('15:07.000', 'succeeded', 907000),
    ]);
    const md = render(run);
    expect(items(section(md, 'Timeline (UTC)')).map((item) => item.text)).toEqual([
      '10:00:00.000 Run started by alice on bastion-1 (a real run)',
      '10:00:00.010 Team notified (run started)',
      '10:00:00.020 Resolution',
      '10:00:00.030 restart approved by alice (given with the run: --approve)',
      '10:00:01.000 restart: succeeded · destructive · exit 0 · 1.5s',
      '10:00:39.000 ack acknowledged by carol',
      '10:00:40.000 ack: succeeded · manual · exit — · 1.5s',
      '10:15:00.000 Escalation due after 15m: API owner via Slack',
      '10:15:00.100 Team not notified (escalation): HTTP 500',
      '10:15:01.000 Verification',
      '10:15:02.000 healthy attempt 1 of 3 failed: status is 503, expected 200; retrying in 2.0s',
      '10:15:05.000 healthy: failed · read · exit 1 · 1.5s · 3 attempts',
      '10:15:06.000 healthy failed; alice chose to skip',
      '10:15:07.000 Run ended: succeeded after 15m7s',
    ]);
    const ack = items(section(md, 'Timeline (UTC)'))[6];
    expect(ack?.blocks.slice(1).map(textOf)).toEqual(['Instruction: Tell support']);
  });

  it('answers asked mid-run and the rollback offered after an abort', () => {
    const run = record([
      runStart(),
      section_('00:00.020', 'resolution'),
      {
        type: 'step.answer',
        ts: T('00:01.000'),
        step: 'decide',
        name: 'cause',
        value: 'bad deploy',
        by: 'alice',
        given_before: false,
      },
      {
        type: 'step.answer',
        ts: T('00:01.500'),
        step: 'ticket',
        name: 'answer',
        value: 'INC-42',
        by: 'alice',
        given_before: true,
      },
      stepEnd('00:02.000', 'restart', 'resolution', 'failed'),
      { type: 'step.decision', ts: T('00:03.000'), step: 'restart', choice: 'abort', by: 'alice' },
      {
        type: 'rollback.offer',
        ts: T('00:04.000'),
        step: 'restart',
        accepted: true,
        by: 'alice',
      },
      runEnd('00:05.000', 'failed', 5000),
    ]);
    expect(items(section(render(run), 'Timeline (UTC)')).map((item) => item.text)).toEqual([
      '10:00:00.000 Run started by alice on bastion-1 (a real run)',
      '10:00:00.020 Resolution',
      '10:00:01.000 decide answered by alice: cause = bad deploy',
      '10:00:01.500 ticket answered by alice (given with the run: --answer): answer = INC-42',
      '10:00:02.000 restart: failed · read · exit 1 · 1.5s',
      '10:00:03.000 restart failed; alice chose to abort',
      '10:00:04.000 restart failed and the run was stopped; alice had the rollback run',
      '10:00:05.000 Run ended: failed after 5.0s',
    ]);
  });

  it('a crashed run (torn last line), its runbook gone: made from the journal alone, saying what is missing', () => {
    const run = record(
      [
        runStart(),
        section_('00:00.001', 'resolution'),
        {
          type: 'step.start',
          ts: T('00:00.002'),
          section: 'resolution',
          step: 'restart',
          name: undefined,
          effect: 'write',
          command: 'restart',
        },
      ],
      '{"type":"step.pro',
    );
    const md = render(run, {
      runbook: undefined,
      file: undefined,
      problem: 'api.yaml no longer exists',
    });
    expect(outline(md)).toEqual([
      '# Incident report: API down',
      '## Summary',
      '### Missing from this report',
      '## Findings',
      '## Timeline (UTC)',
      '## Captured values',
      '## Communication',
      '## Post-incident checklist',
      '## Action items',
    ]);
    const summary = items(section(md, 'Summary')).map((item) => item.text);
    expect(summary).toContain('Runbook file: api.yaml (not read: api.yaml no longer exists)');
    expect(summary).toContain('Ended: —');
    expect(summary).toContain('Duration: unknown: the run has no end');
    expect(summary).toContain('Result: crashed at restart (it never ended)');
    expect(items(section(md, 'Missing from this report')).map((item) => item.text)).toEqual([
      'the runbook file: api.yaml no longer exists; its communication templates and post-incident checklist are not in this report',
      'the end of the run: its process was killed while writing the journal (its last line is cut short and left out)',
    ]);
    expect(
      items(section(md, 'Timeline (UTC)'))
        .map((item) => item.text)
        .at(-1),
    ).toBe(
      '10:00:00.002 The journal ends here, during restart: the process was killed or the machine stopped (crashed)',
    );
    expect(section(md, 'Communication').map(textOf)).toEqual([
      'Not available: api.yaml no longer exists.',
    ]);
    expect(section(md, 'Post-incident checklist').map(textOf)).toEqual([
      'Not available: api.yaml no longer exists.',
    ]);
  });

  it('hostile step output stays text and code: no heading, HTML, table or list comes of it', () => {
    const hostile = [
      '# heading',
      '- item',
      '> quote',
      '<script>alert(1)</script>',
      'a | b | c',
      '```js',
      'x ` y `` z',
      `nul\u0000esc\u001b[31m`,
      'x'.repeat(5000),
    ].join('\n');
    const line = '# not a heading | <b>bold</b> `tick` ``` *em* [link](http://x) &amp; \u0000';
    const run = record([
      runStart('<img src=x>', '# host | x'),
      section_('00:00.001', 'diagnosis'),
      stepEnd('00:01.000', 'logs', 'diagnosis', 'failed', {
        name: '- ## name <b>',
        command: 'printf "```" | grep -e "a|b" <<<"`x`"',
        reason: line,
        outputs: { stdout: hostile, line },
        captured: ['stdout', 'line'],
      }),
      runEnd('00:02.000', 'failed', 2000, line),
    ]);
    const md = render(run);
    // The same outline as ever: nothing from outside made a heading.
    expect(outline(md)).toEqual(HEADINGS);
    const types = nodeTypes(md.children ?? []);
    expect(types.has('html')).toBe(true); // the action items' own comment, and only that:
    const html = (md.children ?? []).filter((node) => node.type === 'html');
    expect(html.map((node) => node.value)).toEqual([
      '<!-- One a line: - [ ] what, who, by when -->',
    ]);
    expect(nodeTypes(section(md, 'Timeline (UTC)'))).not.toContain('html');
    expect(nodeTypes(section(md, 'Timeline (UTC)'))).not.toContain('table');
    expect(nodeTypes(section(md, 'Captured values'))).not.toContain('html');
    expect(items(section(md, 'Summary'))[5]?.text).toBe(
      'Who and where: <img src=x> on # host | x (pid 4242)',
    );
    const step = items(section(md, 'Timeline (UTC)'))[2];
    expect(step?.text).toBe('10:00:01.000 logs - ## name <b>: failed · read · exit 1 · 1.5s');
    expect(step?.blocks.slice(1).map(textOf)).toEqual([
      'printf "```" | grep -e "a|b" <<<"`x`"',
      '# not a heading | <b>bold</b> `tick` ``` *em* [link](http://x) &amp; ␀',
    ]);
    const captured = items(section(md, 'Captured values'));
    expect(captured.map((item) => item.text)).toEqual([
      'logs stdout:',
      'logs line: # not a heading | <b>bold</b> `tick` ``` *em* [link](http://x) &amp; ␀',
    ]);
    // The multi-line value, cut at 200 characters, whole in its block, its controls visible.
    const cut = hostile.slice(0, 200).replace('\u0000', '␀').replace('\u001b', '␛');
    expect(codeBlocks(captured[0]?.blocks ?? [])).toEqual([
      { lang: null, value: `${cut}… [${hostile.length - 200} more characters]` },
    ]);
  });
});
