import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExpressionError, loadExpressions, toCel } from '../schema/expressions.js';
import * as renderer from './render.js';

// The expression language loads on first need; these tests render with all of it.
const expressions = await loadExpressions();
type Context = Record<string, unknown>;
const renderText = (text: string, context: Context) =>
  renderer.renderText(text, context, expressions);
const renderValue = (value: unknown, context: Context) =>
  renderer.renderValue(value, context, expressions);
const renderShellCommand = (text: string, context: Context) =>
  renderer.renderShellCommand(text, context, expressions);
const renderArgv = (argv: readonly string[], context: Context) =>
  renderer.renderArgv(argv, context, expressions);

function contextOf(vars: Record<string, unknown>): Record<string, unknown> {
  return {
    vars: toCel(vars),
    runbook: toCel({ id: 'api-down', service: 'api' }),
    steps: toCel({ health: { outputs: { status: 503, json: { ok: false } } } }),
  };
}

describe('renderText', () => {
  it('returns text without ${{ as is', () => {
    expect(renderText('plain $HOME text', {})).toBe('plain $HOME text');
  });

  it('inserts values as text', () => {
    const context = contextOf({ port: 8080, ratio: 0.5, on: true, none: null });
    expect(
      renderText(
        '${{ runbook.service }} on ${{ vars.port }} (${{ vars.ratio }}, ${{ vars.on }}, [${{ vars.none }}])',
        context,
      ),
    ).toBe('api on 8080 (0.5, true, [])');
  });

  it('inserts maps and lists as JSON', () => {
    expect(renderText('json=${{ steps.health.outputs.json }}', contextOf({}))).toBe(
      'json={"ok":false}',
    );
    expect(renderText('${{ [1, "a"] }}', {})).toBe('[1,"a"]');
  });

  it('throws an ExpressionError for an unknown name', () => {
    expect(() => renderText('${{ nope.x }}', contextOf({}))).toThrow(ExpressionError);
  });
});

describe('renderValue', () => {
  const context = contextOf({ port: 8080, on: true, url: 'https://x', list: ['a', 'b'] });

  it('keeps the type of a whole ${{ expr }}', () => {
    expect(renderValue('${{ vars.port }}', context)).toBe(8080);
    expect(renderValue('${{  vars.on  }}', context)).toBe(true);
    expect(renderValue('${{ vars.list }}', context)).toEqual(['a', 'b']);
    expect(renderValue('${{ steps.health.outputs.json }}', context)).toEqual({ ok: false });
  });

  it('renders a string with text around an expression as a string', () => {
    expect(renderValue(':${{ vars.port }}', context)).toBe(':8080');
    expect(renderValue('${{ vars.port }}${{ vars.port }}', context)).toBe('80808080');
  });

  it('renders strings inside maps and lists and leaves other values alone', () => {
    expect(
      renderValue(
        {
          url: '${{ vars.url }}/health',
          timeout: 5,
          headers: { 'x-port': '${{ vars.port }}' },
          body: ['${{ vars.on }}', null, false, 'plain'],
        },
        context,
      ),
    ).toEqual({
      url: 'https://x/health',
      timeout: 5,
      headers: { 'x-port': 8080 },
      body: [true, null, false, 'plain'],
    });
  });
});

