import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { loadExpressions } from './expressions.js';
import { createRegistry } from '../adapters/registry.js';
import { formatDiagnostic } from '../report/diagnostics.js';
import { checkRunbookData, parseRunbook, type LoadedRunbook, type ParseOptions } from './load.js';

// Every adapter, and the whole expression language: these tests parse with them directly.
const OPTIONS: ParseOptions = {
  adapters: await createRegistry().load(),
  expressions: await loadExpressions(),
  config: {
    file: undefined,
    dirs: [],
    schemes: { default: ['P0', 'P1', 'P2', 'P3', 'P4'], pscale: ['P1', 'P2', 'P3', 'P4'] },
    defaultScheme: 'default',
    stateDir: undefined,
    hosts: {},
    adapters: [],
  },
  strict: false,
};

/** Strips the indentation of a template literal so YAML can be written inline. */
function yaml(text: string): string {
  const lines = text
    .replace(/^\n/, '')
    .replace(/\n\s*$/, '\n')
    .split('\n');
  const indent = Math.min(
    ...lines.filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)?.[0].length ?? 0),
  );
  return lines.map((line) => line.slice(indent)).join('\n');
}

function load(
  source: string | Uint8Array,
  { file = 'api-down.yaml', strict = false }: { file?: string; strict?: boolean } = {},
): LoadedRunbook {
  const bytes = typeof source === 'string' ? Buffer.from(source, 'utf8') : source;
  return parseRunbook(file, bytes, { ...OPTIONS, strict });
}

/** `line:col severity message` for each diagnostic, the way a reader scans them. */
function problems(source: string | Uint8Array, options?: { file?: string; strict?: boolean }) {
  return load(source, options).diagnostics.map(
    (d) => `${d.line}:${d.col} ${d.severity} ${d.message}`,
  );
}

function hints(source: string, options?: { file?: string; strict?: boolean }) {
  return load(source, options).diagnostics.map((d) => d.hint);
}

/** A minimal runbook (id and title, then `head`) followed by the given steps. */
function withStep(step: string, head = ''): string {
  return `id: api-down\ntitle: API down\n${head ? `${head}\n` : ''}${step}`;
}

const VALID = yaml(`
  # yaml-language-server: $schema=../../schema/runbook.schema.json
  id: api-down
  title: API not responding
  service: api
  severity: P1
  tags: [http, api]
  summary: Health check failing.
  vars:
    api_url: { default: "https://api.example.com" }
    port: 8080
    token: { env: API_TOKEN, secret: true }
  environments:
    staging: { vars: { api_url: "https://staging.example.com" } }
  detection:
    symptoms: ["Health check returns non-200"]
    checks:
      - id: health
        uses: http.get
        with: { url: "\${{ vars.api_url }}/health", timeout: 5s }
        expect: { status: 200, latency_ms: { warn: 1000, crit: 3000 } }
  diagnosis:
    - id: pm2-status
      run: ["pm2", "jlist"]
      effect: read
      capture: { online: "outputs.exit_code == 0" }
  resolution:
    - id: restart
      run: systemctl restart api
      when: steps.health.outputs.status != 200 && steps.pm2_status.status == "succeeded"
      retry: { attempts: 3, delay: 2s, until: "outputs.exit_code == 0" }
  verification:
    - id: recheck
      uses: http.get
      with: { url: "\${{ vars.api_url }}:\${{ vars.port }}/health" }
      expect: ["outputs.status == 200"]
  rollback:
    - id: page
      manual: Page the on-call lead.
  escalation:
    - { after: 30m, severity: [P0, P1], to: "Engineering Lead", via: PagerDuty }
  communication:
    initial: "We're experiencing an outage affecting \${{ runbook.service }}."
  postmortem:
    checklist: ["Root cause identified"]
`);

describe('parseRunbook: a valid runbook', () => {
  it('has no diagnostics and returns the parsed runbook', () => {
    const loaded = load(VALID);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.runbook?.id).toBe('api-down');
    expect(loaded.runbook?.detection?.checks?.[0]?.uses).toBe('http.get');
    expect(loaded.file).toBe('api-down.yaml');
  });
});

