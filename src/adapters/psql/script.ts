import { formatArgv } from '../../common/quote.js';

// The SQL of psql.query and psql.select reaches psql as a script on stdin, not as -c: psql
// interpolates its variables only in scripts. A step's `params:` become psql variables read from
// the environment with `\getenv` (psql 15+), so a value never reaches argv, and the SQL refers to
// them as :'name' (psql quotes the value as a literal) or :"name" (as an identifier): a value is
// always data, whatever it holds.

const QUERY_KEYWORDS = ['select', 'with', 'values', 'table'];
const TEXT_ROW_KEYWORDS = ['show', 'explain'];
const DML_KEYWORDS = ['insert', 'update', 'delete'];

/** The statements psql.select takes. */
export const SELECT_KEYWORDS = [...QUERY_KEYWORDS, ...TEXT_ROW_KEYWORDS];

/** A param's name: a psql variable that is not one of psql's own settings (those are upper-case). */
export const PARAM_NAME = /^[a-z_][a-z0-9_]*$/;

/** The environment variable that carries a param's value to psql. */
export function paramEnvName(name: string): string {
  return `RUNBOOK_PARAM_${name}`;
}

/** A reference to a psql variable in SQL: `:name` (pasted as is), `:'name'` or `:"name"`. */
export interface VariableReference {
  name: string;
  form: 'bare' | 'literal' | 'identifier';
}

/** What `inspectSql` tells about a piece of SQL, without parsing it for real. */
export interface SqlShape {
  /** The first keyword, lower-cased; '' when the SQL starts with something else. */
  keyword: string;
  /** Non-empty statements separated by top-level semicolons. */
  statements: number;
  /** Each statement, from its first token to its last. */
  statementTexts: string[];
  /** Whether a RETURNING keyword appears outside strings, identifiers and comments. */
  returning: boolean;
  /** The SQL up to the end of its last token: no final semicolon, whitespace or comment. */
  body: string;
  /** psql variable references outside strings, identifiers and comments. */
  variables: VariableReference[];
  /** The first psql meta-command (`\copy`, `\!`) outside strings and comments, if any. */
  metaCommand: string | undefined;
}

// psql's own lexer: a variable name is letters, digits, _ and bytes of multibyte characters.
const VARIABLE =
  /^:(?:'([A-Za-z0-9_\u0080-\uffff]+)'|"([A-Za-z0-9_\u0080-\uffff]+)"|([A-Za-z0-9_\u0080-\uffff]+))/;

/**
 * Tokenizes SQL just enough to find its first keyword, its statements, a RETURNING clause, psql
 * variable references and meta-commands: comments (nested block comments too), '…' and E'…'
 * strings, "…" identifiers and $tag$…$tag$ bodies are skipped whole, so a `;`, keyword, `:name`
 * or backslash inside them does not count (psql does not interpolate there either).
 */
export function inspectSql(sql: string): SqlShape {
  let keyword = '';
  const statementTexts: string[] = [];
  let returning = false;
  const variables: VariableReference[] = [];
  let metaCommand: string | undefined;
  let statementStart = -1;
  let end = 0;
  let i = 0;
  // The keyword may follow opening parentheses: `(select 1) union (select 2)`.
  let beforeKeyword = true;
  const closeStatement = (): void => {
    if (statementStart >= 0) statementTexts.push(sql.slice(statementStart, end));
    statementStart = -1;
  };
  const token = (kind: 'word' | 'other', start: number, stop: number): void => {
    const text = sql.slice(start, stop);
    if (statementStart < 0) statementStart = start;
    if (statementTexts.length === 0 && beforeKeyword) {
      if (kind === 'word') keyword = text.toLowerCase();
      beforeKeyword = text === '(';
    }
    if (kind === 'word' && text.toLowerCase() === 'returning') returning = true;
    end = stop;
  };
  while (i < sql.length) {
    const c = sql[i] ?? '';
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const newline = sql.indexOf('\n', i);
      i = newline < 0 ? sql.length : newline + 1;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < sql.length && depth > 0) {
        const pair = sql.slice(i, i + 2);
        depth += pair === '/*' ? 1 : pair === '*/' ? -1 : 0;
        i += pair === '/*' || pair === '*/' ? 2 : 1;
      }
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === ';') {
      closeStatement();
      i++;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const start = i;
      while (i < sql.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i] ?? '')) i++;
      // E'…' strings take backslash escapes.
      if (sql[i] === "'" && i - start === 1 && /[eE]/.test(c)) {
        i = skipQuoted(sql, i, "'", true);
      }
      token('word', start, i);
    } else if (c === "'" || c === '"') {
      const start = i;
      i = skipQuoted(sql, i, c, false);
      token('other', start, i);
    } else if (c === '$') {
      const start = i;
      const tag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(
        sql.slice(i),
      )?.[0];
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        i = close < 0 ? sql.length : close + tag.length;
      } else i++;
      token('other', start, i);
    } else if (c === ':') {
      const start = i;
      const variable = next === ':' ? undefined : VARIABLE.exec(sql.slice(i));
      if (variable) {
        const [whole, literal, identifier, bare] = variable;
        if (literal !== undefined) variables.push({ name: literal, form: 'literal' });
        else if (identifier !== undefined) variables.push({ name: identifier, form: 'identifier' });
        else if (bare !== undefined) variables.push({ name: bare, form: 'bare' });
        i += whole.length;
      } else i += next === ':' ? 2 : 1; // `::` is a cast
      token('other', start, i);
    } else if (c === '\\') {
      metaCommand ??= /^\\[^\s\\;]*/.exec(sql.slice(i))?.[0] ?? '\\';
      token('other', i, i + 1);
      i++;
    } else {
      token('other', i, i + 1);
      i++;
    }
  }
  closeStatement();
  return {
    keyword,
    statements: statementTexts.length,
    statementTexts,
    returning,
    body: sql.slice(0, end),
    variables,
    metaCommand,
  };
}

