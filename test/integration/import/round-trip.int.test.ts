import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../../helpers/cli.js';

/**
 * The round trip of docs/import.md#round-trip, for every shipped runbook and every runbook the
 * seeds import into: export → import → export → import → export. The second and third pages are
 * the same bytes, and the two imports are strict-valid with the same steps (section, id, kind and
 * command); the first import keeps the runbook's id, title and variables.
 */

const dir = tempDir('runbook-round-trip-');
afterAll(() => dir.remove());
const env = { RUNBOOK_STATE_DIR: join(dir.path, 'state') };

interface Trip {
  source: string;
  id: string;
  pages: string[];
  imports: Array<{ dir: string; id: string; runbook: Record<string, unknown> }>;
}

type StepLine = [section: string, id: string, kind: string, command: string];

const SECTIONS = ['diagnosis', 'resolution', 'verification', 'rollback'] as const;

/** Each step of an imported runbook: its section, id, kind and command (or instruction). */
function stepsOf(runbook: Record<string, unknown>): StepLine[] {
  const detection = (runbook.detection ?? {}) as { checks?: unknown[] };
  const sections: Array<[string, unknown[]]> = [
    ['detection', detection.checks ?? []],
    ...SECTIONS.map((section): [string, unknown[]] => [
      section,
      (runbook[section] as unknown[] | undefined) ?? [],
    ]),
  ];
  return sections.flatMap(([section, steps]) =>
    (steps as Array<Record<string, unknown>>).map((step): StepLine => {
      const kind = step.uses ? 'uses' : step.run !== undefined ? 'run' : 'manual';
      // A manual step's text as a person reads it in a plan: a variable as `<name>`, runs of
      // spaces as one (the importer writes a command it leaves for a person with its variables).
      const command =
        kind === 'uses'
          ? `${String(step.uses)} ${JSON.stringify(step.with)}`
          : kind === 'run'
            ? String(step.run)
            : String(step.manual)
                .replace(/\$\{\{\s*vars\.([A-Za-z_]\w*)\s*\}\}/g, '<$1>')
                .replace(/\s+/g, ' ');
      return [section, String(step.id), kind, command];
    }),
  );
}

async function exportPage(from: string, id: string): Promise<string> {
  const result = await runCli(['export', id, '--dir', from], { cwd: dir.path, env });
  expect(result.stderr, `export ${id}`).toBe('');
  expect(result.code, `export ${id}`).toBe(0);
  return result.stdout;
}

async function importPage(
  page: string,
  name: string,
  into: string,
): Promise<{ dir: string; id: string; runbook: Record<string, unknown> }> {
  const pages = join(into, 'md');
  mkdirSync(pages, { recursive: true });
  writeFileSync(join(pages, `${name}.md`), page);
  const out = join(into, 'yaml');
  const result = await runCli(
    ['import', join(pages, `${name}.md`), '--out-dir', out, '--format', 'json'],
    { cwd: dir.path, env },
  );
  expect(result.stderr, `import ${name}`).toBe('');
  expect(result.code, `import ${name}`).toBe(0);
  const summary = JSON.parse(result.stdout) as {
    files: Array<{ runbooks: Array<{ id: string; file: string }> }>;
  };
  const runbooks = summary.files[0]?.runbooks ?? [];
  expect(runbooks.map((runbook) => runbook.file)).toEqual([
    `${out.slice(dir.path.length + 1)}/${runbooks[0]?.id}.yaml`,
  ]);
  const id = runbooks[0]?.id ?? '';
  const runbook = parse(readFileSync(join(out, `${id}.yaml`), 'utf8')) as Record<string, unknown>;
  return { dir: out, id, runbook };
}

async function ids(from: string): Promise<string[]> {
  const result = await runCli(['list', '--json', '--dir', from], { cwd: dir.path, env });
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as Array<{ id: string }>).map((entry) => entry.id);
}

const trips: Trip[] = [];

