import { spawnSync } from 'node:child_process';
import { parse, type TestCase, type TestSuite, type TestSuites } from 'junit2json';

/**
 * Checks a JUnit XML document the way CI reads it, and returns its test cases for exact
 * assertions. Every JUnit output of runbook (`validate`, `run`, `test` with `--format junit`)
 * should go through it.
 *
 * - well-formed XML, as libxml2 reads it (`xmllint`, from Debian's libxml2-utils, which
 *   scripts/test-deps.sh installs): unclosed tags, `<` or a bad entity in a value, control
 *   characters and duplicate attributes fail;
 * - read by junit2json, a JUnit parser: `<testsuites>` holding `<testsuite>`s (or one
 *   `<testsuite>`), each holding `<testcase>`s;
 * - what the JUnit schema GitHub Actions and GitLab read requires: every suite and case named,
 *   every case with a classname, `tests`/`failures`/`errors`/`skipped` equal to what the cases
 *   hold, `time` a non-negative number of seconds, every `<failure>`/`<error>` with a message.
 *
 * Throws an Error naming the first problem.
 */
export async function checkJunit(xml: string): Promise<JunitReport> {
  const lint = spawnSync('xmllint', ['--noout', '--nonet', '-'], { input: xml, encoding: 'utf8' });
  if (lint.error) throw new Error(`cannot run xmllint: ${lint.error.message}`);
  if (lint.status !== 0)
    throw new Error(`not well-formed XML: ${lint.stderr.split('\n')[0] ?? ''}`);
  const root = await parse(xml);
  if (!root) throw new Error('no JUnit document');
  const suites: TestSuite[] = isSuites(xml)
    ? ((root as TestSuites).testsuite ?? [])
    : [root as TestSuite];
  const report: JunitReport = { suites: [] };
  let total = 0;
  let totalFailures = 0;
  for (const [index, suite] of suites.entries()) {
    const where = `testsuite ${index + 1}`;
    if (!suite.name) throw new Error(`${where} has no name`);
    const cases = suite.testcase ?? [];
    const count = (kind: 'failure' | 'error' | 'skipped'): number =>
      cases.filter((c) => (c[kind]?.length ?? 0) > 0).length;
    expectCount(where, 'tests', suite.tests, cases.length);
    expectCount(where, 'failures', suite.failures, count('failure'));
    expectCount(where, 'errors', suite.errors, count('error'));
    if (suite.skipped !== undefined) expectCount(where, 'skipped', suite.skipped, count('skipped'));
    expectTime(where, suite.time);
    total += cases.length;
    totalFailures += count('failure');
    report.suites.push({
      name: suite.name,
      cases: cases.map((c, at) => testCase(`${where}, testcase ${at + 1}`, c)),
    });
  }
  if (isSuites(xml)) {
    const top = root as TestSuites;
    if (top.tests !== undefined) expectCount('testsuites', 'tests', top.tests, total);
    if (top.failures !== undefined)
      expectCount('testsuites', 'failures', top.failures, totalFailures);
    expectTime('testsuites', top.time);
  }
  return report;
}

export interface JunitReport {
  suites: Array<{ name: string; cases: JunitCase[] }>;
}

export interface JunitCase {
  classname: string;
  name: string;
  failure?: { message: string; type: string | undefined; text: string };
  error?: { message: string; type: string | undefined; text: string };
  skipped?: string;
}

function isSuites(xml: string): boolean {
  return /^(?:<\?xml[^>]*\?>\s*)?<testsuites[\s>]/.test(xml.trimStart());
}

function expectCount(where: string, name: string, given: number | undefined, actual: number): void {
  if (given === undefined) throw new Error(`${where} has no ${name} count`);
  if (!Number.isInteger(given) || given !== actual)
    throw new Error(`${where} says ${name}="${String(given)}" but holds ${actual}`);
}

function expectTime(where: string, time: number | undefined): void {
  if (time !== undefined && !(Number.isFinite(time) && time >= 0))
    throw new Error(`${where} has time="${String(time)}", not a number of seconds`);
}

function testCase(where: string, raw: TestCase): JunitCase {
  if (!raw.name) throw new Error(`${where} has no name`);
  if (!raw.classname) throw new Error(`${where} (${raw.name}) has no classname`);
  expectTime(where, raw.time);
  const out: JunitCase = { classname: raw.classname, name: raw.name };
  for (const kind of ['failure', 'error'] as const) {
    const details = raw[kind];
    if (!details?.length) continue;
    if (details.length > 1) throw new Error(`${where} has ${details.length} <${kind}> elements`);
    const [first] = details;
    if (!first?.message) throw new Error(`${where} has a <${kind}> without a message`);
    out[kind] = { message: first.message, type: first.type, text: first.inner ?? '' };
  }
  if (raw.skipped?.length) out.skipped = raw.skipped[0]?.message ?? '';
  return out;
}
