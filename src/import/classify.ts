/**
 * What one command becomes (docs/import.md#commands): an adapter action where the action's inputs
 * say all the command says, else a `run:` step; a manual step for what a runbook cannot run (an
 * editor, a pager, a stream that never ends, a shell on another host, a chat command). Also its
 * effect: read, write, or destructive (guarded with `confirm: true`).
 */

export type Effect = 'read' | 'write' | 'destructive';

export interface Action {
  uses?: string;
  with?: Record<string, unknown>;
  run?: string;
  manual?: string;
  effect?: Effect;
  /** Why a person must do it, when it became a manual step. */
  person?: string;
  /** What the importer guessed, written as comments beside the step. */
  guesses: string[];
}

/** The words of a simple command (quotes removed), or undefined when it has operators,
 * substitutions, redirections or more than one line. `${{ … }}` is one word's part. */
export function simpleWords(text: string): string[] | undefined {
  if (text.includes('\n')) return undefined;
  const words: string[] = [];
  let word = '';
  let has = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    if (text.startsWith('${{', i)) {
      const end = text.indexOf('}}', i);
      if (end < 0) return undefined;
      word += text.slice(i, end + 2);
      has = true;
      i = end + 1;
      continue;
    }
    if (char === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word += text.slice(i + 1, end);
      has = true;
      i = end;
      continue;
    }
    if (char === '"') {
      let j = i + 1;
      let inner = '';
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        else if (text[j] === '`' || (text[j] === '$' && text[j + 1] === '(')) return undefined;
        inner += text[j];
      }
      if (j >= text.length) return undefined;
      word += inner;
      has = true;
      i = j;
      continue;
    }
    if (char === '\\') {
      word += text[i + 1] ?? '';
      has = true;
      i++;
      continue;
    }
    if (/\s/.test(char)) {
      if (has) words.push(word);
      word = '';
      has = false;
      continue;
    }
    if ('|&;<>`()'.includes(char) || (char === '$' && text[i + 1] === '(')) return undefined;
    if (char === '#' && !has) break;
    word += char;
    has = true;
  }
  if (has) words.push(word);
  return words;
}

/** `$NAME` in a word given to an action becomes the variable of the same name. */
function value(word: string): string {
  return word.replace(/\$\{?([A-Z][A-Z0-9_]*)\}?/g, (_, name: string) => `\${{ vars.${name} }}`);
}

const INTERACTIVE: Array<[RegExp, string]> = [
  [
    /^(?:sudo\s+)?(?:nano|vim?|emacs|less|more|htop|ncdu|mc)\b/,
    'it is interactive (an editor, a pager or a screen)',
  ],
  [/^top\b(?!.*\s-b)/, 'it is interactive (top without -b)'],
  [
    /^(?:sudo\s+)?(?:tail|journalctl)\b.*\s-[A-Za-z]*f\b|\s--follow\b/,
    'it follows the log and never ends',
  ],
  [/^(?:sudo\s+)?docker\s+logs\b.*\s(?:-f|--follow)\b/, 'it follows the log and never ends'],
  [/^watch\b/, 'it repeats forever (watch)'],
  [/^(?:npx\s+)?wrangler\s+tail\b(?!.*\|\s*head\b)/, 'it streams the logs and never ends'],
  [/^(?:vercel\s+logs\b.*--follow)/, 'it follows the log and never ends'],
  [/^ssh\s+(?:-\S+\s+)*[^\s-]\S*\s*$/, 'it opens a shell on another host'],
  [/^(?:sudo\s+)?(?:-u\s+\S+\s+)?psql(?:\s+\S+)?\s*$/, 'it opens an interactive psql session'],
  [/^docker\s+(?:run|exec)\b.*\s-(?:it|ti)\b/, 'it needs a terminal (docker -it)'],
  [/^!/, 'it is a chat command, not a shell command'],
  [/^[A-Za-z_][\w.]*\(.*\)\s*;?$/, 'it is a function call in another tool, not a shell command'],
  [/^[A-Z][A-Z0-9_]*=\S*$/, 'it is a setting to change (an environment variable), not a command'],
];

const READ_COMMANDS = new Set(
  (
    'curl ls cat grep egrep zgrep df du free ps uptime whoami id hostname date nslookup dig host ping ' +
    'traceroute netstat ss lsof head tail wc jq sort uniq awk sed cut tr echo printf test stat file ' +
    'vmstat iostat dmesg env printenv which type ip ifconfig openssl nc telnet cd pwd'
  ).split(' '),
);