describe('parseRunbook: every problem at file:line:col', () => {
  it('reports three separate mistakes, each at its own position', () => {
    const source = yaml(`
      id: API_Down
      title: A runbook with three mistakes
      diagnosis:
        - id: check
          run: echo hi
          timout: 5s
        - id: fetch
          uses: http.get
          with: { url: "http://127.0.0.1:1/", timeout: forever }
    `);
    const loaded = load(source, { file: 'API_Down.yaml' });
    expect(loaded.runbook).toBeUndefined();
    expect(problems(source, { file: 'API_Down.yaml' })).toMatchInlineSnapshot(`
      [
        "1:5 error id: must be kebab-case: lowercase letters, digits and hyphens",
        "6:5 error unknown key "timout"",
        "9:50 error diagnosis[1].with.timeout: expected a duration such as 500ms, 5s or 1m",
      ]
    `);
    expect(loaded.diagnostics.map((d) => d.path)).toMatchInlineSnapshot(`
      [
        "id",
        "diagnosis[0].timout",
        "diagnosis[1].with.timeout",
      ]
    `);
  });

  it('suggests the key meant for an unknown key', () => {
    const source = yaml(`
      id: api-down
      titel: API down
      diagnosis:
        - { id: a, run: "true" }
    `);
    expect(problems(source)).toMatchInlineSnapshot(`
      [
        "1:1 error missing required key "title"",
        "2:1 error unknown key "titel"",
      ]
    `);
    expect(hints(source)).toMatchInlineSnapshot(`
      [
        undefined,
        "did you mean "title"?",
      ]
    `);
  });

  it('lists the known keys when nothing is close', () => {
    const [diagnostic] = load(
      withStep('diagnosis:\n  - { id: a, run: "true", zzzzzz: 1 }\n'),
    ).diagnostics;
    expect(diagnostic?.message).toBe('unknown key "zzzzzz"');
    expect(diagnostic?.hint).toMatch(/^known keys: id, name, description, run, uses, with/);
  });

  it('shows the source line and a caret under the column', () => {
    const source = yaml(`
      id: api-down
      title: API down
      diagnosis:
        - id: status
          run: systemctl status api
          timout: 5s
    `);
    const [diagnostic] = load(source, { file: 'runbooks/api/api-down.yaml' }).diagnostics;
    expect(diagnostic).toBeDefined();
    if (!diagnostic) return;
    expect(formatDiagnostic(diagnostic, new Chalk({ level: 0 }))).toMatchInlineSnapshot(`
      "runbooks/api/api-down.yaml:6:5: error: unknown key "timout"
      6 |     timout: 5s
        |     ^
          hint: did you mean "timeout"?"
    `);
  });

  it('reports a missing id and title', () => {
    const source = yaml(`
      service: api
      diagnosis:
        - { id: a, run: "true" }
    `);
    expect(problems(source)).toMatchInlineSnapshot(`
      [
        "1:1 error missing required key "id"",
        "1:1 error missing required key "title"",
      ]
    `);
  });

  it('reports a runbook with no steps', () => {
    expect(problems('id: api-down\ntitle: API down\n')).toMatchInlineSnapshot(`
      [
        "1:1 error a runbook needs at least one step or detection check, or guidance",
      ]
    `);
  });
});