beforeAll(async () => {
  const seeds = join(dir.path, 'seeds');
  const imported = await runCli(
    ['import', join(ROOT, 'test/fixtures/import/seeds'), '--out-dir', seeds],
    { cwd: dir.path, env },
  );
  expect(imported.code).toBe(0);
  const sources: Array<[string, string]> = [
    ...(await ids(join(ROOT, 'runbooks'))).map((id): [string, string] => [
      join(ROOT, 'runbooks'),
      id,
    ]),
    ...(await ids(seeds)).map((id): [string, string] => [seeds, id]),
  ];
  for (const [n, [source, id]] of sources.entries()) {
    const trip: Trip = { source, id, pages: [], imports: [] };
    let from = source;
    let current = id;
    for (let round = 1; round <= 3; round++) {
      const page = await exportPage(from, current);
      trip.pages.push(page);
      if (round === 3) break;
      const back = await importPage(page, id, join(dir.path, 'trips', String(n), String(round)));
      trip.imports.push(back);
      from = back.dir;
      current = back.id;
    }
    trips.push(trip);
  }
}, 900_000);

describe('export → import → export', () => {
  it('goes round every shipped runbook and every imported seed runbook', () => {
    expect(trips.filter((trip) => trip.source.endsWith('runbooks'))).toHaveLength(42);
    expect(trips.filter((trip) => !trip.source.endsWith('runbooks'))).toHaveLength(36);
  });

  it('gives the same Markdown the second time, byte for byte', () => {
    const differ = trips.filter((trip) => trip.pages[1] !== trip.pages[2]).map((trip) => trip.id);
    expect(differ).toEqual([]);
  });

  it('imports the same steps, with the same ids and commands, both times', () => {
    for (const trip of trips) {
      const [first, second] = trip.imports;
      expect(stepsOf(second?.runbook ?? {}), trip.id).toEqual(stepsOf(first?.runbook ?? {}));
      expect(second?.runbook.vars, trip.id).toEqual(first?.runbook.vars);
    }
  });

  it('keeps the runbook id, title, service, severity and variables on the first import', async () => {
    for (const trip of trips) {
      const original = await runCli(['show', trip.id, '--json', '--dir', trip.source], {
        cwd: dir.path,
        env,
      });
      const x = JSON.parse(original.stdout) as Record<string, unknown>;
      const back = trip.imports[0]?.runbook ?? {};
      expect(
        [back.id, back.title, back.service, back.severity, Object.keys(back.vars ?? {})],
        trip.id,
      ).toEqual([x.id, x.title, x.service, x.severity, Object.keys(x.vars ?? {})]);
    }
  });

  it('imports strict-valid runbooks each time', async () => {
    // The shipped runbooks and the seeds' share ids: each set is validated on its own.
    for (const round of [0, 1])
      for (const shipped of [true, false]) {
        const dirs = trips
          .filter((trip) => trip.source.endsWith('runbooks') === shipped)
          .map((trip) => trip.imports[round]?.dir ?? '');
        const result = await runCli(['validate', '--strict', ...dirs], { cwd: dir.path, env });
        expect(result.stdout).toBe(`✓ ${shipped ? 42 : 36} runbooks valid\n`);
        expect(result.code).toBe(0);
      }
  });

  it('keeps the demo runbook’s step ids; an HTTP check comes back as an instruction', () => {
    const demo = trips.find((trip) => trip.id === 'demo-api-down');
    expect(stepsOf(demo?.imports[0]?.runbook ?? {})).toEqual([
      ['detection', 'health', 'manual', 'Uses `http.get`: `GET <base_url>/health`.'],
      ['diagnosis', 'service-status', 'manual', 'Uses `http.get`: `GET <base_url>/status`.'],
      [
        'diagnosis',
        'lock-details',
        'run',
        "ls -l '<steps.service_status.outputs.lock_file>' && cat '<steps.service_status.outputs.lock_file>'",
      ],
      [
        'resolution',
        'remove-stale-lock',
        'run',
        "rm -f '<steps.service_status.outputs.lock_file>'",
      ],
      ['resolution', 'reload-service', 'run', "kill -HUP '<steps.service_status.outputs.pid>'"],
      ['verification', 'healthy-again', 'manual', 'Uses `http.get`: `GET <base_url>/health`.'],
      [
        'rollback',
        'page-owner',
        'manual',
        'The API is still unhealthy. Restore the lock from the last deploy (<state_dir>/maintenance.lock) and page the API owner.',
      ],
    ]);
  });
});
