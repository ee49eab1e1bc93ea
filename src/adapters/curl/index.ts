import { defineAction, httpStatusOk, type Adapter, type Preflight } from '../adapter.js';
import { binaryPreflight } from '../support/preflight.js';
import { getInput, requestInput } from './inputs.js';
import { CURL, describeCurl, getCall, requestCall } from './argv.js';
import { MIN_VERSION, runCurl } from './run.js';
import { CURL_OUTPUTS } from './outputs.js';

/** curl on PATH, recent enough for the JSON write-out. */
export async function curlPreflight(env: Record<string, string | undefined>): Promise<Preflight> {
  const found = await binaryPreflight(CURL, env, {
    versionArgs: ['--version'],
    pickVersion: (output) => /^curl (\d+\.\d+(?:\.\d+)?)/m.exec(output)?.[1],
    hint: 'install curl (apt-get install curl)',
  });
  if (!found.ok || !found.version) return found;
  const [major = 0, minor = 0] = found.version.split('.').map(Number);
  if (major > MIN_VERSION[0] || (major === MIN_VERSION[0] && minor >= MIN_VERSION[1])) return found;
  return {
    ...found,
    ok: false,
    problem: `curl ${found.version} is too old: the curl adapter needs ${MIN_VERSION.join('.')} or later (--write-out %{json} and %{header_json})`,
    hint: 'upgrade curl',
  };
}

const OUTPUTS =
  'outputs status, dns_ms, connect_ms, tls_ms, ttfb_ms, server_ms, total_ms, latency_ms, headers, body, json, exit_code';

export const curl = {
  name: 'curl',
  summary: 'HTTP through the curl binary, with its timing breakdown and exit codes',
  binary: CURL,
  actions: {
    get: defineAction({
      summary: `curl GET (or HEAD): ${OUTPUTS}`,
      input: getInput,
      effect: 'read',
      outputs: CURL_OUTPUTS,
      describe: (input) => describeCurl(getCall(input)),
      run: (input, ctx) => runCurl(getCall(input), ctx),
      okOf: httpStatusOk,
    }),
    request: defineAction({
      summary: `curl with any method and a body (a write): ${OUTPUTS}`,
      input: requestInput,
      effect: 'write',
      outputs: CURL_OUTPUTS,
      describe: (input) => describeCurl(requestCall(input)),
      run: (input, ctx) => runCurl(requestCall(input), ctx),
      okOf: httpStatusOk,
    }),
  },
  preflight: ({ env }) => curlPreflight(env),
} satisfies Adapter;
