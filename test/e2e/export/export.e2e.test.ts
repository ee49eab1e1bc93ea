import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBin, tempDir } from '../../helpers/cli.js';

/**
 * `runbook export` through bin/runbook.js, from a directory of its own, its output read as through
 * a pipe (docs/commands.md#export): the page, what it never holds (a secret's value), and how it
 * refuses what it cannot do (exit 2, one message, nothing written).
 */

const dir = tempDir('runbook-export-');
afterAll(() => dir.remove());
const books = join(dir.path, 'books');
mkdirSync(books);
const env = { RUNBOOK_STATE_DIR: join(dir.path, 'state'), HOME: dir.path };

writeFileSync(
  join(books, 'db-locks.yaml'),
  `id: db-locks
title: "Orders DB: queries *stuck* on <locks>"
service: orders
severity: P2
summary: Queries wait on locks.
vars:
  database_url: { description: Where the orders database is, env: ORDERS_DB, secret: true, default: "postgres://app:hunter2-very-secret@db/orders" }
  app: { description: The pm2 app, default: orders-api }
detection:
  symptoms:
    - p99 latency over 2s
diagnosis:
  - id: blockers
    name: Sessions that block others
    uses: psql.select
    with: { url: "\${{ vars.database_url }}", sql: "SELECT pid FROM pg_locks WHERE NOT granted" }
  - id: look
    manual: Look at the \`orders\` dashboard for the slow endpoint.
resolution:
  - id: restart-app
    name: Restart the API
    uses: pm2.restart
    with: { app: "\${{ vars.app }}" }
  - id: clear-cache
    run: rm -rf /var/cache/orders/*
    effect: destructive
verification:
  - id: latency
    name: p99 is back under 2s
    run: curl -s localhost:9090/p99
    effect: read
postmortem:
  checklist:
    - Why did the lock last?
references:
  - { title: Locks, url: "https://www.postgresql.org/docs/current/explicit-locking.html" }
`,
);
writeFileSync(
  join(books, 'catalog.yaml'),
  `runbooks:
  - id: doc-only
    title: Disk pressure
    summary: Free space, then call storage.
    escalation:
      - { after: 10m, to: storage-oncall, via: pager }
`,
);

writeFileSync(
  join(books, 'literal.yaml'),
  `id: literal
title: Credentials written into the file
diagnosis:
  - id: conn
    run: psql postgres://app:Sup3rS3cretPw@db.internal/orders -c 'select 1'
    effect: read
  - id: gh
    run: 'curl -H "Authorization: token ghp_abcdefghijklmnopqrstuvwxyz0123456789" https://api.github.com/user'
    effect: read
`,
);

const PAGE = `---
id: db-locks
service: orders
severity: P2
---

# Orders DB: queries \\*stuck\\* on \\<locks\\>

Runbook \`db-locks\` · Severity \`P2\` · service \`orders\`

Queries wait on locks.

## Symptoms

- p99 latency over 2s

## Variables

| Variable | Description | Default | From |
| --- | --- | --- | --- |
| database\\_url | Where the orders database is | (secret) | $ORDERS\\_DB; secret |
| app | The pm2 app | orders-api |   |

## Diagnosis

- \`blockers\` — Sessions that block others
  > Reads only.\\
  > On the database \`<database_url>\`.

  \`\`\`sql
  SELECT pid FROM pg_locks WHERE NOT granted
  \`\`\`

- \`look\`

  Look at the \`orders\` dashboard for the slow endpoint.

## Resolution

- \`restart-app\` — Restart the API
  > Changes the system.

  \`\`\`sh
  pm2 restart '<app>'
  \`\`\`

- \`clear-cache\`
  > **Destructive**: asks before it runs.

  \`\`\`sh
  rm -rf /var/cache/orders/*
  \`\`\`

## Verification

- \`latency\` — p99 is back under 2s
  > Reads only.

  \`\`\`sh
  curl -s localhost:9090/p99
  \`\`\`

## Post-incident checklist

- [ ] Why did the lock last?

## Links

- [Locks](https://www.postgresql.org/docs/current/explicit-locking.html)
`;

