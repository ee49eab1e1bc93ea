import type { ActionContext, ActionOutcome } from '../adapter.js';
import { tryParseJson } from '../../common/json.js';
import { processOutcome } from '../support/process-outcome.js';
import { firstLine } from '../support/lines.js';
import { formatDuration, parseDuration } from '../../common/duration.js';
import { DEFAULT_TIMEOUT } from './inputs.js';
import { buildCurl, splitCredentials, type CurlCall } from './argv.js';
import { lastBody, msFromSeconds, parseWriteOut, timings } from './parse.js';
import { describeCurlExit, targetOf } from './errors.js';

/** `%{json}` needs curl 7.70 and `%{header_json}` 7.83. */
export const MIN_VERSION = [7, 83] as const;

/** Runs one curl transfer: the HTTP status, timings, headers, body (and json), and exit_code. */
export async function runCurl(call: CurlCall, ctx: ActionContext): Promise<ActionOutcome> {
  const { request } = buildCurl(call);
  const result = await ctx.exec(request);
  const { messages, writeOut, headers } = parseWriteOut(result.stderr);
  const base = processOutcome({ ...result, stdout: '', stderr: messages }, ctx.timeoutMs);
  if (result.error || result.timedOut || result.interrupted)
    return { ...base, ok: false, outputs: { exit_code: result.exitCode } };
  if (!writeOut) {
    const said = firstLine(messages);
    return {
      ...base,
      ok: false,
      outputs: { exit_code: result.exitCode },
      error:
        result.exitCode !== 0 && said
          ? `curl exit ${String(result.exitCode)}: ${said}`
          : `could not read curl's --write-out output (the curl adapter needs curl ${MIN_VERSION.join('.')} or later)`,
    };
  }
  const status = writeOut.http_code ?? 0;
  // With --head, stdout holds the headers, which are already in `headers`.
  const body = call.head ? '' : lastBody(result.stdout, writeOut.size_download);
  const outputs: Record<string, unknown> = {
    status,
    ...timings(writeOut),
    latency_ms: msFromSeconds(writeOut.time_total ?? 0),
    size_bytes: writeOut.size_download ?? 0,
    remote_ip: writeOut.remote_ip ?? '',
    http_version: writeOut.http_version ?? '',
    content_type: writeOut.content_type ?? null,
    url: writeOut.url_effective ?? splitCredentials(call.url).url,
    redirects: writeOut.num_redirects ?? 0,
    headers,
    body,
    exit_code: result.exitCode,
  };
  const json = tryParseJson(body);
  if (json !== undefined) outputs.json = json;
  const exitCode = result.exitCode ?? -1;
  const target = targetOf(call.url);
  const outcome: ActionOutcome = {
    ok: exitCode === 0 && status > 0 && status < 400,
    exitCode: result.exitCode,
    outputs,
    stderr: messages,
  };
  if (exitCode !== 0) {
    const timeout = formatDuration(parseDuration(call.timeout ?? DEFAULT_TIMEOUT));
    outcome.error = describeCurlExit(
      exitCode,
      status,
      target,
      timeout,
      writeOut.errormsg ?? firstLine(messages),
    );
    if (exitCode === 28) outcome.timedOut = true;
  } else if (!outcome.ok) outcome.error = `HTTP ${status} from ${target}`;
  return outcome;
}