describe('parseRunbook: adapters and their inputs', () => {
  it('reports an unknown adapter with the likely one', () => {
    const source = withStep('diagnosis:\n  - id: a\n    uses: htp.get\n    with: { url: "x" }\n');
    expect(problems(source)).toMatchInlineSnapshot(`
      [
        "5:11 error unknown adapter "htp"",
      ]
    `);
    expect(hints(source)).toEqual(['did you mean "http.get"?']);
  });

  it('lists the adapters when no name is close', () => {
    const source = withStep('diagnosis:\n  - id: a\n    uses: kubectl.apply\n');
    expect(hints(source)[0]).toMatch(/^adapters: shell, http(, [a-z0-9-]+)*$/);
  });

  it('reports an unknown action with the likely one', () => {
    const source = withStep('diagnosis:\n  - id: a\n    uses: http.gte\n    with: { url: "x" }\n');
    expect(problems(source)).toMatchInlineSnapshot(`
      [
        "5:11 error http has no action "gte"",
      ]
    `);
    expect(hints(source)).toEqual(['did you mean "http.get"?']);
  });

  it('reports a missing with: of http.get at the step', () => {
    const source = withStep('diagnosis:\n  - id: a\n    uses: http.get\n');
    expect(problems(source)).toMatchInlineSnapshot(`
      [
        "4:5 error http.get needs with.url",
      ]
    `);
  });

  it('reports a missing url and a bad timeout where they are', () => {
    const source = withStep(
      yaml(`
        diagnosis:
          - id: a
            uses: http.get
            with:
              timeout: soon
          - id: b
            uses: http.get
            with: { url: "https://x", timeout: 5s, method: POST }
      `),
    );
    expect(problems(source)).toMatchInlineSnapshot(`
      [
        "6:5 error missing required key "url"",
        "7:16 error diagnosis[0].with.timeout: expected a duration such as 500ms, 5s or 1m",
        "10:44 error unknown key "method"",
      ]
    `);
  });

  it('does not type-check ${{ }} values, which are only known at run time', () => {
    const source = withStep(
      yaml(`
        diagnosis:
          - id: a
            uses: http.get
            with: { url: "\${{ vars.url }}", timeout: "\${{ vars.timeout }}", headers: "\${{ vars.h }}" }
      `),
      'vars: { url: "https://x", timeout: 5s, h: { default: "" } }',
    );
    expect(problems(source)).toEqual([]);
  });

  it('allows a step to raise its effect but not lower it', () => {
    const source = withStep(
      yaml(`
        diagnosis:
          - { id: a, uses: http.post, with: { url: "https://x" }, effect: read }
          - { id: b, uses: http.get, with: { url: "https://x" }, effect: write }
      `),
    );
    expect(problems(source)).toMatchInlineSnapshot(`
      [
        "4:67 error http.post is write; a step may raise its effect but not lower it",
      ]
    `);
  });
});

describe('parseRunbook: expressions and references', () => {
  it('reports bad CEL syntax in when:', () => {
    const source = withStep(
      'diagnosis:\n  - id: a\n    run: "true"\n    when: steps.a.status ==\n',
    );
    expect(problems(source)).toMatchInlineSnapshot(`
      [
        "6:11 error invalid expression \`steps.a.status ==\`: Unexpected token: EOF",
      ]
    `);
  });

  it('reports a reference to an unknown step with the likely one', () => {
    const source = withStep(
      yaml(`
        diagnosis:
          - { id: health, run: "true" }
          - { id: b, run: "true", when: 'steps.helth.outputs.exit_code == 0' }
          - { id: c, run: "echo \${{ steps.nope.outputs.stdout }}" }
      `),
    );
    expect(problems(source)).toMatchInlineSnapshot(`
      [
        "5:33 error unknown step "helth" in \`steps.helth.outputs.exit_code == 0\`",
        "6:19 error unknown step "nope" in \`steps.nope.outputs.stdout\`",
      ]
    `);
    expect(hints(source)).toEqual(['did you mean "health"?', undefined]);
  });

  it('accepts a kebab-case step id by its underscore alias', () => {
    const source = withStep(
      yaml(`
        diagnosis:
          - { id: pm2-status, run: "true" }
          - { id: b, run: "true", when: 'steps.pm2_status.status == "succeeded"' }
      `),
    );
    expect(problems(source)).toEqual([]);
  });

  it('reports a reference to an unknown variable', () => {
    const source = withStep(
      'diagnosis:\n  - id: a\n    run: "curl ${{ vars.api_ur }} ${{ vars.other }}"\n',
      'vars: { api_url: "https://x" }',
    );
    expect(problems(source)).toMatchInlineSnapshot(`
      [
        "6:10 error unknown variable "api_ur" in \`vars.api_ur\`",
        "6:10 error unknown variable "other" in \`vars.other\`",
      ]
    `);
    expect(hints(source)).toEqual(['did you mean "api_url"?', 'declare it under vars:']);
  });

  it('reports an unterminated ${{ in a command', () => {
    const source = withStep('diagnosis:\n  - id: a\n    run: "echo ${{ vars.x"\n');
    expect(problems(source)).toMatchInlineSnapshot(`
      [
        "5:10 error unterminated \`\${{\`: add the closing \`}}\`",
      ]
    `);
  });

  it('reports duplicate step ids across sections, pointing back at the first', () => {
    const source = withStep(
      yaml(`
        diagnosis:
          - { id: check, run: "true" }
        verification:
          - { id: check, run: "true" }
      `),
    );
    expect(problems(source)).toMatchInlineSnapshot(`
      [
        "6:11 error duplicate step id "check" (also at line 4)",
      ]
    `);
  });
});

