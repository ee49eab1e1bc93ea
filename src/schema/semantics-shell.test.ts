import { describe, expect, it } from 'vitest';
import { createRegistry } from '../adapters/registry.js';
import { loadExpressions } from './expressions.js';
import { parseRunbook } from './load.js';
import { TEST_CONFIG } from '../../test/helpers/config.js';

// Validation checks expressions with the expression language, which loads on first need.
const EXPRESSIONS = await loadExpressions();
const ADAPTERS = await createRegistry().load(['docker']);

/** `line:col message (hint)` for each problem of a runbook with these diagnosis steps. */
function problems(steps: string): string[] {
  const source = `id: nested\ntitle: Values in nested code\nvars:\n  v: { default: x }\ndiagnosis:\n${steps}`;
  return diagnose(source);
}

function diagnose(source: string): string[] {
  const loaded = parseRunbook('nested.yaml', Buffer.from(source, 'utf8'), {
    adapters: ADAPTERS,
    expressions: EXPRESSIONS,
    config: TEST_CONFIG,
  });
  return loaded.diagnostics.map(
    (d) => `${d.line}:${d.col} ${d.severity}: ${d.message}${d.hint ? ` (${d.hint})` : ''}`,
  );
}

/** One `run:` step, its command on line 7. */
const run = (command: string): string[] =>
  problems(`  - id: a\n    run: ${JSON.stringify(command)}\n`);

