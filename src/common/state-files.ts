import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { RunbookError } from './errors.js';

// The state directory holds what runbook trusts later: locks that say who runs, journals that
// become the incident record, cached runbooks that are run. As ssh does with ~/.ssh, it must be
// this user's and writable by no one else, and no file in it is reached through a symbolic link
// (docs/hardening.md).

/** The state directory (or a directory in it) is not safe to use: refuse rather than trust it. */
export class UnsafeStateError extends RunbookError {
  constructor(message: string, hint: string) {
    super('config', message, hint);
  }
}

/** Reading or writing the state directory failed: a full disk, a read-only file system… */
export class StateIoError extends RunbookError {
  readonly code: string | undefined;
  constructor(what: string, error: unknown) {
    const code = (error as NodeJS.ErrnoException).code;
    super('io', `${what}: ${ioReason(error)}`, ioHint(code));
    this.code = code;
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'a symbolic link where a file was expected',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
};

function ioReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && ERRNO_TEXT[code] !== undefined) return `${ERRNO_TEXT[code]} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

function ioHint(code: string | undefined): string {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'free space on that file system, or set RUNBOOK_STATE_DIR to a directory on another one';
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
      return 'set RUNBOOK_STATE_DIR to a directory this user can write';
    default:
      return 'check the state directory (RUNBOOK_STATE_DIR), or set it to another directory';
  }
}

/**
 * Makes `root` and `root/<sub…>` (mode 0700) and checks each of them: a real directory, not a
 * symbolic link, owned by this user, and writable by no one else. Returns the deepest one.
 */
export function secureDir(root: string, ...sub: string[]): string {
  const path = join(root, ...sub);
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') checkDir(firstNonDir(root, sub));
    throw new StateIoError(`cannot create ${path}`, error);
  }
  let dir = root;
  checkDir(dir);
  for (const part of sub) {
    dir = join(dir, part);
    checkDir(dir);
  }
  return path;
}

function firstNonDir(root: string, sub: readonly string[]): string {
  let dir = root;
  for (const part of ['', ...sub]) {
    dir = part === '' ? dir : join(dir, part);
    try {
      if (!lstatSync(dir).isDirectory()) return dir;
    } catch {
      return dir;
    }
  }
  return dir;
}

function checkDir(dir: string): void {
  let info;
  try {
    info = lstatSync(dir);
  } catch (error) {
    throw new StateIoError(`cannot read ${dir}`, error);
  }
  const fix =
    'use a directory of your own: set RUNBOOK_STATE_DIR, or remove it and let runbook make it';
  if (info.isSymbolicLink())
    throw new UnsafeStateError(
      `state directory ${dir} is a symbolic link: refusing to use it`,
      fix,
    );
  if (!info.isDirectory())
    throw new UnsafeStateError(`state directory ${dir} is not a directory`, fix);
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid)
    throw new UnsafeStateError(
      `state directory ${dir} belongs to uid ${info.uid}, not to this user (uid ${uid}): refusing to use it`,
      fix,
    );
  if ((info.mode & 0o022) !== 0)
    throw new UnsafeStateError(
      `state directory ${dir} can be written by ${info.mode & 0o002 ? 'anyone' : 'its group'} (mode ${(info.mode & 0o777).toString(8)}): refusing to use it`,
      `chmod go-w ${dir}`,
    );
}

const NOFOLLOW = constants.O_NOFOLLOW;

/** Creates a new file for writing (0600): never an existing one, never through a symbolic link. */
export function createExclusive(path: string): number {
  return openSync(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW,
    0o600,
  );
}

/** Opens a new file for appending (0600), as createExclusive does. */
export function createAppendOnly(path: string): number {
  return openSync(
    path,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL | NOFOLLOW,
    0o600,
  );
}

/**
 * Reads a state file this user owns and no one else can write, never through a symbolic link.
 * Undefined when it does not exist, or is not such a file (it is then not trusted).
 */
export function readOwnFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const info = fstatSync(fd);
    const uid = process.getuid?.();
    if (!info.isFile() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0)
      return undefined;
    return readFileSync(fd, 'utf8');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` with `text` at once: readers see the old file or the new one, never a part.
 * The new file is made beside it (exclusively, never through a link) and renamed over it, which
 * replaces a symbolic link itself rather than what it points to. Throws StateIoError.
 */
export function writeAtomic(path: string, text: string, options: { durable?: boolean } = {}): void {
  const temp = join(dirname(path), `.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
  let fd: number | undefined;
  try {
    fd = createExclusive(temp);
    writeAll(fd, text);
    if (options.durable) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // Never made.
    }
    throw new StateIoError(`cannot write ${path}`, error);
  }
}

/** Writes all of `text` at the file's position (a short write is continued, not lost). */
export function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}
