/**
 * Placeholders in commands become declared variables (docs/import.md#placeholders): `<service-name>`,
 * `YOUR_TOKEN`, `{{x}}`, `table_name_here`, `[deployment-url]` and `[staging|production]` are
 * replaced by `${{ vars.name }}`; `$ENV_VAR` stays the shell's, and the step's `env:` passes the
 * variable in, so the command keeps its meaning. A literal that looks like a credential becomes a
 * secret variable.
 */

import { findSecret, maskSecret } from '../schema/lint.js';

export interface VarDraft {
  name: string;
  /** Where it came from, for the description. */
  written: string;
  env?: string;
  secret?: boolean;
  choices?: string[];
  line: number;
}

const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE|CREDENTIAL|DATABASE_URL|DSN/i;
/** The shell's own and the ones every machine has: never placeholders. */
const SHELL_VARS = new Set(
  'HOME PATH USER PWD SHELL HOSTNAME TERM LANG TMPDIR RANDOM SECONDS LINENO IFS OLDPWD UID EUID PPID BASHPID'.split(
    ' ',
  ),
);

export function varName(written: string): string {
  const name = written
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/^(\d)/, '_$1');
  return name === '' ? 'value' : name;
}

/** What a placeholder pattern finds: the text, and the variable it stands for. */
interface Found {
  at: number;
  text: string;
  draft: Omit<VarDraft, 'line'>;
}

const PATTERNS: Array<{
  re: RegExp;
  draft: (match: RegExpExecArray) => Omit<VarDraft, 'line'> | undefined;
}> = [
  {
    // <service-name>, <previous-stable-commit>: not a redirection (`< file`) nor a heredoc.
    re: /(?<![<\w])<([A-Za-z][A-Za-z0-9_ -]{0,40}[A-Za-z0-9])>/g,
    draft: (m) => ({ name: varName((m[1] ?? '').toLowerCase()), written: m[0] }),
  },
  {
    re: /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g,
    draft: (m) => ({ name: varName(m[1] ?? ''), written: m[0] }),
  },
  {
    re: /\bYOUR_([A-Z0-9_]+)\b/g,
    draft: (m) => ({
      name: varName((m[1] ?? '').toLowerCase()),
      written: m[0],
      ...(SECRET_NAME.test(m[1] ?? '') ? { secret: true } : {}),
    }),
  },
  {
    re: /\b([a-z][a-z0-9_]*?)_here\b/g,
    draft: (m) => ({ name: varName(m[1] ?? ''), written: m[0] }),
  },
  {
    // [deployment-url], [staging|production]; not a character class ([a-z], [0-9]) nor a test.
    // A word before the first hyphen, so that a range of letters ([a-z]) is no placeholder.
    re: /\[([a-z][a-z0-9]+(?:[-_][a-z0-9]+)+|[a-z]{2,}(?:\|[a-z]{2,})+)\]/g,
    draft: (m) => {
      const inner = m[1] ?? '';
      if (inner.includes('|')) {
        const choices = inner.split('|');
        return {
          name: choices.includes('production') ? 'environment' : 'choice',
          written: m[0],
          choices,
        };
      }
      return { name: varName(inner), written: m[0] };
    },
  },
];

/**
 * Replaces the placeholders of a command. `assigned` are names the block sets itself (not
 * placeholders). Gives the new text, the variables, and the environment the step passes.
 */
export function replacePlaceholders(
  text: string,
  line: number,
  assigned: ReadonlySet<string>,
): { text: string; vars: VarDraft[]; env: Record<string, string>; secrets: string[] } {
  const found: Found[] = [];
  for (const { re, draft } of PATTERNS) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const d = draft(m);
      if (d) found.push({ at: m.index, text: m[0], draft: d });
    }
  }
  found.sort((a, b) => a.at - b.at);
  let out = '';
  let last = 0;
  const vars: VarDraft[] = [];
  for (const f of found) {
    if (f.at < last) continue;
    out += text.slice(last, f.at) + `\${{ vars.${f.draft.name} }}`;
    last = f.at + f.text.length;
    vars.push({ ...f.draft, line });
  }
  out += text.slice(last);
  // A credential written into the Markdown becomes a secret variable (docs/lint.md#literal-secret):
  // never written into the runbook, nor shown in the summary but masked.
  const secrets: string[] = [];
  for (let found = findSecret(out); found && secrets.length < 10; found = findSecret(out)) {
    const name = `secret_${line}${secrets.length > 0 ? `_${secrets.length + 1}` : ''}`;
    out = out.split(found.found).join(`\${{ vars.${name} }}`);
    secrets.push(found.found);
    vars.push({
      name,
      written: `${found.what} (${maskSecret(found.found, found.found)})`,
      line,
      secret: true,
    });
  }
  const env: Record<string, string> = {};
  const envRe = /\$(?:\{([A-Z][A-Z0-9_]*)\}|([A-Z][A-Z0-9_]*))/g;
  for (let m = envRe.exec(out); m; m = envRe.exec(out)) {
    const name = m[1] ?? m[2] ?? '';
    if (SHELL_VARS.has(name) || assigned.has(name) || name.startsWith('RUNBOOK_')) continue;
    env[name] = `\${{ vars.${name} }}`;
    if (!vars.some((v) => v.name === name))
      vars.push({
        name,
        written: `$${name}`,
        env: name,
        line,
        ...(SECRET_NAME.test(name) ? { secret: true } : {}),
      });
  }
  return { text: out, vars, env, secrets };
}

/** Names a block of shell assigns (`NAME=…`, `export NAME=…`, `read NAME`, `for NAME in`). */
export function assignedNames(body: string): Set<string> {
  const names = new Set<string>();
  for (const m of body.matchAll(
    /(?:^|[\s;&|(])(?:export\s+|local\s+|readonly\s+)?([A-Za-z_][A-Za-z0-9_]*)=/g,
  ))
    names.add(m[1] ?? '');
  for (const m of body.matchAll(/\b(?:for|read)\s+(?:-\w+\s+)*([A-Za-z_][A-Za-z0-9_]*)/g))
    names.add(m[1] ?? '');
  return names;
}
