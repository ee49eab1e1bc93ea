import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processStart } from '../../src/exec/process-tree.js';
import { readJournal } from '../../src/state/journal-reader.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { findRun } from '../../src/state/find-run.js';
import { BIN, json, runBin, startServer, tempDir, type TestServer } from '../helpers/cli.js';

/**
 * A real run killed outright (SIGKILL) at 20 random points, each continued with `runbook resume`:
 * the journal still reads, the run is `crashed`, and resume completes it with the values captured
 * before the kill. The points are journal lines (the Nth whole line written), chosen by a seeded
 * generator: RESUME_CRASH_SEED=<n> repeats a run of this test.
 */

const BIG = 20_000;
const RUNBOOK = `
id: crashy
title: Killed and resumed
severity: P2
vars:
  api: { required: true }
  out: { required: true }
detection:
  checks:
    - id: health
      uses: http.get
      with: { url: "\${{ vars.api }}/health" }
      expect: { status: 200 }
diagnosis:
  - id: ticket
    uses: http.get
    with: { url: "\${{ vars.api }}/ticket" }
    capture:
      id: outputs.json.id
      big: outputs.json.big
  - id: count
    run: printf '%s' "\${{ steps.ticket.outputs.id }}" | wc -c
    capture:
      n: int(outputs.stdout.trim())
  - id: host
    run: echo "web-\${{ steps.count.outputs.n }}"
    capture:
      name: outputs.stdout.trim()
resolution:
  - id: restart
    when: steps.count.outputs.n == 8
    run: echo "restart \${{ steps.host.outputs.name }} for \${{ steps.ticket.outputs.id }}" >> "\${{ vars.out }}/log"
  - id: never
    when: steps.count.outputs.n > 100
    run: echo never >> "\${{ vars.out }}/log"
  - id: notify
    uses: http.post
    with:
      url: "\${{ vars.api }}/events"
      body: { ticket: "\${{ steps.ticket.outputs.id }}", host: "\${{ steps.host.outputs.name }}" }
  - id: final
    run: echo "done \${{ steps.ticket.outputs.id }} \${{ size(steps.ticket.outputs.big) }} \${{ steps.ticket.outputs.big.substring(19990) }}" >> "\${{ vars.out }}/log"
verification:
  - id: gate
    uses: http.get
    with: { url: "\${{ vars.api }}/gate" }
    expect: { status: 200 }
`;

const STEPS = ['health', 'ticket', 'count', 'host', 'restart', 'never', 'notify', 'final', 'gate'];
const LOG_LINES = ['restart web-8 for INC-4242', `done INC-4242 ${BIG} ${'z'.repeat(10)}`];

