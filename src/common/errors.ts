/**
 * Errors for people. Anything thrown that is not a RunbookError is a bug.
 * Each kind maps to one exit code in src/cli/exit-codes.ts.
 */
export type ErrorKind =
  'usage' | 'invalid' | 'not-found' | 'config' | 'declined' | 'state' | 'io' | 'unavailable';

export class RunbookError extends Error {
  readonly kind: ErrorKind;
  readonly hint: string | undefined;

  constructor(kind: ErrorKind, message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.kind = kind;
    this.hint = hint;
  }
}

/** Wrong flags, unknown variables, missing required values. */
export class UsageError extends RunbookError {
  constructor(message: string, hint?: string) {
    super('usage', message, hint);
  }
}

/** A runbook id, file or run that does not exist. */
export class NotFoundError extends RunbookError {
  constructor(message: string, hint?: string) {
    super('not-found', message, hint);
  }
}

/** runbook.config.yaml is unreadable or wrong. */
export class ConfigError extends RunbookError {
  constructor(message: string, hint?: string) {
    super('config', message, hint);
  }
}

/** The state directory (journal, locks) cannot be used. */
export class StateError extends RunbookError {
  constructor(message: string, hint?: string) {
    super('state', message, hint);
  }
}

/** The team's state database cannot be used: unreachable, refusing the login, or not migrated
 * (docs/state.md). */
export class UnavailableError extends RunbookError {
  constructor(message: string, hint?: string) {
    super('unavailable', message, hint);
  }
}

/** A position in a file, 1-based. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  severity: 'error' | 'warning';
  message: string;
  /** The YAML path, e.g. `resolution[2].timeout`, when the problem is in a known key. */
  path?: string;
  /** The source line the position is on, for the caret display. */
  sourceLine?: string;
  hint?: string;
  /** The lint rule that found it (docs/lint.md), when one did. */
  rule?: string;
}

/** One or more runbooks are invalid; carries every problem found, not the first. */
export class InvalidRunbookError extends RunbookError {
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic[], hint?: string) {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    super('invalid', `${errors} problem${errors === 1 ? '' : 's'} found`, hint);
    this.diagnostics = diagnostics;
  }
}
