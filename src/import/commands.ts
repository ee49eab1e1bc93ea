/**
 * A fenced block's command lines (docs/import.md#commands): shell prompts and output in
 * transcripts, comments, line continuations, open quotes and heredocs, `cd` before later
 * commands, scripts. It reads lines only; what each command becomes is decided in classify.ts.
 */

export type FenceKind = 'shell' | 'transcript' | 'script' | 'sql' | 'text';

/** What a fence holds, unit by unit, each with its first line in the Markdown file. */
export type Unit =
  | {
      kind: 'command';
      text: string;
      line: number;
      /** Lines of the Markdown file this command was written on (continuations included). */
      lines: number[];
      /** The comment just above it, if any: it names the step. */
      comment?: string;
    }
  | { kind: 'note'; text: string; line: number }
  | { kind: 'sql'; text: string; line: number; lines: number[]; comment?: string };

const SHELL_LANGS = new Set(['', 'sh', 'bash', 'shell', 'zsh', 'ksh', 'dash', 'fish']);
const TRANSCRIPT_LANGS = new Set([
  'console',
  'shell-session',
  'sh-session',
  'terminal',
  'shellsession',
]);
const SQL_LANGS = new Set(['sql', 'psql', 'pgsql', 'postgresql', 'postgres', 'plpgsql']);

/** Programs whose name at the start of a line in a fence without a language makes it shell. */
const KNOWN_PROGRAMS = new Set(
  (
    'curl wget pm2 docker docker-compose kubectl systemctl journalctl service sudo psql pg_dump pg_restore ' +
    'git npm npx yarn pnpm node wrangler vercel ls cat grep tail head df du free top htop ps kill pkill ' +
    'rm cp mv mkdir chmod chown find tar ssh scp rsync nginx redis-cli mysql mongo aws gcloud az helm ' +
    'terraform ansible netstat ss nslookup dig ping traceroute uptime echo export cd watch jq sed awk ' +
    'openssl crontab supervisorctl ufw iptables lsof vmstat iostat dmesg nano vim vi less'
  ).split(' '),
);

