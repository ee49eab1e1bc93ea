import { beforeAll, describe, expect, it } from 'vitest';
import {
  matchAlert,
  matcherHolds,
  matcherProblem,
  parseMatcher,
  MatcherSyntaxError,
} from './alert-matchers.js';
import { loadRegex, type Regex } from './regex.js';

let regex: Regex;
beforeAll(async () => {
  regex = await loadRegex();
});

describe('parseMatcher: the grammar of Alertmanager’s matchers (its docs and parser tests)', () => {
  it.each([
    ['alertname = Watchdog', 'alertname', '=', 'Watchdog'],
    ['severity =~ "warning|critical"', 'severity', '=~', 'warning|critical'],
    ['alertname !~ "InfoInhibitor|Watchdog"', 'alertname', '!~', 'InfoInhibitor|Watchdog'],
    ['foo = bar', 'foo', '=', 'bar'],
    ['dings != bums', 'dings', '!=', 'bums'],
    ['foo="bar"', 'foo', '=', 'bar'],
    ['  foo="bar"  ', 'foo', '=', 'bar'],
    ['foo=', 'foo', '=', ''],
    ['foo=""', 'foo', '=', ''],
    ['foo="quoted \\"value\\""', 'foo', '=', 'quoted "value"'],
    ['foo="a\\\\b"', 'foo', '=', 'a\\b'],
    ['foo="line\\nbreak"', 'foo', '=', 'line\nbreak'],
    ['foo="\\d+"', 'foo', '=', '\\d+'],
    ['foo=bar baz', 'foo', '=', 'bar baz'],
    ['job:rate5m!="x"', 'job:rate5m', '!=', 'x'],
    ['_under=~".+"', '_under', '=~', '.+'],
  ])('%s', (text, name, op, value) => {
    expect(parseMatcher(text)).toMatchObject({ name, op, value });
  });

  it.each([
    [
      'foo',
      'expected a label matcher: name="value", name!="value", name=~"regex" or name!~"regex"',
    ],
    [
      'foo=="bar"',
      'the value ="bar" holds a double quote that is not escaped: write \\" inside quotes',
    ],
    ['foo="bar', 'the value "bar opens a double quote and never closes it'],
    [
      'foo=bar"',
      'the value bar" holds a double quote that is not escaped: write \\" inside quotes',
    ],
    [
      'foo="a"b"',
      'the value "a"b" holds a double quote that is not escaped: write \\" inside quotes',
    ],
    ['9foo="x"', '"9foo" is not a label name: letters, digits, _ and :, not starting with a digit'],
    [
      'foo-bar="x"',
      '"foo-bar" is not a label name: letters, digits, _ and :, not starting with a digit',
    ],
    [
      '="x"',
      'expected a label matcher: name="value", name!="value", name=~"regex" or name!~"regex"',
    ],
  ])('refuses %s', (text, message) => {
    expect(() => parseMatcher(text)).toThrow(new MatcherSyntaxError(message));
  });

  it('a regex is checked as RE2, as written', () => {
    expect(matcherProblem('pod=~"(unclosed"', regex)).toBe(
      'the regex "(unclosed" is not an RE2 regular expression: error parsing regexp: missing closing ): `(unclosed`',
    );
    expect(matcherProblem('pod=~"(?=x)"', regex)).toMatch(/^the regex "\(\?=x\)" is not an RE2/);
    expect(matcherProblem('pod=~"a|b"', regex)).toBeUndefined();
    // Not a regex: a value that would not be one is only text.
    expect(matcherProblem('pod="(unclosed"', regex)).toBeUndefined();
  });
});

describe('matching labels', () => {
  const labels = { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'cart-7d9f' };
  const holds = (text: string): boolean => matcherHolds(parseMatcher(text), labels, regex);

  it('regexes are anchored at both ends', () => {
    expect(holds('namespace=~"shop|api"')).toBe(true);
    expect(holds('namespace=~"sho"')).toBe(false);
    expect(holds('namespace=~"hop"')).toBe(false);
    expect(holds('namespace=~"s.*"')).toBe(true);
    expect(holds('pod=~"cart-.*"')).toBe(true);
    expect(holds('namespace!~"shop|api"')).toBe(false);
    expect(holds('namespace!~"sho"')).toBe(true);
  });

  it('a missing label is the empty value', () => {
    expect(holds('team=""')).toBe(true);
    expect(holds('team!=""')).toBe(false);
    expect(holds('team=~".*"')).toBe(true);
    expect(holds('team=~".+"')).toBe(false);
    expect(holds('team!="db"')).toBe(true);
    expect(holds('namespace!=""')).toBe(true);
  });

  it('a label named like an Object property is only a label', () => {
    expect(holds('constructor=""')).toBe(true);
    expect(holds('toString=~".+"')).toBe(false);
  });

  it('a list must all match; of lists, the most specific that matches is the score', () => {
    expect(
      matchAlert(['alertname="KubePodCrashLooping"', 'namespace=~"shop|api"'], labels, regex),
    ).toEqual({
      matchers: ['alertname="KubePodCrashLooping"', 'namespace=~"shop|api"'],
      equal: 1,
      total: 2,
    });
    expect(
      matchAlert(['alertname="KubePodCrashLooping"', 'namespace="api"'], labels, regex),
    ).toBeUndefined();
    expect(
      matchAlert(
        [
          ['alertname=~"Kube.*"'],
          ['alertname="KubePodCrashLooping"', 'pod=~"cart-.*"'],
          ['namespace="nope"'],
        ],
        labels,
        regex,
      ),
    ).toEqual({
      matchers: ['alertname="KubePodCrashLooping"', 'pod=~"cart-.*"'],
      equal: 1,
      total: 2,
    });
    // An empty equality is no more specific than a regex.
    expect(matchAlert(['team=""'], labels, regex)).toEqual({
      matchers: ['team=""'],
      equal: 0,
      total: 1,
    });
  });
});