describe('renderShellCommand', () => {
  let dir: string;
  let bin: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'runbook-render-'));
    bin = join(dir, 'bin');
    mkdirSync(bin);
    // Any command the shell would run instead of printing the value leaves a tripwire file:
    // PATH holds only these stubs (rm included), so a quoting mistake cannot do damage.
    for (const name of ['rm', 'touch', 'echo', 'id', 'cat', 'ls']) {
      const stub = join(bin, name);
      writeFileSync(stub, `#!/bin/sh\n: > "$TRIPWIRE_DIR/ran-${name}"\n`);
      chmodSync(stub, 0o755);
    }
    // The shells themselves, for the nested ones.
    for (const shell of ['sh', 'bash', 'dash']) symlinkSync(`/bin/${shell}`, join(bin, shell));
    writeFileSync(join(dir, 'glob-would-list-me'), '');
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the command through `sh -c` as the shell adapter does, in the temp dir. */
  function runSh(command: string, env: Record<string, string> = {}): string {
    return execFileSync('/bin/sh', ['-c', command], {
      cwd: dir,
      env: { PATH: bin, TRIPWIRE_DIR: dir, HOME: '/home/should-not-appear', ...env },
      encoding: 'utf8',
    });
  }

  function tripwires(): string[] {
    return readdirSync(dir).filter((name) => name !== 'bin' && name !== 'glob-would-list-me');
  }

  it('has a tripwire that catches a command the shell runs', () => {
    runSh('printf x; rm -rf /; touch pwned');
    expect(tripwires().sort()).toEqual(['ran-rm', 'ran-touch']);
    for (const name of tripwires()) rmSync(join(dir, name));
  });

  const HOSTILE: Array<[string, string]> = [
    ['a command after ;', '; rm -rf /'],
    ['command substitution', '$(touch pwned)'],
    ['backticks', '`touch pwned`'],
    ['a newline', 'line one\nrm -rf /'],
    ['a single quote', "it's'; rm -rf / #"],
    ['a double quote', '"; rm -rf / #'],
    ['an option', '--option'],
    ['a variable', '$HOME ${HOME}'],
    ['a glob', '*'],
    ['backslashes', 'a\\b\\\\c\\'],
    ['a pipe and redirection', '| cat > pwned && echo'],
    ['runs of spaces and a tab', ' a  b\tc '],
    ['an empty string', ''],
  ];

  const render = (text: string, value: string) => renderShellCommand(text, contextOf({ v: value }));

  it.each(HOSTILE)('keeps %s literal outside quotes', (_label, value) => {
    const { command, env } = render("printf '%s' ${{ vars.v }}", value);
    expect(runSh(command, env)).toBe(value);
    expect(tripwires()).toEqual([]);
  });

  it.each(HOSTILE)('keeps %s literal inside double quotes', (_label, value) => {
    const { command, env } = render('printf \'%s\' "<${{ vars.v }}>"', value);
    expect(runSh(command, env)).toBe(`<${value}>`);
    expect(tripwires()).toEqual([]);
  });

  it.each(HOSTILE)('keeps %s literal inside single quotes', (_label, value) => {
    const { command, env } = render("printf '%s' '<${{ vars.v }}>'", value);
    expect(runSh(command, env)).toBe(`<${value}>`);
    expect(tripwires()).toEqual([]);
  });

  it.each(HOSTILE)('keeps %s literal inside "$( )" and backticks', (_label, value) => {
    const { command, env } = render(
      "printf '%s' \"$(printf '%s' ${{ vars.v }})\" \"`printf '%s' ${{ vars.v }}`\"",
      value,
    );
    expect(runSh(command, env)).toBe(`${value.replace(/\n+$/, '')}${value.replace(/\n+$/, '')}`);
    expect(tripwires()).toEqual([]);
  });

  it.each(HOSTILE)('keeps %s literal after a comment with an apostrophe', (_label, value) => {
    const { command, env } = render("# don't do this\nprintf '%s' ${{ vars.v }}", value);
    expect(runSh(command, env)).toBe(value);
    expect(tripwires()).toEqual([]);
  });

  it.each(HOSTILE)('keeps %s literal in a heredoc', (_label, value) => {
    const { command, env } = render(
      'while IFS= read -r line; do printf \'%s|\' "$line"; done <<EOF\n${{ vars.v }}\nEOF',
      value,
    );
    expect(runSh(command, env)).toBe(
      value
        .split('\n')
        .map((line) => `${line}|`)
        .join(''),
    );
    expect(tripwires()).toEqual([]);
  });

  it('refuses a line break in a quoted heredoc, where nothing expands', () => {
    expect(() => render("cat <<'EOF'\n${{ vars.v }}\nEOF", 'one\nEOF\nrm -rf /')).toThrow(
      /cannot go into a quoted heredoc/,
    );
    const { command, env } = render("cat <<'EOF'\n${{ vars.v }}\nEOF\nprintf done", 'one line');
    expect(command).toBe("cat <<'EOF'\none line\nEOF\nprintf done");
    expect(
      runSh(command.replace(/^cat/, 'while IFS= read -r l; do printf "%s" "$l"; done'), env),
    ).toBe('one linedone');
  });

  it('never puts a value into the command text: values travel in the environment', () => {
    const { command, env } = render('systemctl restart ${{ vars.v }} "${{ vars.v }}"', '$(reboot)');
    expect(command).toBe('systemctl restart "${RUNBOOK_VALUE_1}" "${RUNBOOK_VALUE_2}"');
    expect(env).toEqual({ RUNBOOK_VALUE_1: '$(reboot)', RUNBOOK_VALUE_2: '$(reboot)' });
  });

  it('shows people the command with values inlined and quoted the way a reader can check', () => {
    const display = (text: string, value: string) => render(text, value).display;
    expect(display('systemctl restart ${{ vars.v }} --port=8080', 'api.service')).toBe(
      'systemctl restart api.service --port=8080',
    );
    expect(display('echo ${{ vars.v }}', '; rm -rf /')).toBe("echo '; rm -rf /'");
    expect(display('echo ${{ vars.v }}', "it's")).toBe("echo 'it'\\''s'");
    expect(display('echo "${{ vars.v }}"', '$(id)')).toBe('echo "\\$(id)"');
    expect(display("echo '${{ vars.v }}'", 'a b')).toBe("echo 'a b'");
    expect(display("echo '${{ vars.v }}'", "it's")).toBe("echo 'it'\\''s'");
  });

  describe('in nested shells', () => {
    // Each runs the value through a second shell (or a third) and must print it, never run it.
    const NESTED: Array<[string, string, (value: string) => string]> = [
      ["sh -c '…' bare", `sh -c 'printf "%s" \${{ vars.v }}'`, (v) => v],
      [
        "sh -c '…' in nested double quotes",
        `sh -c 'printf "%s" "<\${{ vars.v }}>"'`,
        (v) => `<${v}>`,
      ],
      [
        "sh -c '…' in nested single quotes",
        `sh -c 'printf "%s" '\\''<\${{ vars.v }}>'\\'''`,
        (v) => `<${v}>`,
      ],
      ["bash -c '…'", `bash -c 'printf "%s" \${{ vars.v }}'`, (v) => v],
      ["dash -ec '…'", `dash -ec 'printf "%s" \${{ vars.v }}'`, (v) => v],
      ["eval '…'", `eval 'printf "%s" \${{ vars.v }}'`, (v) => v],
      [
        'eval with several words',
        `eval printf '"%s|"' '\${{ vars.v }}' '\${{ vars.v }}'`,
        (v) => `${v}|${v}|`,
      ],
      [
        'a shell in a shell in a shell',
        `sh -c 'bash -c '\\''printf "%s" \${{ vars.v }}'\\'''`,
        (v) => v,
      ],
      [
        'a nested shell inside $( )',
        `printf '%s' "$(sh -c 'printf "%s" \${{ vars.v }}')"`,
        (v) => v.replace(/\n+$/, ''),
      ],
      [
        'a positional argument after the code',
        `sh -c 'printf "%s" "$1"' sh \${{ vars.v }}`,
        (v) => v,
      ],
    ];

    const cases = NESTED.flatMap(([form, text, expected]) =>
      HOSTILE.map(([label, value]) => [form, label, text, value, expected(value)] as const),
    );

    it.each(cases)('%s keeps %s literal', (_form, _label, text, value, expected) => {
      const { command, env } = render(text, value);
      expect(runSh(command, env)).toBe(expected);
      expect(tripwires()).toEqual([]);
    });

    it.each(HOSTILE)(
      'argv ["sh", "-c", …] and ["bash", "-c", …] keep %s literal',
      (_label, value) => {
        for (const shell of ['sh', 'bash']) {
          const { command, env } = renderArgv(
            [shell, '-c', 'printf "%s" ${{ vars.v }}'],
            contextOf({ v: value }),
          );
          const [file = '', ...args] = command;
          const output = execFileSync(join(bin, file), args, {
            cwd: dir,
            env: { PATH: bin, TRIPWIRE_DIR: dir, ...env },
            encoding: 'utf8',
          });
          expect(output).toBe(value);
          expect(tripwires()).toEqual([]);
        }
      },
    );

    it('leaves the nested shell a reference, quoted for where it lands in that shell', () => {
      const command = (text: string): string => render(text, '$(reboot)').command;
      expect(command("sh -c 'echo ${{ vars.v }}'")).toBe(`sh -c 'echo "\${RUNBOOK_VALUE_1}"'`);
      expect(command(`bash -c 'echo "x\${{ vars.v }}"'`)).toBe(
        `bash -c 'echo "x\${RUNBOOK_VALUE_1}"'`,
      );
      expect(command("sh -c 'echo '\\''${{ vars.v }}'\\'''")).toBe(
        `sh -c 'echo '\\'''\\''"\${RUNBOOK_VALUE_1}"'\\'''\\'''`,
      );
      expect(command("eval 'echo ${{ vars.v }}'")).toBe(`eval 'echo "\${RUNBOOK_VALUE_1}"'`);
      expect(command("eval echo '${{ vars.v }}'")).toBe(`eval echo '"\${RUNBOOK_VALUE_1}"'`);
      expect(command("sh -c 'bash -c '\\''echo ${{ vars.v }}'\\'''")).toBe(
        `sh -c 'bash -c '\\''echo "\${RUNBOOK_VALUE_1}"'\\'''`,
      );
      expect(
        command(
          "sudo -u app VAR=1 timeout 5 env A=1 sh -c 'echo ok' && sh -xc 'echo ${{ vars.v }}'",
        ),
      ).toBe(
        `sudo -u app VAR=1 timeout 5 env A=1 sh -c 'echo ok' && sh -xc 'echo "\${RUNBOOK_VALUE_1}"'`,
      );
      expect(
        command("find . -name '*.log' -exec sh -c 'gzip \"$1\" ${{ vars.v }}' sh {} \\;"),
      ).toBe(`find . -name '*.log' -exec sh -c 'gzip "$1" "\${RUNBOOK_VALUE_1}"' sh {} \\;`);
      expect(command("$SHELL -c 'echo ${{ vars.v }}'")).toBe(
        `$SHELL -c 'echo "\${RUNBOOK_VALUE_1}"'`,
      );
      expect(command("flock /run/x.lock -c 'echo ${{ vars.v }}'")).toBe(
        `flock /run/x.lock -c 'echo "\${RUNBOOK_VALUE_1}"'`,
      );
      expect(command("flock /run/x.lock sh -c 'echo ${{ vars.v }}'")).toBe(
        `flock /run/x.lock sh -c 'echo "\${RUNBOOK_VALUE_1}"'`,
      );
      expect(command("watch -n 5 'df -h ${{ vars.v }}'")).toBe(
        `watch -n 5 'df -h "\${RUNBOOK_VALUE_1}"'`,
      );
      expect(command("watch -x df -h '${{ vars.v }}'")).toBe(
        `watch -x df -h ''"\${RUNBOOK_VALUE_1}"''`,
      );
      expect(command('ls | xargs -r -n 1 sh -c \'echo ${{ vars.v }} "$0"\'')).toBe(
        `ls | xargs -r -n 1 sh -c 'echo "\${RUNBOOK_VALUE_1}" "$0"'`,
      );
    });

    it("keeps single quotes that are not code for a shell as they were: the step's shell expands", () => {
      const command = (text: string): string => render(text, 'x').command;
      expect(command("grep 'id=${{ vars.v }}' /var/log/app.log")).toBe(
        `grep 'id='"\${RUNBOOK_VALUE_1}"'' /var/log/app.log`,
      );
      expect(command("sh -c 'echo \"$1\"' sh '${{ vars.v }}'")).toBe(
        `sh -c 'echo "$1"' sh ''"\${RUNBOOK_VALUE_1}"''`,
      );
      expect(command("sh script.sh '${{ vars.v }}'")).toBe(
        `sh script.sh ''"\${RUNBOOK_VALUE_1}"''`,
      );
      expect(command("echo 'sh -c ${{ vars.v }}'")).toBe(`echo 'sh -c '"\${RUNBOOK_VALUE_1}"''`);
      expect(command("sh -c 'true' > '${{ vars.v }}'")).toBe(
        `sh -c 'true' > ''"\${RUNBOOK_VALUE_1}"''`,
      );
    });

    it('shows people the nested command with the value quoted for each shell it goes through', () => {
      expect(render("sh -c 'echo ${{ vars.v }}'", 'a b').display).toBe(
        `sh -c 'echo '\\''a b'\\'''`,
      );
      expect(render("sh -c 'echo ${{ vars.v }}'", 'plain').display).toBe(`sh -c 'echo plain'`);
      expect(render(`sh -c 'echo "\${{ vars.v }}"'`, '$x').display).toBe(`sh -c 'echo "\\$x"'`);
    });

    it("passes the values of an argv's nested script in the environment, and its other arguments as they are", () => {
      expect(
        renderArgv(
          ['sh', '-c', 'echo "$1" ${{ vars.v }}', 'sh', '${{ vars.v }}'],
          contextOf({ v: "it's" }),
        ),
      ).toEqual({
        command: ['sh', '-c', 'echo "$1" "${RUNBOOK_VALUE_1}"', 'sh', "it's"],
        display: `sh -c 'echo "$1" '\\''it'\\''\\'\\'''\\''s'\\''' sh 'it'\\''s'`,
        env: { RUNBOOK_VALUE_1: "it's" },
      });
      expect(renderArgv(['printf', '%s', '${{ vars.v }}'], contextOf({ v: '$(id)' }))).toEqual({
        command: ['printf', '%s', '$(id)'],
        display: "printf %s '$(id)'",
        env: {},
      });
    });

    it.each([
      ['double-quoted code for sh -c', 'sh -c "echo ${{ vars.v }}"'],
      ['unquoted code for eval', 'eval echo ${{ vars.v }}'],
      ['code after an expansion', `sh -c "$PREFIX"'echo \${{ vars.v }}'`],
      ['double-quoted code for a shell named by a variable', '"$SHELL" -c "echo ${{ vars.v }}"'],
      ['python3 -c', 'python3 -c \'print("${{ vars.v }}")\''],
      ['awk', 'awk \'{ print "${{ vars.v }}" }\' /etc/hostname'],
      ['ssh', "ssh web-1 'echo ${{ vars.v }}'"],
      ['docker exec', "docker exec api sh -c 'echo ${{ vars.v }}'"],
      ['a heredoc for sh', 'sh <<EOF\necho ${{ vars.v }}\nEOF'],
    ])('refuses a value in %s, where it would be code', (_label, text) => {
      expect(() => render(text, 'x')).toThrow(ExpressionError);
    });

    it('refuses an argv whose value would be code', () => {
      expect(() =>
        renderArgv(['python3', '-c', 'print(${{ vars.v }})'], contextOf({ v: '1' })),
      ).toThrow(
        '`${{ vars.v }}` is in code for python3 -c: the value would be Python code there, not data; pass the value through the step\'s env: (env: { V: "${{ vars.v }}" }) and read it as os.environ["V"]',
      );
    });
  });

  it('returns a command without ${{ unchanged and needs no environment', () => {
    expect(renderShellCommand('echo "$HOME" | wc -c', {})).toEqual({
      command: 'echo "$HOME" | wc -c',
      display: 'echo "$HOME" | wc -c',
      env: {},
    });
  });
});
