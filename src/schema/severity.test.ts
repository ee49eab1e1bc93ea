import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../adapters/registry.js';
import { InvalidRunbookError } from '../common/errors.js';
import { loadConfig, type Config } from './config.js';
import { loadExpressions } from './expressions.js';
import { parseRunbook, type ParseOptions } from './load.js';
import { runbookSeverityLevels } from './semantics.js';
import { failedExpectationState, resolveScheme, suggestLevel } from './severity.js';

let dir: string;
let noConfig: Config;
let base: Omit<ParseOptions, 'config'>;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runbook-severity-'));
  // No runbook.config.yaml: only what every installation knows.
  noConfig = await loadConfig(dir, {});
  base = {
    adapters: await createRegistry().load(),
    expressions: await loadExpressions(),
    strict: false,
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runbook(head: string): string {
  return `id: api-down\ntitle: API down\n${head}\ndiagnosis: [{ id: a, run: "true" }]\n`;
}

/** `line:col message (hint)` per diagnostic. */
function problems(source: string, config = noConfig): string[] {
  return parseRunbook('api-down.yaml', Buffer.from(source), { ...base, config }).diagnostics.map(
    (d) => `${d.line}:${d.col} ${d.message} (${d.hint ?? ''})`,
  );
}

async function configFrom(text: string): Promise<Config> {
  const where = mkdtempSync(join(dir, 'config-'));
  writeFileSync(join(where, 'runbook.config.yaml'), text);
  return loadConfig(where, {});
}

describe('the built-in severity schemes, with no config file', () => {
  it.each([
    ['default', ['P0', 'P1', 'P2', 'P3', 'P4'], undefined],
    ['p0-p3', ['P0', 'P1', 'P2', 'P3'], undefined],
    ['p1-p4', ['P1', 'P2', 'P3', 'P4'], undefined],
    ['sev1-sev5', ['SEV1', 'SEV2', 'SEV3', 'SEV4', 'SEV5'], undefined],
    ['critical-warning-info', ['critical', 'warning', 'info'], 'warning'],
  ])('%s: levels %j, most severe first; warn_from %s', (name, levels, warnFrom) => {
    expect(resolveScheme(name, noConfig)).toEqual({ name, levels, warnFrom });
    // Every level validates; the level past its last one does not.
    for (const level of levels)
      expect(problems(runbook(`severity_scheme: ${name}\nseverity: ${level}`))).toEqual([]);
    expect(problems(runbook(`severity_scheme: ${name}\nseverity: other`))).toEqual([
      `4:11 severity "other" is not a level of scheme "${name}" (${levels.join(', ')}) (use a level of the scheme, or name another scheme with severity_scheme:)`,
    ]);
  });

  it('expands a dash range through the scheme', () => {
    const config = noConfig;
    const of = (severity: string, scheme: string) =>
      runbookSeverityLevels(
        { severity, severity_scheme: scheme },
        config.schemes,
        config.defaultScheme,
      );
    expect(of('SEV2-SEV4', 'sev1-sev5')).toEqual(['SEV2', 'SEV3', 'SEV4']);
    expect(of('P1–P3', 'p1-p4')).toEqual(['P1', 'P2', 'P3']);
    expect(of('critical/warning', 'critical-warning-info')).toEqual(['critical', 'warning']);
  });

  it('says which level was meant: case and separators, or a typo in a long name', () => {
    expect(problems(runbook('severity_scheme: sev1-sev5\nseverity: sev-2'))).toEqual([
      '4:11 severity "sev-2" is not a level of scheme "sev1-sev5" (SEV1, SEV2, SEV3, SEV4, SEV5) (did you mean "SEV2"?)',
    ]);
    expect(
      problems(runbook('severity_scheme: critical-warning-info\nseverity: [critical, waring]')),
    ).toEqual([
      '4:22 severity "waring" is not a level of scheme "critical-warning-info" (critical, warning, info) (did you mean "warning"?)',
    ]);
    // Another number is another level, not a typo.
    expect(suggestLevel('P9', ['P0', 'P1', 'P2', 'P3', 'P4'])).toBeUndefined();
    expect(suggestLevel('SEV7', ['SEV1', 'SEV2', 'SEV3', 'SEV4', 'SEV5'])).toBeUndefined();
  });

  it('names the scheme meant by a misspelt one', () => {
    expect(problems(runbook('severity_scheme: sev1-sev4\nseverity: SEV1'))).toEqual([
      '3:18 unknown severity scheme "sev1-sev4" (did you mean "sev1-sev5"? (known: default, p0-p3, p1-p4, sev1-sev5, critical-warning-info))',
    ]);
  });
});

describe('a severity scheme of the runbook’s own', () => {
  const inline = 'severity_scheme: { levels: [SEV-A, SEV-B, SEV-C], warn_from: SEV-C }';

  it('gives the levels its severity and escalation may name', () => {
    expect(
      problems(
        runbook(
          `${inline}\nseverity: SEV-B\nescalation:\n  - { after: 5m, severity: SEV-A, to: Lead }`,
        ),
      ),
    ).toEqual([]);
    expect(problems(runbook(`${inline}\nseverity: [SEV-A, SEV-D]`))).toEqual([
      '4:19 severity "SEV-D" is not a level of scheme "inline" (SEV-A, SEV-B, SEV-C) (use a level of the scheme, or name another scheme with severity_scheme:)',
    ]);
    expect(problems(runbook(`${inline}\nseverity: sev-b`))).toEqual([
      '4:11 severity "sev-b" is not a level of scheme "inline" (SEV-A, SEV-B, SEV-C) (did you mean "SEV-B"?)',
    ]);
  });

  it('refuses a level listed twice, a warn_from outside the levels, and unknown keys', () => {
    expect(
      problems(runbook('severity_scheme: { levels: [A, B, A], warn_from: Bee }\nseverity: A')),
    ).toEqual([
      '3:35 severity level "A" is listed twice (list each level once, most severe first)',
      '3:50 warn_from "Bee" is not one of the levels (A, B, A) (name the most severe level that a failed check reports as WARNING)',
    ]);
    expect(problems(runbook('severity_scheme: { levels: [] }'))).toEqual([
      '3:20 severity_scheme.levels: needs at least 1 item ()',
    ]);
    expect(problems(runbook('severity_scheme: { level: [A] }'))).toEqual([
      '3:1 missing required key "levels" ()',
      '3:20 unknown key "level" (did you mean "levels"?)',
    ]);
    expect(problems(runbook('severity_scheme: 3'))).toEqual([
      '3:18 severity_scheme: expected a scheme name such as p1-p4, or a scheme of its own: { levels: [SEV1, SEV2, SEV3] } ()',
    ]);
  });

  it('is the scheme its levels are ranged through', () => {
    expect(
      runbookSeverityLevels(
        { severity: 'SEV-A–SEV-C', severity_scheme: { levels: ['SEV-A', 'SEV-B', 'SEV-C'] } },
        noConfig.schemes,
        noConfig.defaultScheme,
      ),
    ).toEqual(['SEV-A', 'SEV-B', 'SEV-C']);
  });
});

describe('the state check gives a failed expectation', () => {
  const cwi = () => resolveScheme('critical-warning-info', noConfig);

  it('critical-warning-info: warning and info are WARNING, critical is CRITICAL', () => {
    expect(failedExpectationState(['critical'], cwi())).toBe('CRITICAL');
    expect(failedExpectationState(['warning'], cwi())).toBe('WARNING');
    expect(failedExpectationState(['info'], cwi())).toBe('WARNING');
    // The most severe level of a runbook decides.
    expect(failedExpectationState(['critical', 'warning'], cwi())).toBe('CRITICAL');
    expect(failedExpectationState(['warning', 'info'], cwi())).toBe('WARNING');
  });

  it('a scheme that says nothing, or a runbook without severity: CRITICAL, as before', () => {
    for (const name of ['default', 'p0-p3', 'p1-p4', 'sev1-sev5']) {
      const scheme = resolveScheme(name, noConfig);
      expect(scheme?.levels.map((level) => failedExpectationState([level], scheme))).toEqual(
        scheme?.levels.map(() => 'CRITICAL'),
      );
    }
    expect(failedExpectationState([], cwi())).toBe('CRITICAL');
    expect(failedExpectationState(['P9'], resolveScheme('default', noConfig))).toBe('CRITICAL');
  });

  it('an inline scheme: from its warn_from on', () => {
    const scheme = resolveScheme(
      { levels: ['SEV-A', 'SEV-B', 'SEV-C'], warn_from: 'SEV-B' },
      noConfig,
    );
    expect(
      ['SEV-A', 'SEV-B', 'SEV-C'].map((level) => failedExpectationState([level], scheme)),
    ).toEqual(['CRITICAL', 'WARNING', 'WARNING']);
  });

  it('the config may give a built-in scheme a warn_from, or take it away', async () => {
    const config = await configFrom(
      'severity_schemes:\n  p1-p4: { levels: [P1, P2, P3, P4], warn_from: P3 }\n  critical-warning-info: [critical, warning, info]\n',
    );
    const p1p4 = resolveScheme('p1-p4', config);
    expect(['P1', 'P2', 'P3', 'P4'].map((level) => failedExpectationState([level], p1p4))).toEqual([
      'CRITICAL',
      'CRITICAL',
      'WARNING',
      'WARNING',
    ]);
    // Given as a plain list, a scheme says nothing of WARNING.
    expect(
      failedExpectationState(['warning'], resolveScheme('critical-warning-info', config)),
    ).toBe('CRITICAL');
    // The others are as built in.
    expect(resolveScheme('sev1-sev5', config)?.levels).toEqual([
      'SEV1',
      'SEV2',
      'SEV3',
      'SEV4',
      'SEV5',
    ]);
  });

  it('the config’s mistakes in a scheme are reported at file:line:col', async () => {
    const error = await configFrom(
      'severity_schemes:\n  ops: { levels: [high, low, high], warn_from: lo }\n  two: [a, a]\n',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRunbookError);
    expect(
      (error as InvalidRunbookError).diagnostics.map(
        (d) => `${d.line}:${d.col} ${d.message} (${d.hint ?? ''})`,
      ),
    ).toEqual([
      '2:30 severity level "high" is listed twice (list each level once, most severe first)',
      '2:48 warn_from "lo" is not one of the levels (high, low, high) (name the most severe level that a failed check reports as WARNING)',
      '3:12 severity level "a" is listed twice (list each level once, most severe first)',
    ]);
    const proto = await configFrom('severity_schemes:\n  __proto__: [A]\n').catch(
      (e: unknown) => e,
    );
    expect(
      (proto as InvalidRunbookError).diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`),
    ).toEqual([
      '2:3 "__proto__" cannot be a scheme name: it would be lost when the config is read',
    ]);
  });
});