describe('values in code for a nested shell or interpreter', () => {
  it('accepts values that rendering keeps data: the step shell, single-quoted nested shell code, arguments', () => {
    expect(
      problems(
        [
          '  - id: a',
          `    run: "printf '%s' \${{ vars.v }} \\"\${{ vars.v }}\\" 'x\${{ vars.v }}'"`,
          '  - id: b',
          `    run: "sh -c 'echo \${{ vars.v }}' && bash -c 'echo \\"$1\\"' bash \${{ vars.v }}"`,
          '  - id: c',
          `    run: "eval 'echo \${{ vars.v }}'; find . -exec sh -c 'echo \${{ vars.v }} \\"$1\\"' sh {} \\\\;"`,
          '  - id: d',
          `    run: ["sh", "-c", "echo \${{ vars.v }}"]`,
          '  - id: e',
          `    run: ["python3", "-c", "import sys; print(sys.argv[1])", "\${{ vars.v }}"]`,
          '  - id: f',
          `    run: "grep 'id=\${{ vars.v }}' /var/log/app.log | awk '{ print $1 }'"`,
          '  - id: g',
          `    run: "python3 -c 'import os; print(os.environ[\\"V\\"])'"`,
          `    env: { V: "\${{ vars.v }}" }`,
          '',
        ].join('\n'),
      ),
    ).toEqual([]);
  });

  it('reports double-quoted and unquoted code for sh -c, bash -c and eval', () => {
    expect([
      ...run('sh -c "echo ${{ vars.v }}"'),
      ...run('bash -lc "cd /srv && ./deploy ${{ vars.v }}"'),
      ...run('eval echo ${{ vars.v }}'),
      ...run(`sh -c "$PREFIX"'echo \${{ vars.v }}'`),
      ...run(`ls | xargs -n1 sh -c "echo \${{ vars.v }}"`),
      ...run(`find . -exec sh -c "echo \${{ vars.v }}" \\;`),
    ]).toMatchInlineSnapshot(`
      [
        "7:24 error: \`\${{ vars.v }}\` is in double-quoted code for sh -c: the outer shell expands it first, so sh -c would read the value as code (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and refer to "$V", or single-quote the code (sh -c '… \${{ vars.v }} …'))",
        "7:42 error: \`\${{ vars.v }}\` is in double-quoted code for bash -c: the outer shell expands it first, so bash -c would read the value as code (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and refer to "$V", or single-quote the code (bash -c '… \${{ vars.v }} …'))",
        "7:21 error: \`\${{ vars.v }}\` is in unquoted code for eval: the outer shell expands it first, so eval would read the value as code (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and refer to "$V", or single-quote the code (eval '… \${{ vars.v }} …'))",
        "7:34 error: \`\${{ vars.v }}\` is in code for sh -c after an expansion ($…, \`…\`), so where it lands in that code cannot be known (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and refer to "$V" in single-quoted code)",
        "7:39 error: \`\${{ vars.v }}\` is in double-quoted code for sh -c: the outer shell expands it first, so sh -c would read the value as code (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and refer to "$V", or single-quote the code (sh -c '… \${{ vars.v }} …'))",
        "7:37 error: \`\${{ vars.v }}\` is in double-quoted code for sh -c: the outer shell expands it first, so sh -c would read the value as code (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and refer to "$V", or single-quote the code (sh -c '… \${{ vars.v }} …'))",
      ]
    `);
  });

  it('reports code for a shell that does not get the step environment', () => {
    expect([
      ...run(`su -c 'echo \${{ vars.v }}' app`),
      ...run(`sudo -u app sh -c 'echo \${{ vars.v }}'`),
      ...run(`ssh web-1 'systemctl restart \${{ vars.v }}'`),
      ...run(`ssh -p 2222 web-1 systemctl restart \${{ vars.v }}`),
      ...run(`docker exec -it api sh -c 'echo \${{ vars.v }}'`),
      ...run(`kubectl exec -n prod api-0 -- sh -c 'echo \${{ vars.v }}'`),
    ]).toMatchInlineSnapshot(`
      [
        "7:23 error: \`\${{ vars.v }}\` is in code for su -c, and su starts the shell with a new environment: the value would be shell code there (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }), then run su --whitelist-environment=V … and refer to "$V")",
        "7:35 error: \`\${{ vars.v }}\` is in code for sh -c run through sudo, and sudo resets the environment: the value would be shell code there (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }), then run sudo --preserve-env=V … and refer to "$V")",
        "7:40 error: \`\${{ vars.v }}\` is in the command that ssh runs on the remote host, and the remote shell does not get the step's environment: the value would be shell code there (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }), then run the step with on: <host> (hosts in runbook.config.yaml) instead of ssh, referring to "$V")",
        "7:47 error: \`\${{ vars.v }}\` is in the command that ssh runs on the remote host, and the remote shell does not get the step's environment: the value would be shell code there (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }), then run the step with on: <host> (hosts in runbook.config.yaml) instead of ssh, referring to "$V")",
        "7:43 error: \`\${{ vars.v }}\` is in code for sh -c run through docker exec, and the container does not get the step's environment: the value would be shell code there (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }), then run docker exec -e V … and refer to "$V")",
        "7:53 error: \`\${{ vars.v }}\` is in code for sh -c run through kubectl exec, and the pod does not get the step's environment: the value would be shell code there (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }), then give it to the code as an argument: kubectl exec … -- sh -c '… "$1" …' sh "$V")",
      ]
    `);
  });

  it('reports code for other interpreters', () => {
    expect([
      ...run(`python3 -c 'print("\${{ vars.v }}")'`),
      ...run(`python -c 'print("\${{ vars.v }}")'`),
      ...run(`node -e 'console.log("\${{ vars.v }}")'`),
      ...run(`perl -e 'print "\${{ vars.v }}"'`),
      ...run(`ruby -e 'puts "\${{ vars.v }}"'`),
      ...run(`df -P | awk '$6 == "\${{ vars.v }}" { print $5 }'`),
      ...run(`python3 - <<'EOF'\nprint("\${{ vars.v }}")\nEOF`),
    ]).toMatchInlineSnapshot(`
      [
        "7:31 error: \`\${{ vars.v }}\` is in code for python3 -c: the value would be Python code there, not data (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and read it as os.environ["V"])",
        "7:30 error: \`\${{ vars.v }}\` is in code for python -c: the value would be Python code there, not data (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and read it as os.environ["V"])",
        "7:34 error: \`\${{ vars.v }}\` is in code for node -e: the value would be JavaScript code there, not data (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and read it as process.env.V)",
        "7:28 error: \`\${{ vars.v }}\` is in code for perl -e: the value would be Perl code there, not data (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and read it as $ENV{V})",
        "7:27 error: \`\${{ vars.v }}\` is in code for ruby -e: the value would be Ruby code there, not data (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and read it as ENV["V"])",
        "7:32 error: \`\${{ vars.v }}\` is in code for awk: the value would be awk code there, not data (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and read it as ENVIRON["V"] (or awk -v v="$V"))",
        "7:38 error: \`\${{ vars.v }}\` is in a heredoc that python3 reads as code: the value would be Python code there (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }), quote the heredoc's delimiter (<<'EOF') and refer to os.environ["V"])",
      ]
    `);
  });

  it('reports argv elements, uses: shell.run and docker.exec commands', () => {
    expect(
      problems(
        [
          '  - id: a',
          `    run: ["python3", "-c", "print(\${{ vars.v }})"]`,
          '  - id: b',
          `    run: ["ssh", "web-1", "echo \${{ vars.v }}"]`,
          '  - id: c',
          '    uses: shell.run',
          `    with: { command: "sh -c \\"echo \${{ vars.v }}\\"" }`,
          '  - id: d',
          '    uses: docker.exec',
          `    with: { container: api, command: ["sh", "-c", "echo \${{ vars.v }}"] }`,
          '',
        ].join('\n'),
      ),
    ).toMatchInlineSnapshot(`
      [
        "7:35 error: \`\${{ vars.v }}\` is in code for python3 -c: the value would be Python code there, not data (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and read it as os.environ["V"])",
        "9:33 error: \`\${{ vars.v }}\` is in the command that ssh runs on the remote host, and the remote shell does not get the step's environment: the value would be shell code there (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }), then run the step with on: <host> (hosts in runbook.config.yaml) instead of ssh, referring to "$V")",
        "12:36 error: \`\${{ vars.v }}\` is in double-quoted code for sh -c: the outer shell expands it first, so sh -c would read the value as code (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and refer to "$V", or single-quote the code (sh -c '… \${{ vars.v }} …'))",
        "15:57 error: \`\${{ vars.v }}\` is in code for sh -c run through docker.exec, and the container gets only the action's with.env: the value would be shell code there (pass the value through with.env (env: { V: "\${{ vars.v }}" }), then refer to "$V")",
      ]
    `);
  });

  it('points at the expression itself, in a block scalar too', () => {
    expect(
      problems(
        [
          '  - id: a',
          '    run: |',
          '      echo start',
          `      sh -c "echo \${{ vars.v }} \${{ vars.v }}"`,
          '',
        ].join('\n'),
      ),
    ).toMatchInlineSnapshot(`
      [
        "9:19 error: \`\${{ vars.v }}\` is in double-quoted code for sh -c: the outer shell expands it first, so sh -c would read the value as code (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and refer to "$V", or single-quote the code (sh -c '… \${{ vars.v }} …'))",
        "9:33 error: \`\${{ vars.v }}\` is in double-quoted code for sh -c: the outer shell expands it first, so sh -c would read the value as code (pass the value through the step's env: (env: { V: "\${{ vars.v }}" }) and refer to "$V", or single-quote the code (sh -c '… \${{ vars.v }} …'))",
      ]
    `);
  });

  it('warns of a secret variable in an argv item, where ps shows it', () => {
    expect(
      diagnose(
        [
          'id: nested',
          'title: Secrets in argv',
          'vars:',
          '  token: { env: API_TOKEN, secret: true }',
          '  name: { default: api }',
          'diagnosis:',
          '  - id: a',
          '    run: [curl, -H, "Authorization: Bearer ${{ vars.token }}", "https://${{ vars.name }}"]',
          '  - id: b',
          '    run: ["sh", "-c", "curl -H \\"Authorization: Bearer ${{ vars.token }}\\" x"]',
          '  - id: c',
          `    run: 'curl -H "Authorization: Bearer \${{ vars.token }}" x'`,
          '',
        ].join('\n'),
      ),
    ).toMatchInlineSnapshot(`
      [
        "8:44 warning: vars.token is secret, and an argv item is visible to every user of the machine (ps) (give it to the program through the step's env: (env: { TOKEN: "\${{ vars.token }}" }) or on its stdin, not as an argument)",
      ]
    `);
  });
});
