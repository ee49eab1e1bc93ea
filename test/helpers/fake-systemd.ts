import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Output recorded from systemd 252's systemctl and journalctl, replayed by the stand-ins. */
export const SYSTEMD_FIXTURES = resolve(import.meta.dirname, '../fixtures/systemd');

export type UnitState = 'active' | 'inactive' | 'failed';

export interface FakeSystemd {
  /** Put this first on PATH. */
  bin: string;
  /** Every call, in order: the tool, its argv and its TZ. */
  calls(): Array<{ tool: string; argv: string[]; tz: string | null }>;
  setState(unit: string, state: UnitState): void;
  state(unit: string): UnitState | undefined;
}

/**
 * `systemctl` and `journalctl` stand-ins (this machine's PID 1 is not systemd, so the real ones
 * cannot answer): they replay recorded systemd 252 output for the units in a state file, act on
 * start/stop/restart like systemd would, and log their argv. A unit named `broken` fails to start.
 */
export function installFakeSystemd(dir: string, units: Record<string, UnitState>): FakeSystemd {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const statePath = join(dir, 'units.json');
  const callsPath = join(dir, 'calls.jsonl');
  writeFileSync(statePath, JSON.stringify(normalise(units)));
  writeFileSync(callsPath, '');
  const script = (body: string): string =>
    `#!${process.execPath}\n` +
    `const fs = require('node:fs');\n` +
    `const FIXTURES = ${JSON.stringify(SYSTEMD_FIXTURES)};\n` +
    `const STATE = ${JSON.stringify(statePath)};\n` +
    `fs.appendFileSync(${JSON.stringify(callsPath)}, JSON.stringify({ tool: require('node:path').basename(process.argv[1]), argv: process.argv.slice(2), tz: process.env.TZ ?? null }) + '\\n');\n` +
    `const units = JSON.parse(fs.readFileSync(STATE, 'utf8'));\n` +
    `const full = (name) => (name.includes('.') ? name : name + '.service');\n` +
    body;
  writeFileSync(join(bin, 'systemctl'), script(SYSTEMCTL));
  writeFileSync(join(bin, 'journalctl'), script(JOURNALCTL));
  chmodSync(join(bin, 'systemctl'), 0o755);
  chmodSync(join(bin, 'journalctl'), 0o755);
  const read = (): Record<string, UnitState> =>
    JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, UnitState>;
  return {
    bin,
    calls: () =>
      readFileSync(callsPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { tool: string; argv: string[]; tz: string | null }),
    setState: (unit, state) =>
      writeFileSync(statePath, JSON.stringify({ ...read(), ...normalise({ [unit]: state }) })),
    state: (unit) => read()[unit.includes('.') ? unit : `${unit}.service`],
  };
}

function normalise(units: Record<string, UnitState>): Record<string, UnitState> {
  return Object.fromEntries(
    Object.entries(units).map(([name, state]) => [
      name.includes('.') ? name : `${name}.service`,
      state,
    ]),
  );
}

const SYSTEMCTL = `
const argv = process.argv.slice(2);
const end = argv.indexOf('--');
const words = [
  ...(end < 0 ? argv : argv.slice(0, end)).filter((arg) => !arg.startsWith('-')),
  ...(end < 0 ? [] : argv.slice(end + 1)),
];
const [verb, name] = words;
const unit = full(name ?? '');
const state = units[unit];
const save = (next) => { units[unit] = next; fs.writeFileSync(STATE, JSON.stringify(units)); };
const fail = (text, code) => { process.stderr.write(text + '\\n'); process.exit(code); };
switch (verb) {
  case 'show': {
    const file = state === undefined ? 'show-not-found.txt' : 'show-' + state + '.txt';
    const text = fs.readFileSync(FIXTURES + '/' + file, 'utf8').replaceAll('fondation-worker.service', unit);
    process.stdout.write(state === undefined ? text.replace(/^Description=.*$/m, 'Description=' + unit) : text);
    break;
  }
  case 'is-active':
    process.stdout.write((state ?? 'inactive') + '\\n');
    process.exit(state === 'active' ? 0 : 3);
  case 'start':
  case 'restart':
    if (state === undefined) fail('Failed to ' + verb + ' ' + unit + ': Unit ' + unit + ' not found.', 5);
    if (unit === 'broken.service') {
      save('failed');
      fail('Job for broken.service failed because the control process exited with error code.\\nSee "systemctl status broken.service" and "journalctl -xeu broken.service" for details.', 1);
    }
    save('active');
    break;
  case 'stop':
    if (state === undefined) fail('Failed to stop ' + unit + ': Unit ' + unit + ' not loaded.', 5);
    save('inactive');
    break;
  case 'reload':
    if (state !== 'active') fail('Job for ' + unit + ' invalid.', 1);
    break;
  default:
    fail('Unknown command verb ' + verb + '.', 1);
}
`;

const JOURNALCTL = `
const args = process.argv.slice(2);
const value = (flag) => { const at = args.indexOf(flag); return at < 0 ? undefined : args[at + 1]; };
const names = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const unit = full(value('-u') ?? '');
const lines = Number(value('-n') ?? '100');
const p = value('-p');
const max = p === undefined ? 7 : /^\\d$/.test(p) ? Number(p) : names.indexOf(p);
const entries = fs.readFileSync(FIXTURES + '/journal.jsonl', 'utf8').split('\\n').filter(Boolean)
  .filter((line) => { const e = JSON.parse(line); return (e._SYSTEMD_UNIT === unit || e.UNIT === unit) && Number(e.PRIORITY) <= max; })
  .map((line) => line.replaceAll('fondation-worker.service', unit));
for (const line of entries.slice(-lines)) process.stdout.write(line + '\\n');
`;
