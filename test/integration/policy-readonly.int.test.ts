import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, parseJournal, runCli, startServer, tempDir } from '../helpers/cli.js';

const runbook = (id: string, severity: string) => `
id: ${id}
title: Wipe at ${severity}
severity: ${severity}
vars:
  out: { required: true }
diagnosis:
  - id: look
    run: echo 42
    effect: read
    capture: { answer: int(outputs.stdout) }
  - id: write-note
    run: touch \${{ vars.out }}/note-${id}
resolution:
  - id: wipe
    when: steps.look.outputs.answer == 42
    run: touch \${{ vars.out }}/wiped-${id}
    effect: destructive
`;

describe('severity policy and read-only runs', () => {
  const dir = tempDir();
  beforeAll(() => {
    mkdirSync(join(dir.path, 'runbooks'), { recursive: true });
    writeFileSync(join(dir.path, 'runbooks/critical.yaml'), runbook('critical', 'P0'));
    writeFileSync(join(dir.path, 'runbooks/minor.yaml'), runbook('minor', 'P3'));
    writeFileSync(
      join(dir.path, 'runbook.config.yaml'),
      'severity_policies:\n  P0: { yes_approves_destructive: false }\n  P1: { yes_approves_destructive: false }\n',
    );
  });
  afterAll(() => dir.remove());

  const run = (id: string, ...flags: string[]) =>
    runCli(['run', id, '--var', `out=${dir.path}`, ...flags], {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') },
    });

  it('for P0, --yes does not approve a destructive step: it must be named with --approve', async () => {
    const refused = await run('critical', '--yes');
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain(
      'pass --approve wipe to run it non-interactively (for P0 runbooks --yes does not approve destructive steps)',
    );
    expect(existsSync(join(dir.path, 'wiped-critical'))).toBe(false);
    const approved = await run('critical', '--approve', 'wipe');
    expect(approved.code).toBe(0);
    expect(existsSync(join(dir.path, 'wiped-critical'))).toBe(true);
  });

  it('for P3, --yes is enough', async () => {
    const result = await run('minor', '--yes');
    expect(result.code).toBe(0);
    expect(existsSync(join(dir.path, 'wiped-minor'))).toBe(true);
  });

  it('--read-only runs read steps for real, plans the rest, and later steps see the read outputs', async () => {
    rmSync(join(dir.path, 'note-minor'), { force: true });
    const result = await run(
      'minor',
      '--read-only',
      '--format',
      'json',
      '--only',
      'diagnosis,resolution',
    );
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      steps: Array<{ id: string; status: string; outputs: Record<string, unknown> }>;
    };
    expect(doc.steps.map((s) => [s.id, s.status])).toEqual([
      ['look', 'succeeded'],
      ['write-note', 'planned'],
      ['wipe', 'planned'],
    ]);
    expect(doc.steps[0]?.outputs.answer).toBe(42);
    expect(existsSync(join(dir.path, 'note-minor'))).toBe(false);
  });
});

describe('severity policy: tell the team on start, announce escalation thresholds', () => {
  it('posts to the Slack webhook at the start and when 1s has passed, and says whom to escalate to', async () => {
    const dir = tempDir();
    const posts: string[] = [];
    const slack = await startServer((_request, response, body) => {
      posts.push(body);
      json(response, 200, { ok: true });
    });
    mkdirSync(join(dir.path, 'runbooks'), { recursive: true });
    writeFileSync(
      join(dir.path, 'runbooks/outage.yaml'),
      `id: outage\ntitle: Total outage\nseverity: P0\nvars:\n  token: { secret: true, default: sekr1t-value }\ncommunication:\n  initial: "We are investigating an outage (key \${{ vars.token }})"\nescalation:\n  - { after: 1s, severity: P0, to: Engineering Lead, via: PagerDuty }\n  - { after: 1h, severity: P0, to: CTO }\n  - { after: 1s, severity: P3, to: Nobody }\ndiagnosis:\n  - id: wait\n    run: sleep 1.6\n    effect: read\n`,
    );
    writeFileSync(
      join(dir.path, 'runbook.config.yaml'),
      'severity_policies:\n  P0:\n    escalation_timers: true\n    notify_on_start: { slack_webhook_env: INCIDENT_SLACK_WEBHOOK }\n',
    );
    const state = join(dir.path, 'state');
    const result = await runCli(['run', 'outage'], {
      cwd: dir.path,
      env: { RUNBOOK_STATE_DIR: state, INCIDENT_SLACK_WEBHOOK: `${slack.url}/services/T0/B0/xyz` },
    });
    await slack.close();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✉ team notified (start)');
    expect(result.stdout).toContain(
      '⏰ 1s have passed: escalate to Engineering Lead via PagerDuty',
    );
    expect(result.stdout).not.toContain('Nobody');
    expect(posts.map((p) => (JSON.parse(p) as { text: string }).text)).toEqual([
      'We are investigating an outage (key ***)',
      expect.stringMatching(
        /^"Total outage" has been open for 1s: escalate to Engineering Lead via PagerDuty/,
      ) as string,
    ]);
    const [file] = readdirSync(join(state, 'runs'));
    const journal = parseJournal(readFileSync(join(state, 'runs', file ?? ''), 'utf8'));
    expect(journal.filter((e) => e.type === 'escalation.due')).toEqual([
      expect.objectContaining({ after: '1s', to: 'Engineering Lead', via: 'PagerDuty' }),
    ]);
    expect(journal.filter((e) => e.type === 'notify').map((e) => [e.purpose, e.ok])).toEqual([
      ['start', true],
      ['escalation', true],
    ]);
    expect(JSON.stringify(journal)).not.toContain('/services/T0/B0/xyz');
    dir.remove();
  });
});
