import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRegistry } from '../adapters/registry.js';
import { loadExpressions } from './expressions.js';
import { parseRunbook, type ParseOptions } from './load.js';
import { TEST_CONFIG } from '../../test/helpers/config.js';

// What the corpus of bad files (test/fixtures/corpus/) found: files that passed and then failed at run time, and problems
// reported with the wrong words or at the wrong place.

const OPTIONS: ParseOptions = {
  adapters: await createRegistry().load(),
  expressions: await loadExpressions(),
  config: TEST_CONFIG,
  strict: false,
};

/** `line:col message` of each diagnostic of `id: a`, `title: T`, then `body`. */
function problems(body: string): string[] {
  const bytes = Buffer.from(`id: a\ntitle: T\n${body}`, 'utf8');
  return parseRunbook('a.yaml', bytes, OPTIONS).diagnostics.map(
    (d) => `${d.line}:${d.col} ${d.message}`,
  );
}

const step = (lines: string): string => `diagnosis:\n  - id: s\n${lines}`;

describe('durations given to actions are bounded like the step’s own', () => {
  it('http.get timeout: 600h (it fired at once: Node’s timers stop at 24.8 days)', () => {
    expect(
      problems(
        step('    uses: http.get\n    with: { url: "http://127.0.0.1:1/", timeout: 600h }\n'),
      ),
    ).toEqual(['6:50 diagnosis[0].with.timeout: too long: the longest duration is 7d']);
  });

  it('curl, wrangler, psql, nginx and docker durations', () => {
    expect(
      problems(
        [
          'diagnosis:',
          '  - { id: a, uses: curl.get, with: { url: "http://x/", timeout: 99999999999999999999h } }',
          '  - { id: b, uses: wrangler.tail, with: { name: api, duration: 30d } }',
          '  - { id: c, uses: psql.long_running, with: { threshold: 8d } }',
          '  - { id: d, uses: nginx.status, with: { url: "http://x/", timeout: 8d } }',
          '  - { id: e, uses: docker.restart, with: { container: api, timeout: 700000 } }',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      '4:65 diagnosis[0].with.timeout: too long: the longest duration is 7d',
      '5:64 diagnosis[1].with.duration: too long: the longest duration is 7d',
      '6:58 diagnosis[2].with.threshold: too long: the longest duration is 7d',
      '7:69 diagnosis[3].with.timeout: too long: the longest duration is 7d',
      '8:69 diagnosis[4].with.timeout: too long: the longest duration is 7d',
    ]);
  });

  it('a timeout of 0, or one that rounds to 0 ms, which timed the step out at once', () => {
    expect(
      problems(
        step('    run: "true"\n    timeout: 0.0001s\n') +
          '  - { id: t, uses: http.get, with: { url: "http://x/", timeout: 0s } }\n',
      ),
    ).toEqual([
      '6:14 diagnosis[0].timeout: a timeout of 0 ends the step at once: give at least 1ms, or no timeout',
      '7:65 diagnosis[1].with.timeout: a timeout of 0 ends the request at once: give at least 1ms',
    ]);
  });

  it('what is not a duration is said once, not also "too long"', () => {
    expect(problems(step('    run: "true"\n    timeout: forever\n'))).toEqual([
      '6:14 diagnosis[0].timeout: expected a duration such as 500ms, 30s, 5m or 1h',
    ]);
    expect(problems(step('    run: "true"\n    timeout: -5\n'))).toEqual([
      '6:14 diagnosis[0].timeout: Too small: expected number to be >=0',
    ]);
  });
});

describe('YAML aliases and merges', () => {
  it('an alias with no anchor is named at the alias, not called an alias bomb', () => {
    expect(problems('summary: *nowhere\n' + step('    run: "true"\n'))).toEqual([
      '3:10 YAML alias *nowhere names no anchor: &nowhere must be set before it',
    ]);
  });

  it('a merge of a scalar is said at the value', () => {
    expect(problems(step('    <<: 1\n    run: "true"\n'))).toEqual([
      '5:9 a YAML merge (<<) takes a mapping, an alias of one, or a list of them',
    ]);
  });

  it('a problem reached through an alias is said where the alias is written', () => {
    expect(problems('diagnosis:\n  - &s { id: a, run: "true" }\n  - *s\n')).toEqual([
      '5:5 duplicate step id "a" (also at line 4)',
    ]);
  });

  it('a second document is a second runbook of a catalog, its problems at its own lines', () => {
    expect(problems(step('    run: "true"\n') + '---\nid: b\n')).toEqual([
      '7:1 missing required key "title"',
      '7:1 a runbook needs at least one step or detection check, or guidance',
      '1:1 the file holds 2 runbooks (valid: a): name one by its id',
    ]);
  });

  it('merges of maps, aliases of maps and lists of them still work', () => {
    expect(
      problems(
        'vars:\n  base: &b { default: x }\n  other: { <<: *b }\n  more: { <<: [*b, { required: true }] }\n' +
          step('    run: "true"\n'),
      ),
    ).toEqual([]);
  });
});

describe('the library’s own warnings', () => {
  afterEach(() => vi.restoreAllMocks());

  it('are not printed on stderr: a collection as a key is one diagnostic', () => {
    const emitted = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    expect(problems('? [a, b]\n: value\n' + step('    run: "true"\n'))).toEqual([
      '1:1 unknown key "[ a, b ]"',
    ]);
    expect(emitted).not.toHaveBeenCalled();
  });
});

describe('one problem is said once', () => {
  it('an empty when: or on: is "must not be empty", not also a bad expression or host', () => {
    expect(problems(step('    when: ""\n    run: "true"\n    on: ""\n'))).toEqual([
      '5:11 diagnosis[0].when: must not be empty',
      '7:9 diagnosis[0].on: must not be empty',
    ]);
    expect(problems(step('    when: "  "\n    run: "true"\n'))).toEqual([
      '5:11 invalid expression `  `: Unexpected token: EOF',
    ]);
  });
});

describe('environments', () => {
  it('a value that is not one of the variable’s choices (run --env refused it)', () => {
    expect(
      problems(
        'vars:\n  region: { choices: [eu, us], default: eu }\nenvironments:\n  prod: { vars: { region: asia } }\n' +
          step('    run: "true"\n'),
      ),
    ).toEqual([
      '6:27 environment "prod" sets region to "asia", which is not one of its choices ("eu", "us")',
    ]);
  });
});

describe('a problem in words the schema gives', () => {
  it('an unknown key of an expect: matcher lists the matcher’s keys', () => {
    const bytes = Buffer.from(
      `id: a\ntitle: T\n${step('    run: "true"\n    expect: { stdout: { startswith: x } }\n')}`,
    );
    expect(parseRunbook('a.yaml', bytes, OPTIONS).diagnostics.map((d) => d.hint)).toEqual([
      'known keys: equals, not, in, matches, contains, lt, lte, gt, gte, warn, crit, below',
    ]);
  });

  it('a bad key of capture:, env: or vars: says why', () => {
    expect(
      problems(
        'vars:\n  1st: x\n' +
          step(
            '    run: "true"\n    capture: { my-value: outputs.stdout }\n    env: { MY-VAR: x }\n',
          ),
      ),
    ).toEqual([
      '4:3 vars.1st: variable names are identifiers: letters, digits, _',
      '8:16 diagnosis[0].capture.my-value: capture names are identifiers',
      '9:12 diagnosis[0].env.MY-VAR: environment variable names are letters, digits and _, not starting with a digit',
    ]);
  });

  it('a bad value inside one alternative is said there (lt: one is not "unknown key lt")', () => {
    expect(problems(step('    run: "true"\n    expect: { exit_code: { lt: one } }\n'))).toEqual([
      '6:32 diagnosis[0].expect.exit_code.lt: expected number, got string',
    ]);
    expect(problems('vars:\n  host: { default: { a: 1 } }\n' + step('    run: "true"\n'))).toEqual([
      '4:11 vars.host.default: expected a string, a number, true or false, or null',
    ]);
    expect(problems(step('    run: "true"\n') + 'communication:\n  initial: [a, b]\n')).toEqual([
      '7:3 communication.initial: expected a message, or { template, channel }',
    ]);
  });
});

describe('expressions', () => {
  it('matches(text, pattern), CEL’s global form, is accepted and its pattern checked', () => {
    expect(
      problems(
        'vars: { word: aa }\n' + step('    when: matches(vars.word, "^a")\n    run: "true"\n'),
      ),
    ).toEqual([]);
    expect(
      problems(
        'vars: { word: aa }\n' + step('    when: matches(vars.word, "^(?=a)")\n    run: "true"\n'),
      ),
    ).toEqual([
      '6:11 `matches(vars.word, "^(?=a)")`: not an RE2 regular expression: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    ]);
  });

  it('an expression that refers to nothing is evaluated: what fails would fail every run', () => {
    expect(
      problems(
        step(
          '    when: 9223372036854775807 + 1 > 0\n    run: echo ${{ 1 / 0 }} ${{ [1, 2][5] }} ${{ size([1]) }}\n',
        ),
      ),
    ).toEqual([
      '5:11 `9223372036854775807 + 1 > 0`: integer overflow: 9223372036854775808',
      '6:10 `1 / 0`: division by zero',
      '6:10 `[1, 2][5]`: No such key: index out of bounds, index 5 >= size 2',
    ]);
  });

  it('a kebab-case step id written as is is named with its fix, not as "unknown step my"', () => {
    expect(
      problems(
        'diagnosis:\n  - id: my-step\n    run: "true"\n  - id: b\n    run: echo ${{ steps.my-step.outputs.stdout }}\n',
      ),
    ).toEqual([
      '7:10 `steps.my-step.outputs.stdout`: "-" is a minus in an expression, so step "my-step" is written steps.my_step',
    ]);
  });

  it('a condition that is never true or false (it skipped its step, or failed it, every time)', () => {
    expect(
      problems(
        step(
          '    when: \'"yes"\'\n    run: "true"\n    retry: { attempts: 2, until: "1 + 1" }\n    expect: ["size(outputs.stdout)"]\n    capture: { n: "1 + 1" }\n',
        ),
      ),
    ).toEqual([
      '5:11 `"yes"` is a string, never true or false: a condition needs a comparison such as `x == "yes"`',
      '7:34 `1 + 1` is an int, never true or false: a condition needs a comparison such as `x == "yes"`',
      '8:14 `size(outputs.stdout)` is an int, never true or false: a condition needs a comparison such as `x == "yes"`',
    ]);
  });
});
