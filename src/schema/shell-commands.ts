// Command lines whose words reach a nested shell or interpreter: the wrappers in front of a
// program (`env`, `sudo`, `timeout`, `xargs`, `find -exec`, `ssh`, `su`, `docker exec`…).
import { interpreterRole } from './shell-interpreters.js';
import {
  basename,
  DATA,
  literal,
  skipOptions,
  VALUE_MARK,
  type EnvBarrier,
  type ShellWord,
  type WordRole,
} from './shell-words.js';

const RESERVED = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{', 'time']);

/** Wrappers that run the rest of the command line with the same environment: their options that
 * take an argument, and the number of operands before the command. */
const PASS_THROUGH: Record<string, { withArgument: RegExp; operands: number }> = {
  exec: { withArgument: /^-a$/, operands: 0 },
  command: { withArgument: /^$/, operands: 0 },
  builtin: { withArgument: /^$/, operands: 0 },
  nohup: { withArgument: /^$/, operands: 0 },
  setsid: { withArgument: /^$/, operands: 0 },
  nice: { withArgument: /^(-n|--adjustment)$/, operands: 0 },
  ionice: { withArgument: /^(-c|-n|-p|-P|-u|--class|--classdata)$/, operands: 0 },
  stdbuf: { withArgument: /^(-i|-o|-e)$/, operands: 0 },
  timeout: { withArgument: /^(-s|-k|--signal|--kill-after)$/, operands: 1 },
  chronic: { withArgument: /^$/, operands: 0 },
  xargs: {
    withArgument:
      /^(-a|-d|-E|-I|-L|-n|-P|-s|--arg-file|--delimiter|--max-lines|--max-args|--max-procs|--max-chars|--process-slot-var)$/,
    operands: 0,
  },
};

/** Wrappers that run the rest of the command line without the step's environment. */
const BARRIERS: Record<string, { withArgument: RegExp; barrier: EnvBarrier }> = {
  sudo: {
    withArgument: /^(-u|-g|-C|-D|-h|-p|-r|-t|-U|-T|--user|--group|--chdir|--prompt|--host)$/,
    barrier: {
      via: 'sudo',
      why: 'sudo resets the environment',
      pass: (name, read) => `run sudo --preserve-env=${name} … and refer to ${read}`,
    },
  },
  doas: {
    withArgument: /^(-u|-C)$/,
    barrier: {
      via: 'doas',
      why: 'doas resets the environment',
      pass: (name, read) => `keep it with setenv { ${name} } in doas.conf and refer to ${read}`,
    },
  },
};

/**
 * The role of `words[target]` (or of the command's stdin) in the command line `words`: plain
 * data for the program, or code that a shell or another interpreter will parse. Reads the common
 * wrappers (`env`, `sudo`, `timeout`, `xargs`, `find -exec`, `docker exec`, `kubectl exec`, `ssh`,
 * `su -c`) and the options of shells and interpreters. Only words up to `target` are looked at.
 */
export function wordRole(
  words: readonly ShellWord[],
  target: number | 'stdin',
  barrier?: EnvBarrier,
): WordRole {
  return roleFrom(words, 0, target, barrier);
}

function roleFrom(
  words: readonly ShellWord[],
  start: number,
  target: number | 'stdin',
  barrier: EnvBarrier | undefined,
): WordRole {
  let i = start;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]?.text ?? '')) i++;
  const before = (index: number): boolean => target === 'stdin' || index < target;
  for (;;) {
    if (target !== 'stdin' && i >= target) return DATA;
    const text = literal(words[i]);
    if (text === undefined) return unknownProgram(words, i, target, barrier);
    const name = basename(text);
    if (RESERVED.has(text)) {
      i += text === 'time' && literal(words[i + 1]) === '-p' ? 2 : 1;
      continue;
    }
    const through = PASS_THROUGH[name];
    if (through) {
      i = skipOptions(words, i + 1, through.withArgument) + through.operands;
      continue;
    }
    const wall = BARRIERS[name];
    if (wall) {
      i = skipOptions(words, i + 1, wall.withArgument);
      while (before(i) && /^[A-Za-z_][A-Za-z0-9_]*=/.test(literal(words[i]) ?? '')) i++;
      barrier ??= wall.barrier;
      continue;
    }
    switch (name) {
      case 'env': {
        i++;
        for (;;) {
          const option = literal(words[i]);
          if (option === undefined) break;
          if (option === '-i' || option === '-' || option === '--ignore-environment') {
            barrier ??= {
              via: 'env -i',
              why: 'env -i empties the environment',
              pass: (variable, read) =>
                `keep it with env -i ${variable}="$${variable}" … and refer to ${read}`,
            };
            i++;
          } else if (/^(-u|-C|--unset|--chdir)$/.test(option)) i += 2;
          else if (option.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(option)) i++;
          else break;
        }
        continue;
      }
      case 'find':
        return findExec(words, i + 1, target, barrier);
      case 'flock':
      case 'script':
      case 'watch':
        return shellStringRole(name, words, i + 1, target, barrier);
      case 'ssh':
        return sshRole(words, i + 1, target);
      case 'su':
      case 'runuser':
        return suRole(name, words, i + 1, target);
      case 'docker':
      case 'podman':
        return containerRole(name, words, i + 1, target);
      case 'kubectl':
      case 'oc':
        return kubectlRole(name, words, i + 1, target);
      case 'eval':
        return target === 'stdin'
          ? DATA
          : { kind: 'code', language: 'sh', runner: 'eval', joined: true, start: i + 1, barrier };
      case 'busybox':
        i++;
        continue;
      default:
        return interpreterRole(name, words, i + 1, target, barrier);
    }
  }
}