describe('runbook export', () => {
  it('writes the page to standard output, complete through a pipe, and no secret', async () => {
    const result = await runBin(['export', 'db-locks', '--dir', books], { cwd: dir.path, env });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(PAGE);
    expect(result.stdout).not.toContain('hunter2');
  });

  it('masks a URL password and a token the file writes as literals', async () => {
    const result = await runBin(['export', 'literal', '--dir', books], { cwd: dir.path, env });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.split('## Diagnosis\n\n')[1]).toBe(
      `- \`conn\`
  > Reads only.

  \`\`\`sh
  psql postgres://app:***@db.internal/orders -c 'select 1'
  \`\`\`

- \`gh\`
  > Reads only.

  \`\`\`sh
  curl -H "Authorization: token ghp_…" https://api.github.com/user
  \`\`\`
`,
    );
  });

  it('exports a documentation-only runbook of a catalog, by its id', async () => {
    const result = await runBin(['export', 'doc-only', '--dir', books, '--format', 'md'], {
      cwd: dir.path,
      env,
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      `---
id: doc-only
---

# Disk pressure

Runbook \`doc-only\`

Free space, then call storage.

## Escalation

| Who | When | Severity | Via | Contact |
| --- | --- | --- | --- | --- |
| storage-oncall | after 10m |   | pager |   |
`,
    );
  });

  it('writes --out whole, and refuses to overwrite it without --force', async () => {
    const out = join(dir.path, 'wiki', 'db-locks.md');
    mkdirSync(join(dir.path, 'wiki'));
    const first = await runBin(
      ['export', 'db-locks', '--dir', books, '--out', 'wiki/db-locks.md'],
      {
        cwd: dir.path,
        env,
      },
    );
    expect(first).toMatchObject({ code: 0, stdout: '', stderr: 'wrote wiki/db-locks.md\n' });
    expect(readFileSync(out, 'utf8')).toBe(PAGE);
    expect(statSync(out).mode & 0o777).toBe(0o644);

    writeFileSync(out, 'mine\n');
    const again = await runBin(['export', 'db-locks', '--dir', books, '--out', out], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      `runbook: ${out} already exists; nothing was written\nhint: pass --force to overwrite it\n`,
    );
    expect(readFileSync(out, 'utf8')).toBe('mine\n');

    const forced = await runBin(['export', 'db-locks', '--dir', books, '--out', out, '--force'], {
      env,
    });
    expect(forced.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(PAGE);
    expect(readdirSync(join(dir.path, 'wiki'))).toEqual(['db-locks.md']);
  });

  it('refuses what it cannot do with one message and exit 2', async () => {
    const cases: Array<[string[], string]> = [
      [
        ['export', 'nosuch', '--dir', books],
        'runbook: no runbook with id "nosuch" in books\nhint: list them with: runbook list\n',
      ],
      [
        ['export', 'db-locks', '--dir', books, '--format', 'html'],
        'error: --format must be one of md (got "html")\n',
      ],
      [
        ['export', 'db-locks', '--dir', books, '--out', '--help'],
        'error: --out needs a value, and got the option --help\nhint: put its value right after --out\n',
      ],
      [
        ['export', 'db-locks', '--dir', books, '--out', join(dir.path, 'missing', 'x.md')],
        'runbook: cannot write missing/x.md: no such directory\n',
      ],
      [
        ['export', 'db-locks', '--dir', books, '--out', books],
        'runbook: --out books is a directory\nhint: for example: --out books/db-locks.md\n',
      ],
    ];
    for (const [args, stderr] of cases) {
      const result = await runBin(args, { cwd: dir.path, env });
      expect({ args, code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
        args,
        code: 2,
        stdout: '',
        stderr,
      });
    }
  });
});
