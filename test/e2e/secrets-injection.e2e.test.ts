import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, runBin, startServer, tempDir, type TestServer } from '../helpers/cli.js';

const SECRET = 'hunter2-S3CRET-value';
const ENV_SECRET = 'env-t0ken-abcdef987654';

/** A runbook that uses secrets in every way a runbook can. */
const SECRETS = `
id: secrets
title: Secrets in every position
vars:
  base_url: { required: true }
  out: { required: true }
  password: { secret: true, required: true }
  token: { env: DEPLOY_TOKEN }
communication:
  initial: "Using \${{ vars.password }} for \${{ runbook.service }}"
detection:
  checks:
    - id: header
      uses: http.get
      with: { url: "\${{ vars.base_url }}/auth", headers: { authorization: "Bearer \${{ vars.password }}" } }
      capture: { echoed: outputs.json.seen }
diagnosis:
  - id: templated
    run: echo "pw=\${{ vars.password }}" > \${{ vars.out }}/templated.txt; cat \${{ vars.out }}/templated.txt
    effect: read
    capture: { printed: outputs.stdout }
  - id: concatenated
    run: [echo, "\${{ 'prefix-' + vars.password + '-suffix' }}"]
    effect: read
  - id: by-env
    run: echo "token is $DEPLOY_TOKEN and env var $API_TOKEN"
    env: { DEPLOY_TOKEN: "\${{ vars.token }}" }
    effect: read
  - id: fails-loudly
    run: echo "failed with \${{ vars.password }}" >&2; exit 1
    effect: read
    continue_on_error: true
resolution:
  - id: post
    uses: http.post
    with: { url: "\${{ vars.base_url }}/events", body: { note: "rotated \${{ vars.password }}" } }
`;

/** Hostile values that must arrive as text, never run. */
const HOSTILE = [
  '; touch TRIP',
  '$(touch TRIP)x',
  '$(touch TRIP)',
  '`touch TRIP`',
  'a\ntouch TRIP',
  "'; touch TRIP; '",
  '"; touch TRIP; "',
  '--output=TRIP',
];

const INJECTION = `
id: injection
title: Hostile values
vars:
  v: { required: true }
  out: { required: true }
diagnosis:
  - id: bare
    run: printf '%s' \${{ vars.v }} > \${{ vars.out }}/bare.txt
  - id: double
    run: printf '%s' "<\${{ vars.v }}>" > \${{ vars.out }}/double.txt
  - id: single
    run: printf '%s' '<\${{ vars.v }}>' > \${{ vars.out }}/single.txt
  - id: argv
    run: [printf, '%s', "\${{ vars.v }}"]
    capture: { got: outputs.stdout }
  - id: subshell
    run: printf '%s' "$(printf '%s' \${{ vars.v }})" > \${{ vars.out }}/subshell.txt
  - id: fetch
    run: ["node", "-e", "process.stdout.write(JSON.stringify({ x: process.env.V }))"]
    env: { V: "\${{ vars.v }}" }
  - id: nested-sh
    run: sh -c 'printf "%s" \${{ steps.fetch.outputs.json.x }}' > \${{ vars.out }}/nested-sh.txt
  - id: nested-bash
    run: bash -c 'printf "%s" "<\${{ vars.v }}>"' > \${{ vars.out }}/nested-bash.txt
  - id: nested-eval
    run: eval 'printf "%s" \${{ vars.v }}' > \${{ vars.out }}/nested-eval.txt
  - id: nested-twice
    run: sh -c 'bash -c '\\''printf "%s" \${{ vars.v }}'\\''' > \${{ vars.out }}/nested-twice.txt
  - id: nested-argv
    run: ["sh", "-c", "printf '%s' \${{ vars.v }}"]
    capture: { got: outputs.stdout }
`;

