// Which word of a shell's or an interpreter's command line is its code (`sh -c CODE`,
// `python3 -c CODE`, `awk PROGRAM`), and whether it reads its code from stdin.
import {
  DATA,
  optionText,
  literal,
  type EnvBarrier,
  type Language,
  type ShellWord,
  type WordRole,
} from './shell-words.js';

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'yash', 'posh']);
const PYTHON = /^(python[0-9.]*|pypy[0-9.]*)$/;
const NODE = new Set(['node', 'nodejs', 'bun']);
const AWK = new Set(['awk', 'gawk', 'mawk', 'nawk']);

/** Shells and interpreters: which operand (or stdin) is their code. */
export function interpreterRole(
  name: string,
  words: readonly ShellWord[],
  from: number,
  target: number | 'stdin',
  barrier: EnvBarrier | undefined,
): WordRole {
  const code = (language: Language, runner: string): WordRole => ({
    kind: 'code',
    language,
    runner,
    joined: false,
    start: typeof target === 'number' ? target : -1,
    barrier,
  });
  if (SHELLS.has(name)) {
    let i = from;
    let hasC = false;
    for (; i < words.length; i++) {
      const text = optionText(words[i]);
      if (text === undefined || !/^[-+]/.test(text) || text === '-' || text === '+') break;
      if (text === '--') {
        i++;
        break;
      }
      if (/^([-+][oO]|--rcfile|--init-file)$/.test(text)) i++;
      else if (/^-[A-Za-z]+$/.test(text) && text.includes('c')) hasC = true;
    }
    if (target === 'stdin')
      return !hasC && (i >= words.length || hasS(words, from, i)) ? code('sh', name) : DATA;
    if (hasC && target === i) return code('sh', `${name} -c`);
    return DATA;
  }
  const spec = interpreterSpec(name);
  if (!spec) return DATA;
  let i = from;
  let inline = false;
  for (; i < words.length; i++) {
    const text = optionText(words[i]);
    if (text === undefined) break;
    if (text === '--') {
      i++;
      break;
    }
    if (!text.startsWith('-') || text === '-') break;
    if (spec.codeOption.test(text)) {
      inline = true;
      if (i + 1 === target) return code(spec.language, `${name} ${text}`);
      i++;
    } else if (spec.attachedCode?.test(text)) {
      inline = true;
      if (i === target) return code(spec.language, `${name} ${text.slice(0, 2)}`);
    } else if (spec.withArgument.test(text)) i++;
    else if (spec.noCode?.test(text)) return DATA;
  }
  if (spec.language === 'awk') {
    // The first operand is the program, unless -f or -e gave it.
    return !inline && target === i && !hasOption(words, from, i, /^(-f|--file)/)
      ? code('awk', name)
      : DATA;
  }
  if (target === 'stdin') {
    const operand = literal(words[i]);
    return !inline && (i >= words.length || operand === '-') ? code(spec.language, name) : DATA;
  }
  return DATA;
}

function hasS(words: readonly ShellWord[], from: number, to: number): boolean {
  return hasOption(words, from, to, /^-[A-Za-z]*s[A-Za-z]*$/);
}

function hasOption(words: readonly ShellWord[], from: number, to: number, option: RegExp): boolean {
  for (let i = from; i < to; i++) if (option.test(literal(words[i]) ?? '')) return true;
  return false;
}

interface InterpreterSpec {
  language: Exclude<Language, 'sh'>;
  /** An option whose next word is code. */
  codeOption: RegExp;
  /** An option with the code attached (`-cprint(1)`). */
  attachedCode?: RegExp;
  /** Options that take the next word as their argument. */
  withArgument: RegExp;
  /** Options after which no operand is code (`python -m module`). */
  noCode?: RegExp;
}

function interpreterSpec(name: string): InterpreterSpec | undefined {
  if (PYTHON.test(name))
    return {
      language: 'python',
      codeOption: /^-[A-Za-z]*c$/,
      attachedCode: /^-c./,
      withArgument: /^-[WX]$/,
      noCode: /^-m/,
    };
  if (NODE.has(name))
    return {
      language: 'node',
      codeOption: /^(-e|-p|-pe|--eval|--print)$/,
      attachedCode: /^--(eval|print)=/,
      withArgument: /^(-r|--require|--import|--loader|-C|--conditions)$/,
    };
  if (name === 'perl' || name === 'ruby')
    return {
      language: name,
      codeOption: /^-[A-Za-z]*[eE]$/,
      withArgument: /^(-I|-r|-C)$/,
    };
  if (/^php[0-9.]*$/.test(name))
    return { language: 'php', codeOption: /^-r$/, withArgument: /^(-c|-d|-z)$/ };
  if (AWK.has(name))
    return {
      language: 'awk',
      codeOption: /^(-e|--source)$/,
      attachedCode: /^--source=/,
      withArgument: /^(-F|-v|-f|--file|--field-separator|--assign|-i|--include|-l|--load)$/,
    };
  return undefined;
}