/** `find … -exec CMD … ;` (and -execdir, -ok, -okdir): CMD runs with find's environment. */
function findExec(
  words: readonly ShellWord[],
  from: number,
  target: number | 'stdin',
  barrier: EnvBarrier | undefined,
): WordRole {
  if (target === 'stdin') return DATA;
  for (let i = from; i < target; i++) {
    if (!/^-(exec|execdir|ok|okdir)$/.test(literal(words[i]) ?? '')) continue;
    let end = i + 1;
    while (end < words.length && !/^[;+]$/.test(literal(words[end]) ?? '')) end++;
    if (target > i && target < end) return roleFrom(words.slice(0, end), i + 1, target, barrier);
    i = end;
  }
  return DATA;
}

/**
 * Programs that hand a string to `sh -c`: `flock FILE -c CODE` (else `flock FILE CMD…`),
 * `script -c CODE`, and `watch CMD…`, whose words are joined (unless `-x`, an argv).
 */
function shellStringRole(
  name: 'flock' | 'script' | 'watch',
  words: readonly ShellWord[],
  from: number,
  target: number | 'stdin',
  barrier: EnvBarrier | undefined,
): WordRole {
  if (target === 'stdin') return DATA;
  const code = (start: number, joined: boolean): WordRole => ({
    kind: 'code',
    language: 'sh',
    runner: joined ? name : `${name} -c`,
    joined,
    start,
    barrier,
  });
  if (name === 'watch') {
    const command = skipOptions(words, from, /^(-n|-d|-q|--interval|--equexit)$/);
    const exec = words
      .slice(from, command)
      .some((word) => /^(-x|--exec)$/.test(literal(word) ?? ''));
    if (target < command) return DATA;
    return exec ? roleFrom(words, command, target, barrier) : code(command, true);
  }
  const options =
    name === 'flock'
      ? /^(-w|-E|--timeout|--conflict-exit-code)$/
      : /^(-E|-I|-O|-T|-B|-m|--log-io|--log-in|--log-out|--log-timing|--echo|--logging-format)$/;
  for (let i = from; i < target; i++) {
    const text = literal(words[i]);
    if (text === undefined) return DATA;
    if (/^(-c|--command)$/.test(text)) {
      if (i + 1 === target) return code(target, false);
      i++;
    } else if (options.test(text)) i++;
    else if (name === 'flock' && !text.startsWith('-'))
      // The lock file; then -c CODE, or the command itself.
      return /^(-c|--command)$/.test(literal(words[i + 1]) ?? '')
        ? i + 2 === target
          ? code(target, false)
          : DATA
        : roleFrom(words, i + 1, target, barrier);
  }
  return DATA;
}