describe('parseRunbook: severity', () => {
  it('reports a level outside the scheme', () => {
    expect(problems(withStep('diagnosis: [{ id: a, run: "true" }]\n', 'severity: P5')))
      .toMatchInlineSnapshot(`
        [
          "3:11 error severity "P5" is not a level of scheme "default" (P0, P1, P2, P3, P4)",
        ]
      `);
  });

  it.each(['P2/P3', 'P2-P3', 'P2, P3', '[P2, P3]'])('accepts the range %s', (severity) => {
    expect(
      problems(withStep('diagnosis: [{ id: a, run: "true" }]\n', `severity: ${severity}`)),
    ).toEqual([]);
  });

  it('reports each bad level of a range', () => {
    expect(problems(withStep('diagnosis: [{ id: a, run: "true" }]\n', 'severity: P2/P9')))
      .toMatchInlineSnapshot(`
      [
        "3:11 error severity "P9" is not a level of scheme "default" (P0, P1, P2, P3, P4)",
      ]
    `);
  });

  it('uses severity_scheme to pick the scale', () => {
    const head = (level: string) => `severity_scheme: pscale\nseverity: ${level}`;
    const step = 'diagnosis: [{ id: a, run: "true" }]\n';
    expect(problems(withStep(step, head('P1')))).toEqual([]);
    expect(problems(withStep(step, head('P0')))).toMatchInlineSnapshot(`
      [
        "4:11 error severity "P0" is not a level of scheme "pscale" (P1, P2, P3, P4)",
      ]
    `);
    expect(problems(withStep(step, 'severity_scheme: sev\nseverity: P1'))).toMatchInlineSnapshot(`
      [
        "3:18 error unknown severity scheme "sev"",
      ]
    `);
  });

  it('checks the severity of escalation rules', () => {
    const source = withStep(
      'diagnosis: [{ id: a, run: "true" }]\nescalation:\n  - { after: 30m, severity: [P1, P7], to: Lead }\n',
    );
    expect(problems(source)).toMatchInlineSnapshot(`
      [
        "5:34 error severity "P7" is not a level of scheme "default" (P0, P1, P2, P3, P4)",
      ]
    `);
  });
});

