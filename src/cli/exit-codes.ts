import type { NagiosState } from '../engine/check.js';
import type { ErrorKind } from '../common/errors.js';
import type { RunStatus } from '../engine/events.js';

/** Exit codes (a contract: docs/commands.md). Set here and nowhere else. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  declined: 3,
  /** The state directory could not be written or read: a full disk, say (EX_IOERR). */
  io: 74,
  /** The team's state database is unreachable, refuses the login or is not migrated
   * (EX_UNAVAILABLE; docs/state.md). */
  unavailable: 69,
  /** A bug in runbook itself (EX_SOFTWARE); never used for bad input. */
  internal: 70,
  interrupted: 130,
} as const;

export function exitCodeForError(kind: ErrorKind): number {
  switch (kind) {
    case 'usage':
    case 'invalid':
    case 'not-found':
    case 'config':
      return EXIT.usage;
    case 'declined':
      return EXIT.declined;
    case 'state':
      return EXIT.failed;
    case 'io':
      return EXIT.io;
    case 'unavailable':
      return EXIT.unavailable;
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
}

export function exitCodeForRun(status: RunStatus): number {
  switch (status) {
    case 'succeeded':
      return EXIT.ok;
    case 'failed':
      return EXIT.failed;
    case 'declined':
    case 'pending':
      return EXIT.declined;
    case 'interrupted':
      return EXIT.interrupted;
    default: {
      const unreachable: never = status;
      return unreachable;
    }
  }
}

/** `runbook check` exit codes: the Nagios plugin convention (a contract: docs/commands.md). */
export const NAGIOS_EXIT = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;

export function exitCodeForCheck(state: NagiosState): number {
  switch (state) {
    case 'OK':
    case 'WARNING':
    case 'CRITICAL':
    case 'UNKNOWN':
      return NAGIOS_EXIT[state];
    default: {
      const unreachable: never = state;
      return unreachable;
    }
  }
}
