import type { ResolvedVars } from './vars.js';

export const REDACTED = '***';

/** Environment variable names whose values are treated as secrets wherever they appear: those
 * ending a word in TOKEN, PASSWORD, SECRET, …, so that PGPASSWORD and GITHUB_TOKEN are, and
 * GIT_AUTHOR_NAME, XDG_SESSION_TYPE and TOKENIZERS_PARALLELISM are not. */
export const SECRET_ENV_NAME =
  /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIALS?|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|SIGNING_?KEY|DATABASE_URL|_DSN|WEBHOOK(_URL)?|COOKIE|MYSQL_PWD|REDISCLI_AUTH)($|_)/i;

const MIN_SECRET_LENGTH = 4;

/**
 * Replaces every known secret value with `***`. Values derived from a secret by concatenation or
 * templating contain it and are caught the same way; URLs also register their password.
 */
export class Redactor {
  #secrets: string[] = [];

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
    if (text.length < MIN_SECRET_LENGTH || this.#secrets.includes(text)) return;
    this.#secrets.push(text);
    // Longest first, so that a secret containing another is replaced whole.
    this.#secrets.sort((a, b) => b.length - a.length);
  }

  /** Registers the values of environment variables that look like credentials. */
  addFromEnv(env: Record<string, string | undefined>): void {
    for (const [name, value] of Object.entries(env)) {
      if (!value) continue;
      if (SECRET_ENV_NAME.test(name)) this.add(value);
      else if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]+@/i.test(value)) this.addUrlPassword(value);
    }
  }

  get size(): number {
    return this.#secrets.length;
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets)
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  /** A deep copy with every string redacted (keys included). */
  redactDeep<T>(value: T): T {
    if (this.#secrets.length === 0) return value;
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
 * and the password of any URL a variable holds (a credential even when not marked secret). */
export function runRedactor(
  vars: Pick<ResolvedVars, 'values' | 'secrets'>,
  env: Record<string, string | undefined>,
): Redactor {
  const redactor = new Redactor();
  redactor.addFromEnv(env);
  for (const name of vars.secrets) redactor.add(vars.values[name]);
  for (const value of Object.values(vars.values)) {
    if (typeof value === 'string') redactor.addUrlPassword(value);
  }
  return redactor;
}