describe('parseRunbook: --strict', () => {
  const destructive = (guard: string) =>
    withStep(
      `verification: [{ id: check, run: "true" }]\nresolution:\n  - id: purge\n    run: rm -rf /var/cache/api\n    effect: destructive\n${guard}`,
    );

  it('fails a destructive step without a guard only under --strict', () => {
    expect(problems(destructive(''))).toEqual([]);
    expect(problems(destructive(''), { strict: true })).toMatchInlineSnapshot(`
      [
        "5:9 error destructive step "purge" has no guard",
      ]
    `);
    expect(hints(destructive(''), { strict: true })).toEqual([
      'add a when: condition or confirm: true',
    ]);
  });

  it.each([
    ['confirm: true', '    confirm: true\n'],
    ['when:', '    when: vars.really == "yes"\n'],
  ])('accepts a destructive step guarded by %s', (_label, guard) => {
    const source = destructive(guard).replace(
      'title: API down',
      'title: API down\nvars: { really: "no" }',
    );
    expect(problems(source, { strict: true })).toEqual([]);
  });

  it('still requires a guard when confirm is false', () => {
    expect(problems(destructive('    confirm: false\n'), { strict: true })).toHaveLength(1);
  });

  it('warns when the id does not match the file name, and fails under --strict', () => {
    const source = withStep('diagnosis: [{ id: a, run: "true" }]\n');
    const loaded = load(source, { file: 'runbooks/api/api-outage.yaml' });
    expect(loaded.runbook?.id).toBe('api-down');
    expect(problems(source, { file: 'runbooks/api/api-outage.yaml' })).toMatchInlineSnapshot(`
      [
        "1:5 warning id "api-down" does not match the file name "api-outage"",
      ]
    `);
    expect(hints(source, { file: 'runbooks/api/api-outage.yaml' })).toEqual([
      'rename the file to api-down.yaml or change the id',
    ]);
    const strict = load(source, { file: 'runbooks/api/api-outage.yaml', strict: true });
    expect(strict.runbook).toBeUndefined();
    expect(strict.diagnostics.map((d) => d.severity)).toEqual(['error']);
  });
});

describe('parseRunbook: ${{ }} inside sql:', () => {
  const count = (extra = '') =>
    yaml(`
      id: api-down
      title: API down
      vars:
        table: { required: true }
      diagnosis:
        - id: count
          uses: psql.query
          with: { sql: "SELECT count(*) FROM \${{ vars.table }}"${extra} }
    `);

  it('is an error at the expression, with the params: way in the hint', () => {
    expect(problems(count())).toMatchInlineSnapshot(`
      [
        "8:40 error \`\${{ vars.table }}\` inside sql: its value would become code, not data",
      ]
    `);
    expect(hints(count())).toMatchInlineSnapshot(`
      [
        "pass it in params: { table: "\${{ vars.table }}" } and write :'table' (a literal) or :"table" (an identifier) in sql:; or, if the value is meant to be code, set unsafe_sql_templating: true",
      ]
    `);
    expect(load(count()).runbook).toBeUndefined();
  });

  it('points at each expression of a multi-line sql:, psql.select too', () => {
    const source = yaml(`
      id: api-down
      title: API down
      vars:
        slot: { required: true }
        schema: { default: public }
      diagnosis:
        - id: slot
          uses: psql.select
          with:
            sql: >-
              SELECT slot_name FROM pg_replication_slots
              WHERE slot_name = '\${{ vars.slot }}' AND plugin <> '\${{ vars.schema }}'
    `);
    expect(problems(source).map((line) => line.split(' error ')[0])).toEqual(['12:28', '12:61']);
  });

  it('is allowed by unsafe_sql_templating: true with a warning, which --strict fails', () => {
    const allowed = count(', unsafe_sql_templating: true');
    expect(problems(allowed)).toMatchInlineSnapshot(`
      [
        "8:40 warning \`\${{ vars.table }}\` inside sql: its value becomes code (allowed by unsafe_sql_templating: true)",
      ]
    `);
    expect(load(allowed).runbook?.diagnosis?.[0]?.with).toEqual({
      sql: 'SELECT count(*) FROM ${{ vars.table }}',
      unsafe_sql_templating: true,
    });
    expect(problems(allowed, { strict: true })).toMatchInlineSnapshot(`
      [
        "8:40 error \`\${{ vars.table }}\` inside sql: its value becomes code (unsafe_sql_templating: true, which --strict does not accept)",
      ]
    `);
  });

  it('warns about unsafe_sql_templating where nothing is templated', () => {
    const source = withStep(
      'diagnosis:\n  - id: count\n    uses: psql.query\n    with: { sql: "select 1", unsafe_sql_templating: true }\n',
    );
    expect(problems(source)).toMatchInlineSnapshot(`
      [
        "6:30 warning unsafe_sql_templating: true, but sql has no \${{ }}",
      ]
    `);
  });

  it('accepts values in params:, and reports a reference to a param that is not given', () => {
    const source = yaml(`
      id: api-down
      title: API down
      vars:
        table: { required: true }
      diagnosis:
        - id: count
          uses: psql.query
          with: { sql: 'SELECT count(*) FROM :"table"', params: { table: "\${{ vars.table }}" } }
        - id: slot
          uses: psql.query
          with: { sql: "SELECT pg_drop_replication_slot(:'slot')" }
    `);
    expect(problems(source)).toMatchInlineSnapshot(`
      [
        "11:18 error diagnosis[1].with.sql: :'slot' refers to params.slot, which is not given",
      ]
    `);
  });
});

