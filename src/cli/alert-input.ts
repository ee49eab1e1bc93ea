import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../common/errors.js';
import {
  AlertPayloadError,
  MAX_ALERT_BYTES,
  parseAlertPayload,
  type Alert,
} from '../schema/alert-payload.js';
import { flag } from './define.js';
import type { Io } from './io.js';

/** `--alert FILE|-`, for `run` and `match` (docs/commands.md#alert-payloads). */
export const alertFlag = flag.string(
  '--alert <file>',
  'an alert payload (Alertmanager, Grafana or PagerDuty webhook JSON; - for stdin)',
);

/** Reads and parses the payload of `--alert` (a file, or `-` for standard input): one clear
 * message for a file that cannot be read, is too large, or is not an alert payload. */
export async function readAlert(where: string, io: Io): Promise<Alert> {
  const shown = where === '-' ? 'standard input' : where;
  const bytes = where === '-' ? await readStdin(io) : readFile(resolve(io.cwd, where), where);
  // (resolve makes an empty path the working directory: readFile refuses it by `where`.)
  try {
    return parseAlertPayload(bytes.toString('utf8'));
  } catch (error) {
    if (!(error instanceof AlertPayloadError)) throw error;
    throw new UsageError(
      `--alert ${shown}: ${error.message}`,
      'give the JSON body an Alertmanager, Grafana or PagerDuty (v3) webhook posts (docs/format.md#alert-payloads)',
    );
  }
}

function tooLarge(shown: string): UsageError {
  return new UsageError(
    `--alert ${shown}: larger than ${MAX_ALERT_BYTES / 1024 / 1024} MiB, more than any alert payload`,
    'give the body of one webhook call',
  );
}

function readFile(path: string, shown: string): Buffer {
  if (shown === '')
    throw new UsageError(
      '--alert needs a file, and got an empty path',
      'give the file an alert webhook payload was saved to, or - to read it from standard input',
    );
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--alert ${shown}: ${
        code === 'ENOENT'
          ? 'no such file'
          : code === 'EACCES'
            ? 'permission denied'
            : code === 'EISDIR'
              ? 'is a directory'
              : (error as Error).message
      }`,
      'give the file an alert webhook payload was saved to, or - to read it from standard input',
    );
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory())
      throw new UsageError(`--alert ${shown}: is a directory`, 'give a JSON file');
    if (stat.isFile() && stat.size > MAX_ALERT_BYTES) throw tooLarge(shown);
    // Read up to one byte past the bound: a FIFO or a file that grew says its size only so.
    const buffer = Buffer.alloc(MAX_ALERT_BYTES + 1);
    let length = 0;
    for (;;) {
      let read: number;
      try {
        read = readSync(fd, buffer, length, buffer.length - length, null);
      } catch (error) {
        throw new UsageError(`--alert ${shown}: cannot read it: ${(error as Error).message}`);
      }
      if (read === 0) break;
      length += read;
      if (length > MAX_ALERT_BYTES) throw tooLarge(shown);
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

async function readStdin(io: Io): Promise<Buffer> {
  const { stdin } = io;
  if (stdin.isTTY)
    throw new UsageError(
      '--alert -: standard input is a terminal',
      'pipe the payload in: runbook run --alert - < alert.json',
    );
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    length += bytes.length;
    if (length > MAX_ALERT_BYTES) {
      if ('destroy' in stdin && typeof stdin.destroy === 'function') stdin.destroy();
      throw tooLarge('-');
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}