const DESTRUCTIVE = [
  /(?:^|[\s;&|(])(?:sudo\s+)?(?:rm|rmdir|shred|kill|pkill|killall|truncate)\b/,
  /\b(?:DROP|DELETE\s+FROM|TRUNCATE)\b/i,
  /\bpg_terminate_backend\b|\bterminate\b/i,
  /\b(?:restart|rollback|prune|delete|destroy|purge|wipe)\b/,
  /\bdocker\s+(?:volume\s+rm|rm|rmi|kill)\b/,
  /\bpg_restore\b.*--clean\b/,
  /\bgit\s+push\b.*(?:--force|-f)\b/,
  /\bdocker[- ]compose\b.*\bdown\b/,
  /-delete\b/,
  /\bstop\b/,
];

/** The effect of a `run:` command, by what it runs. */
export function commandEffect(text: string): Effect {
  if (DESTRUCTIVE.some((re) => re.test(text))) return 'destructive';
  const segments = text
    .split(/\|\||&&|\||;|\n/)
    .map((segment) => segment.trim())
    .filter(Boolean);
  const read = segments.every((segment) => {
    const words = segment.replace(/^sudo\s+/, '').split(/\s+/);
    const [program = '', sub = '', third = ''] = words;
    if (program === 'curl')
      return !/\s(?:-X\s*(?!GET)\w+|--request\s+(?!GET)\w+|-d\b|--data)/.test(segment);
    if (program === 'find') return !/-delete|-exec/.test(segment);
    if (program === 'docker')
      return (
        ['ps', 'logs', 'stats', 'inspect', 'images', 'top', 'version', 'info'].includes(sub) ||
        (sub === 'system' && third === 'df')
      );
    if (program === 'pm2')
      return ['status', 'list', 'ls', 'logs', 'describe', 'show', 'jlist'].includes(sub);
    if (program === 'systemctl')
      return ['status', 'is-active', 'is-failed', 'list-units', 'show', 'cat'].includes(sub);
    if (program === 'git') return ['log', 'status', 'diff', 'show', 'branch'].includes(sub);
    if (program === 'journalctl' || program === 'top' || program === 'kubectl')
      return program !== 'kubectl' || ['get', 'describe', 'logs', 'top'].includes(sub);
    if (program === 'npx' || program === 'wrangler') {
      const [tool, verb, what] =
        program === 'npx' ? [sub, third, words[3] ?? ''] : [program, sub, third];
      return (
        tool === 'wrangler' &&
        ((verb === 'versions' && (what === 'list' || what === 'view')) ||
          (verb === 'deployments' && what === 'list') ||
          verb === 'whoami')
      );
    }
    return READ_COMMANDS.has(program);
  });
  return read ? 'read' : 'write';
}

/** Classifies one shell command (placeholders already replaced). */
export function classifyCommand(text: string): Action {
  // Continuation lines joined, and a leading `cd DIR &&` (from the block's cd) set aside.
  const flat = text
    .replace(/\\\n\s*/g, ' ')
    .replace(/^cd\s+\S+\s+&&\s+/, '')
    .trim();
  for (const [re, why] of INTERACTIVE)
    if (re.test(flat) && !flat.includes('\n'))
      return { manual: `Run by hand: \`${text}\` — ${why}.`, person: why, guesses: [] };
  // Lines joined by `\` are one line to the shell, and to an action.
  const words = simpleWords(text.replace(/\\\n\s*/g, ' '));
  const mapped = words ? adapterAction(words) : undefined;
  if (mapped) return mapped;
  return { run: text, effect: commandEffect(text), guesses: [] };
}

/** An adapter action when the command is one whose every word the action's inputs cover. */
function adapterAction(allWords: string[]): Action | undefined {
  const words = allWords[0] === 'sudo' ? allWords.slice(1) : allWords;
  const [program, ...args] = words;
  switch (program) {
    case 'curl':
      return curlAction(args);
    case 'systemctl':
      return systemctlAction(args);
    case 'journalctl':
      return journalctlAction(args);
    case 'pm2':
      return pm2Action(args);
    case 'docker':
      return dockerAction(args);
    default:
      return undefined;
  }
}

function curlAction(args: string[]): Action | undefined {
  let method: string | undefined;
  let url: string | undefined;
  const headers: Record<string, string> = {};
  let data: string | undefined;
  let head = false;
  const flags = { fail: false, follow: false, insecure: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const next = (): string | undefined => args[++i];
    if (arg === '-X' || arg === '--request') method = next();
    else if (arg === '-H' || arg === '--header') {
      const header = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(next() ?? '');
      if (!header) return undefined;
      headers[header[1] ?? ''] = value(header[2] ?? '');
    } else if (arg === '-d' || arg === '--data' || arg === '--data-raw') data = next();
    else if (arg === '-I' || arg === '--head') head = true;
    else if (/^-[sSfLk]+$/.test(arg)) {
      if (arg.includes('f')) flags.fail = true;
      if (arg.includes('L')) flags.follow = true;
      if (arg.includes('k')) flags.insecure = true;
    } else if (arg === '--silent' || arg === '--show-error') continue;
    else if (!arg.startsWith('-') && url === undefined) url = arg;
    else return undefined;
  }
  if (url === undefined || (data !== undefined && data.startsWith('@'))) return undefined;
  let target = value(url);
  const guesses: string[] = ['with.timeout: the Markdown gave none (10s is a guess)'];
  if (!/^(?:https?:\/\/|\$\{\{)/.test(target)) {
    target = `http://${target}`;
    guesses.push(`http:// added to ${url}`);
  }
  const common: Record<string, unknown> = { url: target, timeout: '10s' };
  if (Object.keys(headers).length > 0) common.headers = headers;
  if (flags.fail) common.fail = true;
  if (flags.follow) common.follow = true;
  if (flags.insecure) common.insecure = true;
  const upper = method?.toUpperCase();
  if (data === undefined && (upper === undefined || upper === 'GET' || upper === 'HEAD')) {
    if (head || upper === 'HEAD') common.method = 'HEAD';
    return { uses: 'curl.get', with: common, guesses };
  }
  if (head) return undefined;
  if (upper) common.method = upper;
  if (data !== undefined) {
    try {
      common.data = JSON.parse(data) as unknown;
    } catch {
      common.data = value(data);
    }
  }
  return { uses: 'curl.request', with: common, effect: 'write', guesses };
}

const SYSTEMCTL: Record<string, string> = {
  status: 'status',
  'is-active': 'is_active',
  start: 'start',
  stop: 'stop',
  restart: 'restart',
  reload: 'reload',
};

function systemctlAction(args: string[]): Action | undefined {
  const user = args[0] === '--user';
  const rest = user ? args.slice(1) : args;
  const [verb, unit, ...more] = rest;
  const action = verb === undefined ? undefined : SYSTEMCTL[verb];
  if (!action || unit === undefined || unit.startsWith('-') || more.length > 0) return undefined;
  const input: Record<string, unknown> = { unit: value(unit) };
  if (user) input.user = true;
  return {
    uses: `systemd.${action}`,
    with: input,
    ...(action === 'restart' || action === 'stop' ? { effect: 'destructive' as const } : {}),
    guesses: [],
  };
}

function journalctlAction(args: string[]): Action | undefined {
  const input: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const next = args[i + 1];
    if ((arg === '-u' || arg === '--unit') && next) {
      input.unit = value(next);
      i++;
    } else if ((arg === '-n' || arg === '--lines') && next && /^\d+$/.test(next)) {
      input.lines = Number(next);
      i++;
    } else if (arg === '--since' && next) {
      input.since = next;
      i++;
    } else if (arg === '--until' && next) {
      input.until = next;
      i++;
    } else if ((arg === '-p' || arg === '--priority') && next) {
      input.priority = /^\d$/.test(next) ? Number(next) : next;
      i++;
    } else if (arg === '--no-pager') continue;
    else return undefined;
  }
  if (input.unit === undefined) return undefined;
  return { uses: 'systemd.journal', with: input, guesses: [] };
}

function pm2Action(args: string[]): Action | undefined {
  const [verb, target, ...more] = args;
  const app =
    target === undefined ? undefined : /^\d+$/.test(target) ? Number(target) : value(target);
  switch (verb) {
    case 'status':
    case 'list':
    case 'ls':
      if (more.length > 0) return undefined;
      return { uses: 'pm2.status', with: app === undefined ? {} : { app }, guesses: [] };
    case 'restart':
    case 'reload':
    case 'stop':
    case 'delete':
    case 'describe': {
      if (
        app === undefined ||
        more.length > 0 ||
        /\.(?:js|cjs|mjs|json|ya?ml|config)$/.test(String(app))
      )
        return undefined;
      const destructive = verb === 'restart' || verb === 'stop' || verb === 'delete';
      return {
        uses: `pm2.${verb}`,
        with: { app },
        ...(destructive ? { effect: 'destructive' as const } : {}),
        guesses: [],
      };
    }
    case 'logs': {
      if (app === undefined) return undefined;
      const input: Record<string, unknown> = { app };
      for (let i = 0; i < more.length; i++) {
        if (more[i] === '--lines' && /^\d+$/.test(more[i + 1] ?? '')) {
          input.lines = Number(more[i + 1]);
          i++;
        } else if (more[i] === '--err') input.stream = 'err';
        else if (more[i] === '--out') input.stream = 'out';
        else if (more[i] === '--nostream') continue;
        else return undefined;
      }
      return { uses: 'pm2.logs', with: input, guesses: [] };
    }
    case 'scale':
      if (app === undefined || more.length !== 1 || !/^[+-]?[1-9]\d*$/.test(more[0] ?? ''))
        return undefined;
      return { uses: 'pm2.scale', with: { app, instances: more[0] }, guesses: [] };
    default:
      return undefined;
  }
}

function dockerAction(args: string[]): Action | undefined {
  const [verb, ...rest] = args;
  const one =
    rest.length === 1 && !(rest[0] ?? '-').startsWith('-') ? value(rest[0] ?? '') : undefined;
  switch (verb) {
    case 'ps':
      if (rest.length === 0) return { uses: 'docker.ps', with: {}, guesses: [] };
      if (rest.length === 1 && (rest[0] === '-a' || rest[0] === '--all'))
        return { uses: 'docker.ps', with: { all: true }, guesses: [] };
      return undefined;
    case 'inspect':
      return one ? { uses: 'docker.inspect', with: { container: one }, guesses: [] } : undefined;
    case 'restart':
      return one
        ? { uses: 'docker.restart', with: { container: one }, effect: 'destructive', guesses: [] }
        : undefined;
    case 'stop':
      return one
        ? { uses: 'docker.stop', with: { container: one }, effect: 'destructive', guesses: [] }
        : undefined;
    case 'start':
      return one ? { uses: 'docker.start', with: { container: one }, guesses: [] } : undefined;
    case 'stats': {
      const names = rest.filter((word) => word !== '--no-stream');
      if (names.length > 1 || names.some((word) => word.startsWith('-'))) return undefined;
      return {
        uses: 'docker.stats',
        with: names[0] ? { container: value(names[0]) } : {},
        guesses: [],
      };
    }
    case 'logs': {
      const input: Record<string, unknown> = {};
      for (let i = 0; i < rest.length; i++) {
        const arg = rest[i] ?? '';
        if ((arg === '--tail' || arg === '-n') && /^\d+$/.test(rest[i + 1] ?? '')) {
          input.tail = Number(rest[i + 1]);
          i++;
        } else if (arg === '--since' && rest[i + 1]) {
          input.since = rest[i + 1];
          i++;
        } else if (!arg.startsWith('-') && input.container === undefined)
          input.container = value(arg);
        else return undefined;
      }
      return input.container === undefined
        ? undefined
        : { uses: 'docker.logs', with: input, guesses: [] };
    }
    case 'system': {
      const [sub, ...flags] = rest;
      if (sub === 'df' && flags.length === 0)
        return { uses: 'docker.system_df', with: {}, guesses: [] };
      if (sub !== 'prune') return undefined;
      const input: Record<string, unknown> = {};
      for (const flag of flags) {
        if (flag === '-a' || flag === '--all') input.all = true;
        else if (flag === '--volumes') input.volumes = true;
        else if (flag === '-f' || flag === '--force') continue;
        else return undefined;
      }
      return { uses: 'docker.system_prune', with: input, effect: 'destructive', guesses: [] };
    }
    default:
      return undefined;
  }
}

/** SQL becomes psql.select (one query) or psql.query, on the session's connection. */
export function sqlAction(sql: string, url: string | undefined): Action {
  const statements = sql.split(/;\s*(?:\n|$)/).filter((part) => part.trim() !== '').length;
  const select = statements === 1 && /^\s*(?:SELECT|WITH|VALUES|TABLE|SHOW|EXPLAIN)\b/i.test(sql);
  const input: Record<string, unknown> = { sql: sql.trim() };
  if (url !== undefined && url !== '') input.url = value(url);
  const destructive = /\b(?:DROP|DELETE|TRUNCATE|pg_terminate_backend|pg_cancel_backend)\b/i.test(
    sql,
  );
  return {
    uses: select ? 'psql.select' : 'psql.query',
    with: input,
    ...(destructive
      ? { effect: 'destructive' as const }
      : select
        ? {}
        : { effect: 'write' as const }),
    guesses: [],
  };
}

/** `psql URL -c "SQL"` as a psql action, when that is all the command says. */
export function psqlCommand(text: string): { sql: string; url: string | undefined } | undefined {
  const m = /^(?:sudo\s+(?:-u\s+\S+\s+)?)?psql\s+(?:(\S+)\s+)?-c\s+(["'])([\s\S]*)\2\s*$/.exec(
    text.trim(),
  );
  if (!m) return undefined;
  const sql = m[3] ?? '';
  if (m[2] === '"' && /[`$\\"]/.test(sql.replace(/\$\{\{[^}]*\}\}/g, ''))) return undefined;
  if (m[1]?.startsWith('-')) return undefined;
  return { sql, url: m[1] };
}