describe('parseRunbook: ${{ }} inside nginx global:', () => {
  it('is an error at the expression: global: holds directives', () => {
    const source = yaml(`
      id: api-down
      title: API down
      vars:
        pidfile: { default: /run/nginx.pid }
      resolution:
        - id: reload
          uses: nginx.reload
          with: { global: "pid \${{ vars.pidfile }};" }
    `);
    expect(problems(source)).toEqual([
      '8:26 error `${{ vars.pidfile }}` inside global: its value would become code, not data',
    ]);
    expect(hints(source)).toEqual([
      'write the directives out in global:, or put the value in the configuration file nginx reads (config:)',
    ]);
  });
});

describe('parseRunbook: ${{ }} inside the command string of uses: shell.run', () => {
  it('is data, as in run: (the command refers to the value in its environment); so are argv lists', () => {
    const source = yaml(`
      id: api-down
      title: API down
      vars:
        unit: { required: true }
      diagnosis:
        - id: restart
          uses: shell.run
          with: { command: "systemctl restart \${{ vars.unit }}" }
        - id: restart-argv
          uses: shell.run
          with: { command: [systemctl, restart, "--", "\${{ vars.unit }}"] }
    `);
    // Rendered as run: is (values by environment), so the value stays data: nothing to report.
    expect(problems(source)).toEqual([]);
  });
});

