import type { ProcessRequest, ProcessResult } from '../adapter.js';
import { firstLine, lineMatching } from '../support/lines.js';
import type { Unavailable } from '../support/run-tool.js';
import { SYSTEMCTL } from './argv.js';

/** What a failed systemctl or journalctl said, in one line. */
export function toolError(request: ProcessRequest, result: ProcessResult): string | undefined {
  const said = firstLine(result.stderr) ?? firstLine(result.stdout);
  if (!said) return undefined;
  const verb = request.args.find((arg) => !arg.startsWith('-')) ?? '';
  const command = request.file === SYSTEMCTL ? `systemctl ${verb}` : request.file;
  return `${command} failed (exit ${String(result.exitCode)}): ${said}`;
}

/** systemctl and journalctl ran, but no systemd answered them (not booted with it, no bus). */
export const managerDown: Unavailable = (result) => {
  const message = lineMatching(
    result.stderr,
    /has not been booted with systemd|Failed to connect to bus|Failed to get D-Bus connection/,
  );
  return message === undefined
    ? undefined
    : {
        message,
        hint: 'systemd units need a machine booted with systemd; run the step there (on: <host>)',
      };
};