describe('secrets never reach the terminal, the journal or the JSON output', () => {
  let server: TestServer;
  const dir = tempDir();
  beforeAll(async () => {
    server = await startServer((request, response, body) => {
      if (request.url === '/auth')
        return json(response, 200, { seen: request.headers.authorization });
      if (request.url === '/events') return json(response, 201, { got: body });
      json(response, 404, {});
    });
    mkdirSync(join(dir.path, 'runbooks'), { recursive: true });
    writeFileSync(join(dir.path, 'runbooks/secrets.yaml'), SECRETS);
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  it.each([['text'], ['json'], ['junit']])(
    'in --format %s, stdout, stderr and the journal',
    async (format) => {
      const state = join(dir.path, `state-${format}`);
      const before = server.requests.length;
      const result = await runBin(
        [
          'run',
          'secrets',
          '--var',
          `base_url=${server.url}`,
          '--var',
          `out=${dir.path}`,
          '--var',
          `password=${SECRET}`,
          '--format',
          format,
        ],
        {
          cwd: dir.path,
          env: { RUNBOOK_STATE_DIR: state, DEPLOY_TOKEN: ENV_SECRET, API_TOKEN: ENV_SECRET },
        },
      );
      expect(result.code).toBe(0);
      // The secrets did their work: the server saw the real header, the file holds the real value.
      expect(
        server.requests
          .slice(before)
          .map((r) => [r.method, r.url, r.headers.authorization ?? null, r.body]),
      ).toEqual([
        ['GET', '/auth', `Bearer ${SECRET}`, ''],
        ['POST', '/events', null, JSON.stringify({ note: `rotated ${SECRET}` })],
      ]);
      expect(readFileSync(join(dir.path, 'templated.txt'), 'utf8')).toBe(`pw=${SECRET}\n`);
      const journals = readdirSync(join(state, 'runs')).map((f) =>
        readFileSync(join(state, 'runs', f), 'utf8'),
      );
      const everything = [result.stdout, result.stderr, ...journals].join('\n');
      expect(everything).not.toContain(SECRET);
      expect(everything).not.toContain(ENV_SECRET);
      expect(everything).toContain('***');
    },
  );
});

describe('hostile values are text, never code', () => {
  const dir = tempDir();
  beforeAll(() => {
    mkdirSync(join(dir.path, 'runbooks'), { recursive: true });
    writeFileSync(join(dir.path, 'runbooks/injection.yaml'), INJECTION);
  });
  afterAll(() => dir.remove());

  it.each(HOSTILE)('%j', async (value) => {
    const work = join(dir.path, `w${HOSTILE.indexOf(value)}`);
    mkdirSync(work);
    const result = await runBin(
      [
        'run',
        'injection',
        '--dir',
        join(dir.path, 'runbooks'),
        '--var',
        `v=${value}`,
        '--var',
        `out=${work}`,
        '--format',
        'json',
      ],
      {
        cwd: work,
        env: { RUNBOOK_STATE_DIR: join(dir.path, 'state') },
      },
    );
    expect(result.code, result.stderr).toBe(0);
    // Nothing ran: no tripwire file anywhere the commands could have made one.
    expect(existsSync(join(work, 'TRIP'))).toBe(false);
    expect(existsSync(join(dir.path, 'TRIP'))).toBe(false);
    expect(readFileSync(join(work, 'bare.txt'), 'utf8')).toBe(value);
    expect(readFileSync(join(work, 'double.txt'), 'utf8')).toBe(`<${value}>`);
    expect(readFileSync(join(work, 'single.txt'), 'utf8')).toBe(`<${value}>`);
    expect(readFileSync(join(work, 'subshell.txt'), 'utf8')).toBe(value.replace(/\n+$/, ''));
    // A nested shell gets the value as data too: a step's output, or a variable.
    expect(readFileSync(join(work, 'nested-sh.txt'), 'utf8')).toBe(value);
    expect(readFileSync(join(work, 'nested-bash.txt'), 'utf8')).toBe(`<${value}>`);
    expect(readFileSync(join(work, 'nested-eval.txt'), 'utf8')).toBe(value);
    expect(readFileSync(join(work, 'nested-twice.txt'), 'utf8')).toBe(value);
    const doc = JSON.parse(result.stdout) as {
      steps: Array<{ id: string; outputs: Record<string, unknown> }>;
    };
    expect(doc.steps.find((s) => s.id === 'argv')?.outputs.got).toBe(value);
    expect(doc.steps.find((s) => s.id === 'nested-argv')?.outputs.got).toBe(value);
  });
});