/** mulberry32: a small seeded generator, so that a failing run can be repeated. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('a run killed with SIGKILL at random points, then resumed', () => {
  const dir = tempDir('runbook-crash-');
  const state = join(dir.path, 'state');
  const out = join(dir.path, 'out');
  let server: TestServer;
  /** The gate step's request waits here until the test opens the gate. */
  let gateOpen = false;
  const events: string[] = [];

  beforeAll(async () => {
    mkdirSync(join(dir.path, 'runbooks'), { recursive: true });
    mkdirSync(out);
    writeFileSync(join(dir.path, 'runbooks/crashy.yaml'), RUNBOOK);
    server = await startServer((request, response, body) => {
      if (request.url === '/health') return json(response, 200, { ok: true });
      if (request.url === '/ticket')
        return json(response, 200, {
          id: 'INC-4242',
          big: `${'a'.repeat(BIG - 10)}${'z'.repeat(10)}`,
        });
      if (request.url === '/events') {
        events.push(body);
        return json(response, 201, { ok: true });
      }
      if (request.url === '/gate') {
        // Held until the gate opens: the run cannot end before the test kills it.
        const answer = (): void => {
          if (gateOpen) json(response, 200, { open: true });
          else setTimeout(answer, 10);
        };
        return answer();
      }
      json(response, 404, {});
    });
  });
  afterAll(async () => {
    gateOpen = true;
    await server.close();
    dir.remove();
  });

  const env = (): Record<string, string> => ({ RUNBOOK_STATE_DIR: state });
  const runArgs = (): string[] => [
    'run',
    'crashy',
    '--non-interactive',
    '--var',
    `api=${server.url}`,
    '--var',
    `out=${out}`,
  ];

  function start(): ChildProcess {
    return spawn(process.execPath, [BIN, ...runArgs()], {
      cwd: dir.path,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env() },
      stdio: 'ignore',
    });
  }

  /** The journal of the one run in the state directory, once it exists. */
  function journalFile(): string | undefined {
    const runs = join(state, 'runs');
    if (!existsSync(runs)) return undefined;
    const name = readdirSync(runs).find((file) => file.endsWith('.jsonl'));
    return name && join(runs, name);
  }

  /** Whole lines in the journal now. */
  function lines(): number {
    const file = journalFile();
    if (!file) return 0;
    return readFileSync(file, 'utf8').split('\n').length - 1;
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  async function kill(child: ChildProcess): Promise<void> {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  function reset(): void {
    rmSync(state, { recursive: true, force: true });
    rmSync(join(out, 'log'), { force: true });
    events.length = 0;
    gateOpen = false;
  }

  it('loads, says crashed, and resumes to the end with every captured value, 20 times', async () => {
    const seed = Number(process.env.RESUME_CRASH_SEED ?? Date.now() % 2 ** 31);
    console.log(`resume-crash seed: ${seed} (RESUME_CRASH_SEED=${seed} repeats it)`);
    const random = generator(seed);

    // How many lines a run writes before it waits at the gate: the last point to kill at.
    reset();
    const probe = start();
    await until(() => server.requests.some((r) => r.url === '/gate'), 'the gate request');
    const last = lines();
    await kill(probe);
    expect(last).toBeGreaterThan(20);

    for (let round = 0; round < 20; round++) {
      reset();
      const requestsBefore = server.requests.length;
      const point = 1 + Math.floor(random() * last);
      const child = start();
      await until(() => lines() >= point, `journal line ${point}`);
      await kill(child);
      const file = journalFile() ?? '';
      const runId = file.slice(file.lastIndexOf('/') + 1, -'.jsonl'.length);
      const context = `round ${round}, killed after line ${point} of ${last} (seed ${seed})`;

      // The journal still reads, and the run is crashed: its process is gone.
      const read = readJournal(file);
      expect(read.events.length, context).toBeGreaterThanOrEqual(point);
      expect(read.unreadable, context).toBe(0);
      const store = new FileStateStore(state, { start: processStart });
      const crashed = await findRun(store, runId);
      expect(crashed.status, context).toBe('crashed');
      expect(crashed.stopped?.kind, context).toBe('crashed');
      // history lists it so.
      expect(store.listRunsNow({}).runs.find((run) => run.run_id === runId)?.status, context).toBe(
        'crashed',
      );

      gateOpen = true;
      const resumed = await runBin(['resume', runId, '--non-interactive'], {
        cwd: dir.path,
        env: env(),
        timeoutMs: 30_000,
      });
      expect(resumed.code, `${context}\n${resumed.stdout}\n${resumed.stderr}`).toBe(0);

      // The values later steps printed are the captured ones, restored or captured again.
      const log = readFileSync(join(out, 'log'), 'utf8').trim().split('\n');
      expect([...new Set(log)].sort(), context).toEqual([...LOG_LINES].sort());
      expect(
        events.map((body) => JSON.parse(body) as unknown),
        context,
      ).toContainEqual({ ticket: 'INC-4242', host: 'web-8' });
      expect(
        server.requests.slice(requestsBefore).filter((r) => r.url === '/gate').length,
        context,
      ).toBeGreaterThanOrEqual(1);

      // One run, one journal: every step ended well exactly once over its parts.
      const record = await findRun(new FileStateStore(state, { start: processStart }), runId);
      expect(record.status, context).toBe('succeeded');
      expect(
        record.parts.map((part) => part.status),
        context,
      ).toEqual(['crashed', 'succeeded']);
      const ends = record.events.filter((event) => event.type === 'step.end');
      for (const id of STEPS) {
        const done = ends.filter(
          (event) =>
            event.type === 'step.end' &&
            event.id === id &&
            (event.status === 'succeeded' || event.status === 'skipped'),
        );
        expect(done.length, `${context}: ${id}`).toBe(1);
      }
      expect(
        record.steps.map((step) => [step.id, step.status]),
        context,
      ).toEqual(STEPS.map((id) => [id, id === 'never' ? 'skipped' : 'succeeded']));
    }
  }, 120_000);
});
