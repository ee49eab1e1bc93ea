import { anchorOf, secretForms } from './secret-forms.js';
import type { ResolvedVars } from './vars.js';

export const REDACTED = '***';

/** Environment variable names whose values are treated as secrets wherever they appear: those
 * ending a word in TOKEN, PASSWORD, SECRET, …, so that PGPASSWORD and GITHUB_TOKEN are, and
 * GIT_AUTHOR_NAME, XDG_SESSION_TYPE and TOKENIZERS_PARALLELISM are not. */
export const SECRET_ENV_NAME =
  /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIALS?|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|SIGNING_?KEY|DATABASE_URL|_DSN|WEBHOOK(_URL)?|COOKIE|MYSQL_PWD|REDISCLI_AUTH)($|_)/i;

const MIN_SECRET_LENGTH = 4;
/** Shorter runs are in too much ordinary text to rule anything out. */
const MIN_ANCHOR_LENGTH = 3;

/** One printed form of a secret, and the part of the secret that every one of its forms keeps. */
interface Form {
  text: string;
  anchor: string;
}

/**
 * Replaces every known secret value with `***`, in every form it can be printed in: as it is,
 * quoted for a shell, percent-encoded, escaped for JSON or XML (see secret-forms.ts). Values
 * derived from a secret by concatenation or templating contain it and are caught the same way;
 * URLs also register their password.
 */
export class Redactor {
  readonly #secrets = new Set<string>();
  /** Longest first once sorted, so that a form containing another is replaced whole. */
  readonly #forms: Form[] = [];
  readonly #formTexts = new Set<string>();
  #sorted = true;
  /** The anchors of all forms: a text without any of them holds no secret. */
  readonly #anchors = new Set<string>();
  /** Forms of secrets too short in kept characters to have an anchor worth looking for. */
  #unanchored = false;

  add(value: unknown): void {
    if (typeof value !== 'string' && typeof value !== 'number') return;
    const text = String(value);
    this.#addOne(text);
    this.addUrlPassword(text);
  }

  /** Only the password of a URL such as postgres://user:pass@host/db. */
  addUrlPassword(value: string): void {
    try {
      const url = new URL(value);
      if (url.password) {
        this.#addOne(url.password);
        this.#addOne(decodeURIComponent(url.password));
      }
    } catch {
      // Not a URL.
    }
  }

  #addOne(text: string): void {
    if (text.length < MIN_SECRET_LENGTH || this.#secrets.has(text)) return;
    this.#secrets.add(text);
    const anchor = anchorOf(text);
    const usable = anchor.length >= MIN_ANCHOR_LENGTH ? anchor : '';
    if (usable) this.#anchors.add(usable);
    else this.#unanchored = true;
    for (const form of secretForms(text))
      if (form.length >= MIN_SECRET_LENGTH && !this.#formTexts.has(form)) {
        this.#formTexts.add(form);
        this.#forms.push({ text: form, anchor: usable });
      }
    this.#sorted = false;
  }

  /** Registers the values of environment variables that look like credentials. */
  addFromEnv(env: Record<string, string | undefined>): void {
    for (const [name, value] of Object.entries(env)) {
      if (!value) continue;
      if (SECRET_ENV_NAME.test(name)) this.add(value);
      else if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]+@/i.test(value)) this.addUrlPassword(value);
    }
  }

  /** How many secret values are known (each one masked in all its forms). */
  get size(): number {
    return this.#secrets.size;
  }

  redact(text: string): string {
    if (this.#forms.length === 0) return text;
    let found: Set<string> | undefined;
    for (const anchor of this.#anchors)
      if (text.includes(anchor)) (found ??= new Set()).add(anchor);
    if (!found && !this.#unanchored) return text;
    if (!this.#sorted) {
      this.#forms.sort((a, b) => b.text.length - a.text.length);
      this.#sorted = true;
    }
    let out = text;
    for (const { text: form, anchor } of this.#forms) {
      if (anchor !== '' && !found?.has(anchor)) continue;
      if (out.includes(form)) out = out.split(form).join(REDACTED);
    }
    return out;
  }

  /** A deep copy with every string redacted (keys included). */
  redactDeep<T>(value: T): T {
    if (this.#secrets.size === 0) return value;
    return this.#deep(value) as T;
  }

  #deep(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((item) => this.#deep(item));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) out[this.redact(key)] = this.#deep(inner);
      return out;
    }
    return value;
  }
}

/** The redactor of one run: credential-named environment variables, variables marked secret,
 * and the password of any URL a variable holds (a credential even when not marked secret). A
 * placeholder (`<name>`, a plan's stand-in for a missing value) is no secret and stays visible. */
export function runRedactor(
  vars: Pick<ResolvedVars, 'values' | 'secrets' | 'placeholders'>,
  env: Record<string, string | undefined>,
): Redactor {
  const redactor = new Redactor();
  const standIns = vars.placeholders;
  redactor.addFromEnv(env);
  for (const name of vars.secrets) if (!standIns?.vars.has(name)) redactor.add(vars.values[name]);
  for (const [name, value] of Object.entries(vars.values)) {
    if (typeof value === 'string' && !standIns?.vars.has(name)) redactor.addUrlPassword(value);
  }
  return redactor;
}
