import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedOutput } from '../../../src/report/run-view.js';
import { visible } from '../../../src/report/visible.js';
import { runCli, startServer, tempDir, type TestServer } from '../../helpers/cli.js';

// Titles, file names, step output and HTTP bodies come from outside. On a terminal none of it may
// act as a control sequence: each control character is shown as an escape such as \x1b. Only
// runbook's own colours (SGR sequences, ESC [ … m) reach the terminal as escapes.

const ESC = '\u001b';
const HOSTILE = `${ESC}]0;owned${'\u0007'}${ESC}[2J${ESC}[1A\r${'\u009b'}31m`;
const SHOWN = '\\x1b]0;owned\\x07\\x1b[2J\\x1b[1A\\x0d\\x9b31m';

let dir: { path: string; remove: () => void };
let server: TestServer;

beforeAll(async () => {
  dir = tempDir('runbook-terminal-');
  server = await startServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end(`body ${HOSTILE} end`);
  });
  mkdirSync(join(dir.path, 'runbooks'));
  writeFileSync(
    join(dir.path, 'runbooks/hostile.yaml'),
    [
      'id: hostile',
      `title: "Title \\e]0;owned\\a\\e[2J\\e[1A\\r\\u009b31m"`,
      'service: web',
      'diagnosis:',
      '  - id: print',
      `    run: printf 'out \\033]0;owned\\007\\033[2J\\033[1A\\r\\302\\233%s\\n' 31m`,
      '    effect: read',
      '  - id: fetch',
      '    uses: http.get',
      `    with: { url: "${server.url}/" }`,
      '    capture: { body: outputs.body }',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await server.close();
  dir.remove();
});

/** Every escape sequence in the text: only SGR colours (ESC [ digits ; m) are runbook's own. */
function escapes(text: string): string[] {
  return [...text.matchAll(new RegExp(`${ESC}[^m]{0,12}m?`, 'g'))].map((m) => m[0]);
}

const env = (colour: boolean) => ({
  RUNBOOK_STATE_DIR: join(dir.path, 'state'),
  ...(colour ? { FORCE_COLOR: '1' } : { NO_COLOR: '1' }),
});
const cli = (args: string[], colour = false) =>
  runCli([...args, '--dir', join(dir.path, 'runbooks')], { cwd: dir.path, env: env(colour) });

describe('nothing from outside reaches the terminal as a control sequence', () => {
  it('visible() escapes C0 (but \\t and \\n), DEL and C1 controls', () => {
    expect(visible(HOSTILE)).toBe(SHOWN);
    expect(visible('tab\there\nnext\u007f')).toBe('tab\there\nnext\\x7f');
    expect(visible('plain ✓ text')).toBe('plain ✓ text');
  });

  it('run: the title, a step’s output and an HTTP body', async () => {
    for (const colour of [false, true]) {
      const result = await cli(['run', 'hostile'], colour);
      expect(result.code).toBe(0);
      const text = result.stdout + result.stderr;
      expect(text).not.toContain('\u0007');
      expect(text).not.toContain('\u009b');
      expect(text).not.toContain('\r');
      for (const sequence of escapes(text))
        expect(sequence).toMatch(new RegExp(`^${ESC}\\[[0-9;]*m$`));
      expect(text).toContain(`Title ${SHOWN}`);
      expect(text).toContain(`│ out ${SHOWN}`);
      expect(text).toContain(
        'body = "body \\u001b]0;owned\\u0007\\u001b[2J\\u001b[1A\\r\\x9b31m end"',
      );
    }
  });

  it('list, show and validate', async () => {
    const list = await cli(['list']);
    expect(list.stdout).toContain(`Title ${SHOWN}`);
    const show = await cli(['show', 'hostile']);
    expect(show.stdout).toContain(`Title ${SHOWN}`);
    writeFileSync(join(dir.path, `bad${ESC}[2J.yaml`), `id: bad\ntitle: "x\\e[2J"\nnope: 1\n`);
    const validate = await runCli(['validate', join(dir.path, `bad${ESC}[2J.yaml`)], {
      cwd: dir.path,
      env: env(false),
    });
    expect(validate.code).toBe(2);
    expect(validate.stdout).not.toContain(ESC);
    expect(validate.stdout).toContain('bad\\x1b[2J.yaml:3:1: error: unknown key "nope"');
  });
});

describe('a step’s output on the terminal is bounded, and says what the journal kept', () => {
  it('the first 10 lines and the last 5, the rest counted', () => {
    const lines = Array.from({ length: 400_000 }, (_, i) => `line ${i + 1}`);
    const shown = boundedOutput(lines.join('\n'));
    expect(shown).toEqual([
      ...lines.slice(0, 10),
      '… 399985 lines not shown (the journal keeps the first 8192 characters of it)',
      ...lines.slice(-5),
    ]);
  });

  it('short output whole; a long line cut to 300 characters', () => {
    expect(boundedOutput('a\nb')).toEqual(['a', 'b']);
    expect(boundedOutput('x'.repeat(1000))).toEqual([`${'x'.repeat(300)}… (700 more characters)`]);
    const sixteen = Array.from({ length: 16 }, (_, i) => String(i)).join('\n');
    expect(boundedOutput(sixteen)).toHaveLength(16);
    const seventeen = Array.from({ length: 17 }, (_, i) => String(i)).join('\n');
    expect(boundedOutput(seventeen)[10]).toBe('… 2 lines not shown (the journal has all of it)');
  });
});