/** `ssh [options] destination command…`: the remote shell parses the command words, joined. */
function sshRole(words: readonly ShellWord[], from: number, target: number | 'stdin'): WordRole {
  const destination = skipOptions(words, from, /^-[BbcDEeFIiJLlmOoPpQRSWw]$/);
  const remote: WordRole = {
    kind: 'code',
    language: 'sh',
    runner: 'ssh',
    joined: true,
    start: destination + 1,
    barrier: {
      via: 'ssh',
      why: "the remote shell does not get the step's environment",
      pass: (_name, read) =>
        `run the step with on: <host> (hosts in runbook.config.yaml) instead of ssh, referring to ${read}`,
    },
  };
  if (target === 'stdin') return destination + 1 >= words.length ? remote : DATA;
  return target > destination ? remote : DATA;
}

/** `su [options] [user] -c CODE`, `runuser -u user -- CMD…`. */
function suRole(
  name: string,
  words: readonly ShellWord[],
  from: number,
  target: number | 'stdin',
): WordRole {
  const barrier: EnvBarrier = {
    via: name,
    why: `${name} starts the shell with a new environment`,
    pass: (variable, read) =>
      `run ${name} --whitelist-environment=${variable} … and refer to ${read}`,
  };
  if (target === 'stdin') return DATA;
  for (let i = from; i < target; i++) {
    const text = literal(words[i]);
    if (text === undefined) return DATA;
    if (/^(-c|--command)$/.test(text)) {
      if (i + 1 === target)
        return {
          kind: 'code',
          language: 'sh',
          runner: `${name} -c`,
          joined: false,
          start: target,
          barrier,
        };
      i++;
    } else if (text === '--' && name === 'runuser') return roleFrom(words, i + 1, target, barrier);
    else if (/^(-s|-g|-G|-u|-w|--shell|--group|--supp-group|--user)$/.test(text)) i++;
  }
  return DATA;
}

/** `docker exec [options] CONTAINER CMD…`, `docker run [options] IMAGE CMD…`. */
function containerRole(
  name: string,
  words: readonly ShellWord[],
  from: number,
  target: number | 'stdin',
): WordRole {
  let i = skipOptions(words, from, /^(-H|-c|-l|--host|--context|--config|--log-level)$/, false);
  const sub = literal(words[i]);
  if (sub !== 'exec' && sub !== 'run') return DATA;
  const options =
    sub === 'exec'
      ? /^(-e|-u|-w|--env|--env-file|--user|--workdir|--detach-keys)$/
      : // docker run: every long option takes a value, but for these flags.
        /^(-[aceEhlmpuvw]|--(?!(rm|detach|interactive|tty|privileged|init|read-only|publish-all|quiet|no-healthcheck|oom-kill-disable|sig-proxy|help)$)[a-z-]+)$/;
  i = skipOptions(words, i + 1, options, false) + 1;
  const barrier: EnvBarrier = {
    via: `${name} ${sub}`,
    why: `the container does not get the step's environment`,
    pass: (variable, read) => `run ${name} ${sub} -e ${variable} … and refer to ${read}`,
  };
  return roleFrom(words, i, target, barrier);
}

/** `kubectl exec POD [options] -- CMD…`. */
function kubectlRole(
  name: string,
  words: readonly ShellWord[],
  from: number,
  target: number | 'stdin',
): WordRole {
  const dashes = words.findIndex((word, index) => index >= from && literal(word) === '--');
  if (dashes < 0 || !words.slice(from, dashes).some((word) => literal(word) === 'exec'))
    return DATA;
  return roleFrom(words, dashes + 1, target, {
    via: `${name} exec`,
    why: "the pod does not get the step's environment",
    pass: (variable) =>
      `give it to the code as an argument: ${name} exec … -- sh -c '… "$1" …' sh "$${variable}"`,
  });
}

/**
 * A program named by an expansion or a value (`$SHELL -c '…'`): the word after a `-c` is taken
 * for shell code, so that a value in it is left for that program to expand or refused — as text
 * for another interpreter it is then broken, not code.
 */
function unknownProgram(
  words: readonly ShellWord[],
  program: number,
  target: number | 'stdin',
  barrier: EnvBarrier | undefined,
): WordRole {
  if (target === 'stdin' || target < program + 2) return DATA;
  if (!/^-[A-Za-z]*c$/.test(literal(words[target - 1]) ?? '')) return DATA;
  const name = (words[program]?.text ?? '').split(VALUE_MARK).join('${{ … }}');
  return {
    kind: 'code',
    language: 'sh',
    runner: `${name} -c`,
    joined: false,
    start: target,
    barrier,
  };
}
