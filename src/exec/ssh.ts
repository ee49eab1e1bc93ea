import type {
  ProcessRequest,
  ProcessResult,
  ProcessRunner,
  ProcessScope,
  SshHost,
} from './types.js';
import { execute, type ProcessWatch } from './local.js';
import { formatArgv, shellQuote } from '../common/quote.js';
import { linkSignal } from '../common/abort.js';

const DEFAULT_CONNECT_TIMEOUT = 10;
/** ssh exits 255 when it fails itself: connection refused, host key, authentication. */
const SSH_FAILURE = 255;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * What runs on the host, as `sh -c REMOTE_RUNNER sh <argv…>`. Environment values never go in an
 * argv: the first line of stdin counts the lines of a script of `export NAME='value'` that follow,
 * which the shell reads (`read` never reads past a line), evaluates, then it runs the command with
 * the rest of stdin (the request's own input). sshd does not signal a command when the client goes
 * away (a step's timeout or an interruption kills only the local ssh), so a watcher kills the
 * session's process group once the sshd process that started it is gone: when the shell's parent
 * is no longer the one it started under (read from /proc where there is one), or, where there is
 * no /proc, when that process is gone. A client that goes away while the session starts can leave
 * the shell starting with its parent already gone (PPID 1, or a subreaper): that counts as gone
 * at once, or the command would outlive the step forever.
 */
export const REMOTE_RUNNER = [
  'IFS= read -r n || exit 1; s=; while [ "$n" -gt 0 ]; do IFS= read -r l; s="$s$l',
  '"; n=$((n - 1)); done; eval "$s"',
  'exec 3<&0; "$@" <&3 3<&- & c=$!',
  'p=$PPID; up() { [ "$p" -ne 1 ] || return 1; if [ -r "/proc/$$/stat" ]; then read -r _ _ _ q _ <"/proc/$$/stat" && [ "$q" = "$p" ]; else kill -0 "$p" 2>/dev/null; fi; }',
  '(trap "" TERM; while up; do sleep 1; done; kill -TERM 0; sleep 2; kill -KILL 0) </dev/null >/dev/null 2>&1 3<&- & w=$!',
  'wait "$c"; s=$?; kill -KILL "$w" 2>/dev/null; exit "$s"',
].join('\n');

/** ssh's options and destination for a configured host, up to (not including) `--`. */
export function sshArgs(host: SshHost): string[] {
  const args = [
    '-o',
    'BatchMode=yes',
    '-o',
    `ConnectTimeout=${host.connect_timeout ?? DEFAULT_CONNECT_TIMEOUT}`,
  ];
  if (host.port !== undefined) args.push('-p', String(host.port));
  if (host.identity_file !== undefined) args.push('-i', host.identity_file);
  if (host.known_hosts_file !== undefined)
    args.push(
      '-o',
      `UserKnownHostsFile=${sshConfigWord(host.known_hosts_file)}`,
      '-o',
      'StrictHostKeyChecking=yes',
    );
  for (const option of host.options ?? []) args.push('-o', option);
  args.push(destination(host));
  return args;
}

/**
 * How a step with `on:` reads in a dry run and the journal: the whole ssh command line, with the
 * step's own command as the one remote word ssh hands to the host's shell.
 */
export function describeRemote(host: SshHost, innerDescription: string): string {
  const plain = innerDescription
    .split(' ')
    .every((word) => word !== '' && shellQuote(word) === word);
  return `${formatArgv(['ssh', ...sshArgs(host), '--'])} ${plain ? innerDescription : shellQuote(innerDescription)}`;
}

/**
 * The `exec` of an action context for a step with `on: <name>`: each process runs on that host
 * through ssh, with its argv quoted so that the remote shell sees exactly those words. The
 * request's environment variables travel on ssh's stdin, never in an argv.
 */
export function sshExec(
  name: string,
  host: SshHost,
  base: ProcessScope,
  watch?: ProcessWatch,
): ProcessRunner {
  return async (request: ProcessRequest): Promise<ProcessResult> => {
    const problem = checkRequest(host, request);
    if (problem) return failed(`on: ${name}: ${problem}`);
    const script = Object.entries(request.env ?? {})
      .map(([key, value]) => `export ${key}=${shellQuote(value)}\n`)
      .join('');
    const lines = script.split('\n').length - 1;
    const remote = formatArgv(['sh', '-c', REMOTE_RUNNER, 'sh', request.file, ...request.args]);
    const input = `${lines}\n${script}${request.input ?? ''}`;
    const linked = linkSignal([base.signal, request.signal]);
    const result = await execute({
      file: 'ssh',
      args: [...sshArgs(host), '--', remote],
      env: base.env,
      cwd: base.cwd,
      signal: linked.signal,
      input,
      ...(request.onStdout === undefined ? {} : { onStdout: request.onStdout }),
      ...(watch === undefined ? {} : { watch }),
    }).finally(() => linked.dispose());
    if (result.error) return { ...result, error: `on: ${name}: ${result.error}` };
    if (result.exitCode === SSH_FAILURE && !result.timedOut && !result.interrupted)
      return { ...result, error: describeSshFailure(name, host, result.stderr) };
    return result;
  };
}

function destination(host: SshHost): string {
  return host.user === undefined ? host.host : `${host.user}@${host.host}`;
}

/** An ssh_config value with spaces must be quoted, or ssh reads several values. */
function sshConfigWord(value: string): string {
  return /\s/.test(value) ? `"${value}"` : value;
}

function checkRequest(host: SshHost, request: ProcessRequest): string | undefined {
  // ssh would read a destination starting with "-" as an option.
  if (host.host.startsWith('-')) return `host "${host.host}" may not start with "-"`;
  if (host.user?.startsWith('-')) return `user "${host.user}" may not start with "-"`;
  const bad = Object.keys(request.env ?? {}).find((key) => !ENV_NAME.test(key));
  if (bad !== undefined) return `cannot pass the environment variable "${bad}" over ssh`;
  return undefined;
}

function describeSshFailure(name: string, host: SshHost, stderr: string): string {
  const where = `${destination(host)}${host.port === undefined ? '' : `:${host.port}`}`;
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const last = lines[lines.length - 1];
  const why = last === undefined ? 'ssh exited with code 255' : last.replace(/^ssh: /, '');
  return `ssh to host "${name}" (${where}) failed: ${why}`;
}

function failed(error: string): ProcessResult {
  return {
    exitCode: null,
    signal: undefined,
    stdout: '',
    stderr: '',
    durationMs: 0,
    timedOut: false,
    interrupted: false,
    error,
  };
}
