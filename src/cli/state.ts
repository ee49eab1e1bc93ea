import { UsageError } from '../common/errors.js';
import { loadConfig } from '../schema/config.js';
import { LATEST_VERSION } from '../state/pg-schema.js';
import { arg, defineCommand, jsonFlag, type Values } from './define.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { openStateStore } from './setup.js';
import { visible } from '../report/visible.js';
import type { PgStateStore } from '../state/pg-store.js';
import type { StateStore } from '../state/store.js';

/** The team store (its module is loaded only when chosen: its type alone is imported here). */
function isTeam(store: StateStore): store is PgStateStore {
  return 'migrate' in store;
}

const ACTIONS = ['status', 'migrate', 'flush'] as const;

const flags = { json: jsonFlag };

/** `runbook state status|migrate|flush`: the team database (docs/state.md). */
export const state = defineCommand({
  name: 'state',
  summary:
    'The state store: status (which store, schema version, locks held), migrate (create or upgrade the team database), flush (send journals kept while it was down)',
  args: { action: arg.required('action', ACTIONS.join(', ')) },
  flags,
  handler: ({ action }, options, io) => stateCommand(action, options, io),
});

async function stateCommand(
  action: string,
  options: Values<typeof flags>,
  io: Io,
): Promise<number> {
  if (!(ACTIONS as readonly string[]).includes(action))
    throw new UsageError(`unknown action "${visible(action)}"`, `one of: ${ACTIONS.join(', ')}`);
  const config = await loadConfig(io.cwd, io.env);
  const store = await openStateStore(io, config);
  try {
    if (!isTeam(store)) {
      if (action !== 'status')
        throw new UsageError(
          `runbook state ${action} is for the team database, and runs are kept in ${store.description}`,
          'set RUNBOOK_STATE_URL, or state: { url_env: NAME } in runbook.config.yaml (docs/state.md)',
        );
      return print(io, options.json === true, { store: 'files', location: store.stateDir }, [
        `Runs are kept in ${store.description} (this machine only).`,
        'A team database: docs/state.md',
      ]);
    }
    const pg = store;
    switch (action) {
      case 'migrate': {
        const applied = await pg.migrate();
        return print(
          io,
          options.json === true,
          { store: 'postgres', location: pg.runsLocation, applied, version: LATEST_VERSION },
          applied.length === 0
            ? [`${pg.runsLocation} is at schema version ${LATEST_VERSION}: nothing to do.`]
            : [
                ...applied.map((m) => `applied migration ${m.version}: ${m.name}`),
                `${pg.runsLocation} is at schema version ${LATEST_VERSION}.`,
              ],
        );
      }
      case 'flush': {
        await pg.ready();
        const sent = await pg.flush();
        return print(
          io,
          options.json === true,
          { store: 'postgres', location: pg.runsLocation, ...sent },
          [
            sent.runs === 0
              ? 'No journal was waiting to be sent.'
              : `Sent ${sent.events} event${sent.events === 1 ? '' : 's'} of ${sent.runs} run${sent.runs === 1 ? '' : 's'} to ${pg.runsLocation}.`,
          ],
        );
      }
      default: {
        const version = await pg.schemaVersion().catch((error: unknown) => {
          throw pg.unavailable(error);
        });
        const locks = version === LATEST_VERSION ? await pg.heldLocks() : [];
        const waiting = pg.spooled();
        const lines = [
          `Runs are kept in the team database ${pg.runsLocation}.`,
          version === LATEST_VERSION
            ? `Schema version ${version} (up to date).`
            : `Schema version ${version} of ${LATEST_VERSION}: run \`runbook state migrate\`.`,
          locks.length === 0
            ? 'No lock is held.'
            : `Locks held (${locks.length}):\n${locks.map((l) => `  ${l.name}: ${l.user}@${l.host} since ${l.started_at}, run ${l.run_id}${l.step ? `, step ${l.step}` : ''}`).join('\n')}`,
          waiting.length === 0
            ? 'No journal waits to be sent.'
            : `${waiting.length} journal${waiting.length === 1 ? '' : 's'} of this machine wait to be sent: runbook state flush`,
        ];
        print(
          io,
          options.json === true,
          {
            store: 'postgres',
            location: pg.runsLocation,
            version,
            latest: LATEST_VERSION,
            locks: locks.map(({ backend_pid: _pid, ...lock }) => lock),
            waiting,
          },
          lines,
        );
        return version === LATEST_VERSION ? EXIT.ok : EXIT.unavailable;
      }
    }
  } finally {
    await store.close();
  }
}

function print(io: Io, json: boolean, data: object, lines: string[]): number {
  io.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${lines.join('\n')}\n`);
  return EXIT.ok;
}