/** The index just past a quoted run that starts at `start`; a doubled quote is a quote. */
function skipQuoted(sql: string, start: number, quote: string, backslashes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashes && c === '\\') i += 2;
    else if (c === quote && sql[i + 1] === quote) i += 2;
    else if (c === quote) return i + 1;
    else i++;
  }
  return sql.length;
}

/**
 * What is wrong with a piece of SQL and its params' names, in words (none: an empty list). The SQL
 * is psql's script: a meta-command would run as psql's own command, and `:name` would paste a
 * param's value into the SQL as code.
 */
export function sqlParamProblems(shape: SqlShape, params: readonly string[]): string[] {
  const problems: string[] = [];
  if (shape.metaCommand !== undefined)
    problems.push(
      `psql meta-command ${shape.metaCommand} outside a string: sql: takes SQL only (a run: step can call psql itself)`,
    );
  const seen = new Set<string>();
  for (const { name, form } of shape.variables) {
    const key = `${form}:${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (form === 'bare' && params.includes(name))
      problems.push(
        `:${name} would paste the value of params.${name} into the SQL as code: write :'${name}' (a literal) or :"${name}" (an identifier)`,
      );
    else if (form !== 'bare' && !params.includes(name)) {
      const reference = form === 'literal' ? `:'${name}'` : `:"${name}"`;
      problems.push(`${reference} refers to params.${name}, which is not given`);
    }
  }
  return problems;
}

/** How a statement is run and read; see the note at the top of psql.ts. */
export type SqlMode = 'rows' | 'returning' | 'text-rows' | 'command';

export function sqlMode(shape: SqlShape): SqlMode {
  if (shape.statements !== 1) return 'command';
  if (QUERY_KEYWORDS.includes(shape.keyword)) return 'rows';
  if (TEXT_ROW_KEYWORDS.includes(shape.keyword)) return 'text-rows';
  if (DML_KEYWORDS.includes(shape.keyword) && shape.returning) return 'returning';
  return 'command';
}

/**
 * The SQL actually sent for a user's statement in each mode, without its final semicolon.
 * Several statements are joined with psql's `\;`, so that they go to the server as one request and
 * run in one transaction unless they say otherwise, as `psql -c` would send them.
 */
export function wrapSql(shape: SqlShape, mode: SqlMode): string {
  switch (mode) {
    case 'rows':
      return `select coalesce(json_agg(t), '[]') from (\n${shape.body}\n) t`;
    case 'returning':
      return `with t as (\n${shape.body}\n) select coalesce(json_agg(t), '[]') from t`;
    case 'text-rows':
      return shape.body;
    case 'command':
      return shape.statementTexts.join(' \\;\n');
    default:
      return mode satisfies never;
  }
}

/** The script psql reads from stdin for a user's SQL, and the environment its params need. */
export interface SqlScript {
  mode: SqlMode;
  script: string;
  env: Record<string, string>;
}

/**
 * The script for `sql` with its `params`: each param read into a psql variable of its name from
 * its own environment variable, then the statement (in a READ ONLY transaction when `readOnly`).
 */
export function sqlScript(
  sql: string,
  params: Readonly<Record<string, string>>,
  readOnly: boolean,
): SqlScript {
  const shape = inspectSql(sql);
  const mode = sqlMode(shape);
  const env: Record<string, string> = {};
  const lines: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    env[paramEnvName(name)] = value;
    lines.push(`\\getenv ${name} ${paramEnvName(name)}`);
  }
  // psql.select only takes queries, whose quiet modes print nothing for BEGIN and ROLLBACK.
  if (readOnly) lines.push('BEGIN TRANSACTION READ ONLY;');
  lines.push(`${wrapSql(shape, mode)};`);
  if (readOnly) lines.push('ROLLBACK;');
  return { mode, script: `${lines.join('\n')}\n`, env };
}

/**
 * A script run as people would type it: the command with the script as a here-document, then the
 * params. Their values are shown as they are, not escaped, so that the engine's redaction finds a
 * secret among them.
 */
export function describeScript(
  argv: readonly string[],
  script: string,
  params: Readonly<Record<string, string>>,
): string {
  let delimiter = 'SQL';
  for (let n = 1; script.split('\n').includes(delimiter); n++) delimiter = `SQL_${n}`;
  const lines = [`${formatArgv(argv)} <<'${delimiter}'`, `${script}${delimiter}`];
  const shown = Object.entries(params).map(([name, value]) => `${name}='${value}'`);
  if (shown.length > 0) lines.push(`# params: ${shown.join(' ')}`);
  return lines.join('\n');
}
