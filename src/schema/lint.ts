/**
 * The lint rules of `validate --strict` (docs/lint.md): each has an id, which its diagnostics
 * carry (`rule`), and a hint. A runbook switches one off with a reason:
 * `lint: { ignore: { <rule-id>: "why" } }`.
 */
export const LINT_RULES = {
  'resolution-without-verification': {
    summary: 'a runbook with resolution: steps has no verification: steps',
    hint: 'add a verification: step that shows the fix worked (a health check, a query)',
  },
  'http-without-timeout': {
    summary: 'an http.* or curl.* step has neither with.timeout nor a step timeout:',
    hint: 'give with.timeout (or timeout: on the step): say how long a request may hang',
  },
  'literal-secret': {
    summary: 'a value in with:, env: or run: looks like a credential written into the file',
    hint: 'declare a variable with secret: true (read from the environment) and use ${{ vars.NAME }}',
  },
  'unreachable-step': {
    summary: 'a step can never run: its when: is always false',
    hint: 'remove the step, or fix its when:',
  },
  'destructive-without-guard': {
    summary: 'a destructive step has neither a when: condition nor confirm: true',
    hint: 'add a when: condition or confirm: true',
  },
  'severity-outside-scheme': {
    summary: "a severity is not a level of the runbook's severity scheme",
    hint: 'use a level of the scheme, or name another scheme with severity_scheme:',
  },
  'step-id-dash-underscore': {
    summary: 'two step ids differ only by - and _, which expressions cannot tell apart',
    hint: 'rename one of them',
  },
} as const;

export type LintRule = keyof typeof LINT_RULES;

export const LINT_RULE_IDS = Object.keys(LINT_RULES) as LintRule[];

/** Token shapes that are credentials whatever surrounds them. */
const SECRET_PATTERNS: Array<[RegExp, string]> = [
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/, 'a GitHub token'],
  [/\bgithub_pat_[A-Za-z0-9_]{30,}/, 'a GitHub token'],
  [/\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}/, 'an API secret key (sk-…)'],
  [/\b[rs]k_live_[A-Za-z0-9]{20,}/, 'a Stripe live key'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----/, 'a private key'],
  [
    /\bhooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]{20,}/,
    'a Slack webhook URL',
  ],
];

/** A long word of mixed letters and digits with the entropy of random data: above 4.2 bits a
 * character, which hex (at most 4) and words never reach. */
const CANDIDATE = /[A-Za-z0-9+/_=-]{32,}/g;

function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** What secret a literal text looks like, or undefined. `${{ }}` parts are not literal. */
export function secretLike(text: string): string | undefined {
  return findSecret(text)?.what;
}

/** The secret-looking literal in a text, and what it looks like; undefined when none. */
export function findSecret(text: string): { what: string; found: string } | undefined {
  const literal = text.replace(/\$\{\{[\s\S]*?\}\}/g, ' ');
  for (const [pattern, what] of SECRET_PATTERNS) {
    const match = pattern.exec(literal);
    if (match) return { what, found: match[0] };
  }
  for (const match of literal.matchAll(CANDIDATE)) {
    const word = match[0];
    if (!/[0-9]/.test(word) || !/[a-z]/.test(word) || !/[A-Z]/.test(word)) continue;
    if (word.includes('/') && !/[+=]/.test(word)) continue; // a path
    if (entropy(word) > 4.2)
      return { what: 'a random-looking literal (high entropy)', found: word };
  }
  return undefined;
}

/** A found secret as a diagnostic shows it: its first four characters, the rest hidden, so that
 * `validate` does not print a credential into a CI log (docs/lint.md). */
export function maskSecret(line: string, found: string): string {
  return line.split(found).join(`${found.slice(0, 4)}…`);
}
