import { describe, expect, it } from 'vitest';
import { loadExpressions } from './expressions.js';
import { createRegistry } from '../adapters/registry.js';
import { parseRunbook, type ParseOptions } from './load.js';
import { TEST_CONFIG } from '../../test/helpers/config.js';
import { secretLike } from './lint.js';

const OPTIONS: ParseOptions = {
  adapters: await createRegistry().load(),
  expressions: await loadExpressions(),
  config: TEST_CONFIG,
  strict: true,
};

/** `line:col severity message [rule] (hint)` of each diagnostic of a runbook `api-down`. */
function problems(body: string, strict = true): string[] {
  const text = `id: api-down\ntitle: API down\n${body}`;
  return parseRunbook('api-down.yaml', Buffer.from(text), { ...OPTIONS, strict }).diagnostics.map(
    (d) =>
      `${d.line}:${d.col} ${d.severity} ${d.message}${d.rule ? ` [${d.rule}]` : ''}${d.hint ? ` (${d.hint})` : ''}`,
  );
}

const VERIFY = 'verification: [{ id: check, run: "true" }]\n';

describe('outputs an action declares', () => {
  it('refuses an own output a run: step does not give, with the likely one', () => {
    expect(
      problems(`diagnosis:\n  - id: a\n    run: echo\n    capture: { s: outputs.stdot }\n`),
    ).toEqual([
      '6:19 error step "a" (run:) has no output "stdot" in `outputs.stdot` (did you mean "stdout"?)',
    ]);
  });

  it('reads an expect: key as a path into an output: rows[0].pending is in rows', () => {
    expect(
      problems(
        `${VERIFY}detection:\n  checks:\n    - id: backlog\n      uses: psql.select\n      with: { url: "postgres://127.0.0.1/q", sql: "select 1 as pending" }\n      expect: { row_count: 1, "rows[0].pending": { warn: 5 }, "rowz[0].pending": 1 }\n`,
      ),
    ).toEqual([
      '9:63 error step "backlog" (psql.select) has no output "rowz" (did you mean "rows"?)',
    ]);
  });

  it("refuses another step's output its action cannot give, listing its outputs", () => {
    expect(
      problems(
        `diagnosis:\n  - id: probe\n    uses: http.get\n    with: { url: "http://127.0.0.1/", timeout: 1s }\n  - id: b\n    when: steps.probe.outputs.x == 1\n    run: "true"\n`,
      ),
    ).toEqual([
      '8:11 error step "probe" (http.get) has no output "x" in `steps.probe.outputs.x == 1` (its outputs: status, latency_ms, headers, body, json)',
    ]);
  });

  it("accepts a step's captures as its outputs, and checks expect: keys and dry_run.outputs", () => {
    expect(
      problems(
        `diagnosis:\n  - id: probe\n    uses: http.get\n    with: { url: "http://127.0.0.1/", timeout: 1s }\n    capture: { up: outputs.status == 200 }\n    expect: { stauts: 200, json.ok: true }\n    dry_run: { outputs: { up: true, status: 200, bdy: "" } }\n  - id: b\n    when: steps.probe.outputs.up\n    run: "true"\n`,
      ),
    ).toEqual([
      '8:15 error step "probe" (http.get) has no output "stauts" (did you mean "status"?)',
      '9:50 error dry_run: step "probe" (http.get) has no output "bdy" (did you mean "body"?)',
    ]);
  });

  it('does not guess the outputs of a manual step beyond its own, nor check unknown actions', () => {
    expect(
      problems(
        `diagnosis:\n  - id: ask\n    manual: Look\n  - id: b\n    run: echo \${{ steps.ask.outputs.answr }}\n`,
      ),
    ).toEqual([
      '7:10 error manual step "ask" has no output "answr" in `steps.ask.outputs.answr` (its outputs: instruction, acknowledged_by, acknowledged_at)',
    ]);
  });

  it('hints at an earlier step for an unknown one, and says when the likely one runs later', () => {
    expect(
      problems(
        `diagnosis:\n  - id: read-state\n    run: "true"\n  - id: b\n    run: echo \${{ steps.read_stat.outputs.stdout }} \${{ steps.lateer.outputs.stdout }}\n  - id: later\n    run: "true"\n`,
      ),
    ).toEqual([
      '7:10 error unknown step "read_stat" in `steps.read_stat.outputs.stdout` (did you mean "read_state"?)',
      '7:10 error unknown step "lateer" in `steps.lateer.outputs.stdout` (did you mean "later"? it runs after "b", so it has no value here yet)',
    ]);
  });
});