describe('parseRunbook: hostile and broken files', () => {
  it('reports malformed YAML at its position', () => {
    expect(problems('id: api-down\ntitle: [unclosed\ndiagnosis: []\n')).toMatchInlineSnapshot(`
      [
        "3:1 error YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]",
      ]
    `);
  });

  it('reports a duplicate key', () => {
    expect(problems('id: api-down\ntitle: A\ntitle: B\n')).toMatchInlineSnapshot(`
      [
        "3:1 error YAML syntax: Map keys must be unique",
      ]
    `);
  });

  it.each([
    ['an empty file', ''],
    ['a blank file', '  \n\n'],
  ])('reports %s', (_label, text) => {
    expect(problems(text)).toEqual(['1:1 error file is empty']);
  });

  it('reports a file of comments only', () => {
    expect(problems('# TODO: write this runbook\n\n# later\n')).toEqual([
      '1:1 error file is empty (only comments)',
    ]);
  });

  it('refuses binary data', () => {
    const bytes = Buffer.concat([Buffer.from('id: api-down\n'), Buffer.from([0, 1, 2])]);
    expect(problems(bytes)).toMatchInlineSnapshot(`
      [
        "1:1 error not a text file: binary data (a NUL byte at offset 13)",
      ]
    `);
  });

  it('refuses bytes that are not UTF-8', () => {
    const bytes = Buffer.concat([
      Buffer.from('id: api-down\ntitle: caf'),
      Buffer.from([0xe9, 0x0a]),
    ]);
    expect(problems(bytes)).toMatchInlineSnapshot(`
      [
        "1:1 error not a text file: the bytes are not valid UTF-8",
      ]
    `);
  });

  it('refuses a file over 4 MiB and accepts one of exactly 4 MiB', () => {
    const big = Buffer.alloc(5 * 1024 * 1024, '# padding\n');
    expect(problems(big)).toMatchInlineSnapshot(`
      [
        "1:1 error file is too large: 5242880 bytes (the limit is 4.0 MiB)",
      ]
    `);
    expect(load(big).diagnostics[0]?.hint).toBe(
      'split it into several runbooks, or raise max_file_bytes in runbook.config.yaml',
    );
    const limit = Buffer.alloc(4 * 1024 * 1024, '#');
    expect(problems(limit)).toEqual(['1:1 error file is empty (only comments)']);
  });

  it('refuses flow nesting past 1000 levels fast, at the place it goes too deep', () => {
    const started = performance.now();
    const deep = `id: x\ntitle: ${'['.repeat(500_000)}\n`;
    expect(problems(deep)).toEqual([
      '2:1008 error nesting deeper than 1000 levels of [ ] or { }: refusing to parse it',
    ]);
    expect(performance.now() - started).toBeLessThan(2000);
    // Brackets in quotes and comments do not count.
    const quoted = `id: x\ntitle: "${'['.repeat(2000)}" # ${'{'.repeat(2000)}\n`;
    expect(problems(quoted)).not.toContainEqual(expect.stringMatching(/nesting deeper/));
  });

  it('refuses an alias bomb before expanding it', () => {
    const levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i < 8; i++) {
      const previous = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    }
    expect(problems(levels.join('\n') + '\n')).toMatchInlineSnapshot(`
      [
        "1:1 error too many YAML alias expansions (more than 100): refusing a possible alias bomb",
      ]
    `);
  });

  it('refuses more than 100 aliases', () => {
    const many = `base: &b x\nlist: [${Array(101).fill('*b').join(', ')}]\n`;
    expect(problems(many)).toMatchInlineSnapshot(`
      [
        "2:408 error too many YAML aliases (more than 100): refusing a possible alias bomb",
      ]
    `);
  });

  it('refuses nesting deeper than 64 levels', () => {
    expect(problems(`${'['.repeat(70)}1${']'.repeat(70)}\n`)).toMatchInlineSnapshot(`
      [
        "1:66 error nesting is too deep (more than 64 levels)",
      ]
    `);
    const deepMap = Array.from({ length: 70 }, (_, i) => `${'  '.repeat(i)}k:`).join('\n') + ' 1\n';
    expect(problems(deepMap)).toMatchInlineSnapshot(`
      [
        "65:129 error nesting is too deep (more than 64 levels)",
      ]
    `);
  });

  it('allows exactly 64 levels of nesting', () => {
    const nested = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}\n`;
    const tooDeep = (levels: number) =>
      problems(nested(levels)).some((message) => message.includes('nesting is too deep'));
    expect(tooDeep(64)).toBe(false);
    expect(tooDeep(65)).toBe(true);
  });

  it('refuses a list or a scalar at the top level', () => {
    expect(problems('- id: api-down\n  title: API down\n')).toMatchInlineSnapshot(`
      [
        "1:1 error a runbook is a mapping with id, title and steps, not a list",
      ]
    `);
    expect(problems('just some text\n')).toMatchInlineSnapshot(`
      [
        "1:1 error a runbook is a mapping with id, title and steps, not a string",
      ]
    `);
  });
});

describe('files that would validate and then fail at run time', () => {
  it('a duration past 7d, or too large to be one', () => {
    expect(
      problems(withStep('diagnosis:\n  - id: a\n    run: "true"\n    timeout: 600h\n')),
    ).toEqual(['6:14 error diagnosis[0].timeout: too long: the longest duration is 7d']);
    expect(
      problems(
        withStep('diagnosis:\n  - id: a\n    run: "true"\n    timeout: 99999999999999999999h\n'),
      ),
    ).toEqual(['6:14 error diagnosis[0].timeout: too long: the longest duration is 7d']);
    expect(problems(withStep('diagnosis:\n  - id: a\n    run: "true"\n    timeout: 7d\n'))).toEqual(
      [],
    );
  });

  it('names that are not actions: uses: http.toString', () => {
    expect(problems(withStep('diagnosis:\n  - id: a\n    uses: http.constructor\n'))).toEqual([
      '5:11 error http has no action "constructor"',
    ]);
  });

  it('a reference to a later step, or to the step itself', () => {
    const source = yaml(`
      id: api-down
      title: API down
      diagnosis:
        - id: first
          run: echo \${{ steps.second.outputs.stdout }}
          effect: read
        - id: second
          run: echo hi
          effect: read
          when: steps.second.status == "succeeded"
          capture: { mine: outputs.stdout, also: steps.second.outputs.stdout }
      verification:
        - id: check
          run: echo \${{ steps.rollback_step.outputs.stdout }}
          effect: read
      rollback:
        - id: rollback-step
          run: echo \${{ steps.first.outputs.stdout }}
    `);
    expect(problems(source)).toEqual([
      '5:10 error step "second" runs after "first": `steps.second.outputs.stdout` has no value yet',
      '10:11 error step "second" refers to itself in `steps.second.status == "succeeded"`',
      '11:44 error step "second" refers to itself in `steps.second.outputs.stdout`',
      '14:10 error step "rollback_step" runs after "check": `steps.rollback_step.outputs.stdout` has no value yet',
    ]);
    expect(hints(source)[2]).toBe('its own results are outputs.<name> here');
  });

  it('names an expression cannot see, and operands that never fit', () => {
    expect(
      problems(
        withStep(
          'diagnosis:\n  - id: a\n    run: echo ${{ process.env.HOME }} ${{ 1 + "a" }}\n    effect: read\n    when: outputs.x == 1\n',
        ),
      ),
    ).toEqual([
      '5:10 error `process.env.HOME`: unknown name "process" (expressions see vars, env, steps, runbook, run, alert)',
      '5:10 error `1 + "a"`: no such overload: int + string',
      '7:11 error `outputs.x == 1`: unknown name "outputs" (expressions see vars, env, steps, runbook, run, alert)',
    ]);
  });

  it('variables named like what every object has are plain variables', () => {
    const source = withStep(
      'diagnosis:\n  - id: a\n    run: echo ${{ vars.constructor }} ${{ vars.toString }}\n    effect: read\n',
      'vars:\n  constructor: { default: x }\n  toString: { default: y }',
    );
    expect(problems(source)).toEqual([]);
  });

  it('a key named __proto__, which reading the file would drop, is refused wherever it is', () => {
    const source = withStep(
      'diagnosis:\n  - id: a\n    run: echo ${{ vars.__proto__ }}\n    expect: { __proto__: { equals: 1 } }\n',
      'vars:\n  __proto__: { default: z }',
    );
    expect(problems(source)).toEqual([
      '4:3 error "__proto__" cannot be a key: it would be lost when the runbook is read',
      '8:15 error "__proto__" cannot be a key: it would be lost when the runbook is read',
    ]);
  });
});

describe('checkRunbookData: a runbook a program built, and the YAML it writes of it', () => {
  const text = yaml(`
    # written by a program
    id: api-down
    title: API down
    lint:
      ignore:
        resolution-without-verification: no check exists yet
    resolution:
      - id: wipe
        run: rm -rf /var/cache/api
        effect: destructive
  `);
  const data = {
    id: 'api-down',
    title: 'API down',
    lint: { ignore: { 'resolution-without-verification': 'no check exists yet' } },
    resolution: [{ id: 'wipe', run: 'rm -rf /var/cache/api', effect: 'destructive' }],
  };

  it('gives what parseRunbook gives for the text, placed in the text', () => {
    const checked = checkRunbookData('api-down.yaml', text, data, { ...OPTIONS, strict: true });
    const parsed = load(text, { strict: true });
    expect(checked.diagnostics).toEqual(parsed.diagnostics);
    expect(checked.diagnostics.map((d) => `${d.line}:${d.col} ${d.rule} ${d.message}`)).toEqual([
      '8:9 destructive-without-guard destructive step "wipe" has no guard',
    ]);
    expect(checked.runbook).toBeUndefined();
  });

  it('accepts a valid runbook with no diagnostic', () => {
    const valid = { ...data, resolution: [{ ...data.resolution[0], confirm: true }] };
    const checked = checkRunbookData('api-down.yaml', '', valid, { ...OPTIONS, strict: true });
    expect(checked.diagnostics).toEqual([]);
    expect(checked.runbook?.resolution?.map((step) => step.id)).toEqual(['wipe']);
  });
});
