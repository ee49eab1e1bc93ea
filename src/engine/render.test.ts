import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExpressionError, loadExpressions, toCel } from '../schema/expressions.js';
import { renderShellCommand, renderText, renderValue } from './render.js';

// The expression language loads on first need; these tests use it directly.
beforeAll(() => loadExpressions());

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

  it('returns a command without ${{ unchanged and needs no environment', () => {
    expect(renderShellCommand('echo "$HOME" | wc -c', {})).toEqual({
      command: 'echo "$HOME" | wc -c',
      display: 'echo "$HOME" | wc -c',
      env: {},
    });
  });
});