describe('lint rules of --strict', () => {
  it('resolution-without-verification, only under --strict', () => {
    const body = 'resolution: [{ id: fix, run: "true" }]\n';
    expect(problems(body)).toEqual([
      '3:1 error the runbook resolves but never verifies: it has resolution: steps and no verification: steps [resolution-without-verification] (add a verification: step that shows the fix worked (a health check, a query))',
    ]);
    expect(problems(body, false)).toEqual([]);
  });

  it('http-without-timeout, for http.* and curl.*; a step timeout: is enough', () => {
    expect(
      problems(
        `diagnosis:\n  - id: a\n    uses: http.get\n    with: { url: "http://127.0.0.1/" }\n  - id: b\n    uses: curl.get\n    with: { url: "http://127.0.0.1/" }\n  - id: c\n    uses: http.get\n    timeout: 5s\n    with: { url: "http://127.0.0.1/" }\n`,
      ),
    ).toEqual([
      '5:11 error http.get step "a" has no timeout [http-without-timeout] (give with.timeout (or timeout: on the step): say how long a request may hang)',
      '8:11 error curl.get step "b" has no timeout [http-without-timeout] (give with.timeout (or timeout: on the step): say how long a request may hang)',
    ]);
  });

  it('literal-secret, in run:, with: and env:, but not in ${{ }}', () => {
    const hint =
      '(declare a variable with secret: true (read from the environment) and use ${{ vars.NAME }})';
    expect(
      problems(
        `vars: { token: { secret: true, env: T } }\ndiagnosis:\n  - id: a\n    run: 'curl -H "Authorization: token ghp_abcdefghijklmnopqrstuvwxyz0123456789" x'\n    env: { KEY: AKIAIOSFODNN7EXAMPLE }\n  - id: b\n    run: echo \${{ vars.token }} 0123456789abcdef0123456789abcdef01234567\n`,
      ),
    ).toEqual([
      `6:10 error this looks like a GitHub token, written into the runbook [literal-secret] ${hint}`,
      `7:17 error this looks like an AWS access key id, written into the runbook [literal-secret] ${hint}`,
    ]);
  });

  it('literal-secret: the source line shown under the diagnostic hides the secret', () => {
    const text = `id: api-down\ntitle: API down\n${VERIFY}diagnosis:\n  - id: a\n    env: { KEY: "x AKIAIOSFODNN7EXAMPLE y" }\n    run: "true"\n`;
    const [found] = parseRunbook('api-down.yaml', Buffer.from(text), OPTIONS).diagnostics;
    expect(found?.sourceLine).toBe('    env: { KEY: "x AKIA… y" }');
  });

  it('recognises token shapes and random literals, not hex digests or paths', () => {
    expect(secretLike('xoxb-123456789012-abcdefghij')).toBe('a Slack token');
    expect(secretLike('-----BEGIN RSA PRIVATE KEY-----')).toBe('a private key');
    expect(secretLike('sk-proj-abcdefghijklmnopqrstuvwx')).toBe('an API secret key (sk-…)');
    expect(secretLike('q8Zr3LmX9vTb2NcW7kPyH4sJd6FgA1eQ')).toBe(
      'a random-looking literal (high entropy)',
    );
    expect(secretLike('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')).toBe(
      undefined,
    );
    expect(secretLike('/var/lib/PostgreSQL/data/Base/16384/pg_wal/000000010000')).toBe(undefined);
  });

  it('unreachable-step: a when: that is always false', () => {
    expect(problems(`${VERIFY}diagnosis:\n  - id: a\n    when: 1 > 2\n    run: "true"\n`)).toEqual([
      '6:11 error step "a" never runs: `1 > 2` is always false [unreachable-step] (remove the step, or fix its when:)',
    ]);
  });

  it('destructive-without-guard and severity-outside-scheme carry their ids', () => {
    expect(
      problems(
        `severity: P9\n${VERIFY}resolution:\n  - id: purge\n    run: rm -rf /tmp/x\n    effect: destructive\n`,
      ),
    ).toEqual([
      '3:11 error severity "P9" is not a level of scheme "default" (P0, P1, P2, P3, P4) [severity-outside-scheme] (use a level of the scheme, or name another scheme with severity_scheme:)',
      '6:9 error destructive step "purge" has no guard [destructive-without-guard] (add a when: condition or confirm: true)',
    ]);
  });

  it('step-id-dash-underscore: two ids that expressions cannot tell apart', () => {
    expect(
      problems(
        `${VERIFY}diagnosis:\n  - id: read-state\n    run: "true"\n  - id: read_state\n    run: "true"\n`,
      ),
    ).toEqual([
      '7:9 error diagnosis[1].id: must be kebab-case: lowercase letters, digits and hyphens',
      '7:9 error step ids "read-state" and "read_state" differ only by - and _: both are steps.read_state in an expression [step-id-dash-underscore] (rename one of them)',
    ]);
  });

  it('lint: ignore: switches a rule off with a reason; an unknown rule or no reason is an error', () => {
    const body = 'resolution: [{ id: fix, run: "true" }]\n';
    expect(
      problems(
        `lint:\n  ignore:\n    resolution-without-verification: the next runbook verifies\n${body}`,
      ),
    ).toEqual([]);
    expect(
      problems(
        `lint:\n  ignore:\n    resolution-without-verificaton: x\n    http-without-timeout: ""\n${body}`,
      ),
    ).toEqual([
      '5:5 error unknown lint rule "resolution-without-verificaton" (did you mean "resolution-without-verification"?)',
      '6:27 error lint rule "http-without-timeout" is ignored without a reason (say why it does not apply to this runbook)',
      '7:1 error the runbook resolves but never verifies: it has resolution: steps and no verification: steps [resolution-without-verification] (add a verification: step that shows the fix worked (a health check, a query))',
    ]);
  });
});
