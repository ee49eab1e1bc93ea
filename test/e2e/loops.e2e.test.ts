import { execFileSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, tempDir } from '../helpers/cli.js';

/** The loops example (examples/loops) and an inventory, through the built CLI and real pipes:
 * `| cat` and `--format json | jq`. */

let dir: { path: string; remove: () => void };

function sh(script: string): { code: number; stdout: string } {
  try {
    const stdout = execFileSync('sh', ['-c', script], {
      cwd: dir.path,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        RUNBOOK_STATE_DIR: join(dir.path, 'state'),
        RB: `${process.execPath} ${BIN}`,
      },
      encoding: 'utf8',
    });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { status: number; stdout: string };
    return { code: failed.status, stdout: failed.stdout };
  }
}

beforeAll(() => {
  dir = tempDir('rb-loops-e2e-');
  cpSync(join(ROOT, 'examples/loops/runbooks'), join(dir.path, 'runbooks'), { recursive: true });
  writeFileSync(
    join(dir.path, 'hosts.ini'),
    '[db]\ndb-primary ansible_host=10.0.1.1 ansible_user=postgres\ndb-replica-[1:2] ansible_host=10.0.1.9 ansible_port=2222\n',
  );
  writeFileSync(
    join(dir.path, 'runbooks/fleet.yaml'),
    'id: fleet\ntitle: Fleet\ndiagnosis:\n  - id: uptime\n    for_each: { group: db }\n    on: ${{ item }}\n    run: uptime\n',
  );
});
afterAll(() => dir.remove());

describe('for_each through the built CLI', () => {
  it('a JUnit dry run has a test case per item, each with its command', () => {
    const { code, stdout } = sh('$RB run replicas-lagging --dry-run --format junit | cat');
    expect(code).toBe(0);
    const cases = [...stdout.matchAll(/<testcase classname="([^"]+)" name="([^"]+)"/g)].map(
      (match) => `${match[1]} ${match[2]}`,
    );
    expect(cases).toEqual([
      'replicas-lagging.diagnosis find-replicas',
      'replicas-lagging.diagnosis lag[db-replica-1]',
      'replicas-lagging.diagnosis lag[db-replica-2]',
      'replicas-lagging.diagnosis lag[db-replica-3]',
      'replicas-lagging.resolution restart[db-replica-1]',
      'replicas-lagging.resolution restart[db-replica-2]',
      'replicas-lagging.resolution restart[db-replica-3]',
      'replicas-lagging.verification per-replica[db-replica-1]',
      'replicas-lagging.verification per-replica[db-replica-2]',
    ]);
    expect(stdout).toContain(
      '<testsuite name="replicas-lagging" tests="9" failures="0" skipped="0" errors="0"',
    );
    expect(stdout).toContain('<system-out>echo &quot;restarting db-replica-2&quot;</system-out>');
  });

  it('plans the expanded items, each with its command, through | cat', () => {
    const { code, stdout } = sh('$RB run replicas-lagging --dry-run | cat');
    expect(code).toBe(0);
    const resolution = stdout.slice(stdout.indexOf('Resolution'), stdout.indexOf('Verification'));
    expect(resolution.trim().split('\n')).toEqual([
      'Resolution',
      '  ▸ restart  for each of 3 items, 2 at once',
      '      ○ restart [db-replica-1] [destructive]',
      '          $ echo "restarting db-replica-1"',
      '      ○ restart [db-replica-2] [destructive]',
      '          $ echo "restarting db-replica-2"',
      '      ○ restart [db-replica-3] [destructive]',
      '          $ echo "restarting db-replica-3"',
      '  ○ restart [destructive]  for each of 3 items, 2 at once',
    ]);
  });

  it('runs every item for real, and --format json | jq reads each item', () => {
    const { code, stdout } = sh(
      `$RB run replicas-lagging --yes --format json | jq -c '.steps[] | select(.items) | [.id, .loop, [.items[] | .item.label + "=" + .status]]'`,
    );
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual([
      '["lag","for each of 3 items",["db-replica-1=succeeded","db-replica-2=succeeded","db-replica-3=succeeded"]]',
      '["restart","for each of 3 items, 2 at once",["db-replica-1=succeeded","db-replica-2=succeeded","db-replica-3=succeeded"]]',
      '["per-replica","for each of 2 items",["db-replica-1=succeeded","db-replica-2=succeeded"]]',
    ]);
  });

  it('shows each item, and the items a confirmation covered, in the incident report', () => {
    const report = sh(
      `$RB report "$($RB run replicas-lagging --yes --format json | jq -r .run_id)" | grep -E '^- .*(restart|approved)' | cut -c 18- | sed -E 's/[0-9.]+m?s$/<duration>/'`,
    );
    expect(report.stdout.trim().split('\n').sort()).toEqual(
      [
        '`restart` for 3 items (db-replica-1, db-replica-2, db-replica-3) approved by ' +
          `${userInfo().username} (given with the run: \`--yes\`)`,
        '`restart`: **succeeded** · destructive · exit — · ' + '<duration>',
        '↳ `restart` [db-replica-1]: **succeeded** · destructive · exit 0 · <duration>',
        '↳ `restart` [db-replica-2]: **succeeded** · destructive · exit 0 · <duration>',
        '↳ `restart` [db-replica-3]: **succeeded** · destructive · exit 0 · <duration>',
      ].sort(),
    );
  });

  it('plans an inventory group over ssh, and refuses a hostile inventory with exit 2 at file:line', () => {
    const planned = sh(
      `$RB run fleet --dry-run --inventory hosts.ini --format json | jq -r '.steps[0].items[].command'`,
    );
    expect(planned.stdout.trim().split('\n')).toEqual([
      'ssh -o BatchMode=yes -o ConnectTimeout=10 postgres@10.0.1.1 -- uptime',
      'ssh -o BatchMode=yes -o ConnectTimeout=10 -p 2222 10.0.1.9 -- uptime',
      'ssh -o BatchMode=yes -o ConnectTimeout=10 -p 2222 10.0.1.9 -- uptime',
    ]);
    writeFileSync(join(dir.path, 'bad.ini'), '[db]\ndb1 ansible_host=--help\n[oops\n');
    const bad = sh('$RB run fleet --dry-run --inventory bad.ini 2>&1 | cat; exit 0');
    expect(bad.stdout).toBe(
      `${join(dir.path, 'bad.ini')}:3:1: error: cannot read "[oops" as a section\n    hint: expected [group], [group:children] or [group:vars]\n\n1 error\n`,
    );
    expect(sh('$RB run fleet --dry-run --inventory bad.ini').code).toBe(2);
    expect(sh('$RB run fleet --dry-run --inventory missing.ini').code).toBe(2);
  });
});