export function fenceKind(lang: string | null | undefined, body: string): FenceKind {
  const language = (lang ?? '').trim().toLowerCase().split(/[\s{]/)[0] ?? '';
  if (SQL_LANGS.has(language)) return 'sql';
  if (TRANSCRIPT_LANGS.has(language)) return 'transcript';
  if (!SHELL_LANGS.has(language)) return 'text';
  const lines = body.split('\n');
  if (/^#!\s*\/\S*(?:sh|bash|zsh)\b/.test(lines[0] ?? '')) return 'script';
  if (lines.some((line) => /^\$ \S/.test(line))) return 'transcript';
  if (language !== '') return 'shell';
  // No language: shell only when a line starts with a program people run.
  return lines.some((line) => KNOWN_PROGRAMS.has(firstWord(line))) ? 'shell' : 'text';
}

function firstWord(line: string): string {
  const word = /^\s*(?:sudo\s+)?([A-Za-z0-9_./-]+)/.exec(line)?.[1] ?? '';
  return word.startsWith('./') ? 'echo' : word;
}

/**
 * The units of a fence whose body starts on Markdown line `firstLine` (the line after the fence).
 */
export function unitsOf(kind: FenceKind, body: string, firstLine: number): Unit[] {
  const lines = body.split('\n');
  if (kind === 'text') return [];
  if (kind === 'script') {
    const used = lines
      .map((_, at) => firstLine + at)
      .filter((_, at) => (lines[at] ?? '').trim() !== '');
    return [{ kind: 'command', text: body.replace(/\n+$/, ''), line: firstLine, lines: used }];
  }
  if (kind === 'sql') return sqlUnits(lines, firstLine);
  return kind === 'transcript' ? transcriptUnits(lines, firstLine) : shellUnits(lines, firstLine);
}

/** A shell fence: comments name the command below them, or are notes of their own. */
function shellUnits(lines: string[], firstLine: number): Unit[] {
  const units: Unit[] = [];
  let comment: { text: string; line: number; named?: boolean } | undefined;
  let cdPrefix: { text: string; line: number; used?: boolean } | undefined;
  const flushComment = (): void => {
    if (comment && !comment.named)
      units.push({ kind: 'note', text: comment.text, line: comment.line });
    comment = undefined;
  };
  let at = 0;
  while (at < lines.length) {
    const raw = lines[at] ?? '';
    const line = firstLine + at;
    const trimmed = raw.trim();
    if (trimmed === '') {
      flushComment();
      at++;
      continue;
    }
    if (comment?.named) {
      // The comment already named a command: it is not a note of its own.
      if (trimmed.startsWith('#')) comment = undefined;
    }
    if (trimmed.startsWith('#')) {
      const text = trimmed.replace(/^#+\s*/, '');
      if (text === '') {
        at++;
        continue;
      }
      // Consecutive comment lines are one comment.
      if (comment && comment.line + countLines(comment.text) === line) comment.text += `\n${text}`;
      else {
        flushComment();
        comment = { text, line };
      }
      at++;
      continue;
    }
    const { text, used } = readCommand(lines, at);
    const commandLines = Array.from({ length: used }, (_, n) => line + n);
    at += used;
    const cd = /^cd\s+(\S+)\s*$/.exec(text);
    if (cd) {
      // A cd that no command below it uses is a step of its own (so its line is accounted for).
      if (cdPrefix && !cdPrefix.used)
        units.push({
          kind: 'command',
          text: cdPrefix.text,
          line: cdPrefix.line,
          lines: [cdPrefix.line],
        });
      cdPrefix = { text, line };
      continue;
    }
    const full = cdPrefix ? `${cdPrefix.text} && ${text}` : text;
    if (cdPrefix) cdPrefix.used = true;
    const unit: Unit = {
      kind: 'command',
      text: full,
      line,
      lines: cdPrefix ? [...commandLines, cdPrefix.line] : commandLines,
    };
    // A comment names every command below it, up to a blank line or the next comment.
    if (comment) {
      unit.comment = comment.text;
      comment.named = true;
    }
    units.push(unit);
  }
  flushComment();
  if (cdPrefix && !cdPrefix.used)
    units.push({
      kind: 'command',
      text: cdPrefix.text,
      line: cdPrefix.line,
      lines: [cdPrefix.line],
    });
  return attachPsqlSessions(units);
}

/** A transcript: `$ ` (and, in a console block, `# ` as root's prompt) starts a command; `> `
 * continues one; every other line is the output of the command above it. */
function transcriptUnits(lines: string[], firstLine: number): Unit[] {
  const units: Unit[] = [];
  let at = 0;
  while (at < lines.length) {
    const raw = lines[at] ?? '';
    const prompt = /^(?:\S*[$#]|\$|#) (?=\S)/.exec(raw);
    if (!prompt || (raw.startsWith('# ') && /^#\s+[A-Z][a-z]+(?:\s+[a-z]+)*\s*$/.test(raw))) {
      at++;
      continue;
    }
    const rest = [
      raw.slice(prompt[0].length),
      ...lines.slice(at + 1).map((l) => l.replace(/^> /, '')),
    ];
    const { text, used } = readCommand(rest, 0);
    units.push({
      kind: 'command',
      text,
      line: firstLine + at,
      lines: Array.from({ length: used }, (_, n) => firstLine + at + n),
    });
    at += used;
  }
  return units;
}

/** SQL: one unit a statement (ended by `;` at a line's end, or by a blank line). */
function sqlUnits(lines: string[], firstLine: number): Unit[] {
  const units: Unit[] = [];
  let comment: string | undefined;
  let current: { text: string[]; lines: number[] } | undefined;
  const flush = (): void => {
    if (!current) return;
    const unit: Unit = {
      kind: 'sql',
      text: current.text.join('\n').trim(),
      line: current.lines[0] ?? firstLine,
      lines: current.lines,
    };
    if (comment) unit.comment = comment;
    units.push(unit);
    comment = undefined;
    current = undefined;
  };
  lines.forEach((raw, at) => {
    const trimmed = raw.trim();
    if (current === undefined && trimmed.startsWith('--')) {
      comment = trimmed.replace(/^--+\s*/, '');
      return;
    }
    if (trimmed === '') {
      flush();
      return;
    }
    current ??= { text: [], lines: [] };
    current.text.push(raw);
    current.lines.push(firstLine + at);
    if (/;\s*(?:--.*)?$/.test(trimmed)) flush();
  });
  flush();
  return units;
}

/**
 * `psql $DATABASE_URL` on a line of its own, followed by SQL statements, is a session: the
 * statements become SQL units on that connection, and the bare psql line is part of them.
 */
function attachPsqlSessions(units: Unit[]): Unit[] {
  const out: Unit[] = [];
  let session: { url: string; line: number } | undefined;
  for (const unit of units) {
    if (unit.kind === 'command') {
      const bare = /^(?:sudo\s+(?:-u\s+\S+\s+)?)?psql(?:\s+(\S+))?\s*$/.exec(unit.text);
      if (bare) {
        session = { url: bare[1] ?? '', line: unit.line };
        out.push(unit);
        continue;
      }
      if (
        session &&
        /^(?:SELECT|WITH|UPDATE|INSERT|DELETE|ALTER|SHOW|EXPLAIN|VACUUM|ANALYZE|CREATE|DROP|TRUNCATE|GRANT|REVOKE|SET)\b/.test(
          unit.text,
        )
      ) {
        const sql: Unit = { kind: 'sql', text: unit.text, line: unit.line, lines: unit.lines };
        if (unit.comment) sql.comment = unit.comment;
        // The bare psql line is taken by the session's first statement.
        const last = out.at(-1);
        if (last?.kind === 'command' && last.line === session.line) {
          out.pop();
          sql.lines = [session.line, ...sql.lines];
          if (last.comment && !sql.comment) sql.comment = last.comment;
        }
        (sql as { url?: string }).url = session.url;
        out.push(sql);
        continue;
      }
    }
    session = undefined;
    out.push(unit);
  }
  return out;
}

/** The URL of the psql session a SQL unit came from, if any. */
export function sessionUrl(unit: Unit): string | undefined {
  return (unit as { url?: string }).url;
}

function countLines(text: string): number {
  return text.split('\n').length;
}

/**
 * One command from `lines[at]`: joined while a line ends in `\`, `|`, `&&` or `||`, while a quote
 * is open, and through a heredoc's body to its delimiter. Gives the command's text (as written,
 * line breaks kept) and how many lines it took.
 */
export function readCommand(lines: string[], at: number): { text: string; used: number } {
  const taken: string[] = [];
  let quote: '"' | "'" | undefined;
  const heredocs: Array<{ word: string; strip: boolean }> = [];
  let index = at;
  while (index < lines.length) {
    const line = lines[index] ?? '';
    taken.push(line);
    index++;
    // Scan the line for quotes and heredoc starts.
    for (let i = 0; i < line.length; i++) {
      const char = line[i];
      if (quote === "'") {
        if (char === "'") quote = undefined;
        continue;
      }
      if (char === '\\') {
        i++;
        continue;
      }
      if (quote === '"') {
        if (char === '"') quote = undefined;
        continue;
      }
      if (char === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) break;
      if (char === "'" || char === '"') quote = char;
      else if (char === '<' && line[i + 1] === '<' && line[i + 2] !== '<') {
        const heredoc = /^<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/.exec(line.slice(i));
        if (heredoc) {
          heredocs.push({ word: heredoc[3] ?? '', strip: heredoc[1] === '-' });
          i += heredoc[0].length - 1;
        }
      }
    }
    // A heredoc's body runs to its delimiter line.
    while (heredocs.length > 0 && index < lines.length) {
      const body = lines[index] ?? '';
      taken.push(body);
      index++;
      const doc = heredocs[0];
      if (doc && (doc.strip ? body.replace(/^\t+/, '') : body) === doc.word) heredocs.shift();
    }
    if (quote !== undefined) continue;
    const code = stripComment(line).trimEnd();
    if (/(?:\\|\||&&|\|\|)$/.test(code) && !/\\\\$/.test(code)) continue;
    break;
  }
  return { text: taken.join('\n').replace(/\s+$/, ''), used: index - at };
}

/** A line without its trailing `# comment` (outside quotes). */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"') i++;
      continue;
    }
    if (char === '\\') i++;
    else if (char === "'" || char === '"') quote = char;
    else if (char === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) return line.slice(0, i);
  }
  return line;
}
