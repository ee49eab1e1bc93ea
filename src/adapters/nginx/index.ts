import {
  defineAction,
  type ActionContext,
  type ActionOutcome,
  type Adapter,
  type CodeInputs,
} from '../adapter.js';
import { describeCurl } from '../curl/argv.js';
import { runCurl } from '../curl/run.js';
import { binaryPreflight } from '../support/preflight.js';
import { runTool } from '../support/run-tool.js';
import { parseDuration } from '../../common/duration.js';
import {
  controlInput,
  rateLimitedInput,
  statusInput,
  type ControlInput,
  type RateLimitedInput,
  type StatusInput,
} from './inputs.js';
import {
  NGINX,
  RELOAD,
  TEST,
  describeRequest,
  nginxRequest,
  rateLimitedRequest,
  statusCall,
} from './argv.js';
import {
  formatMessage,
  nginxOutputs,
  parseNginxOutput,
  parseRateLimitLines,
  parseStubStatus,
  rateLimitOutputs,
} from './parse.js';
import { NGINX_OUTPUTS } from './outputs.js';

async function testConfig(input: ControlInput, ctx: ActionContext): Promise<ActionOutcome> {
  const outcome = await runTool(ctx, nginxRequest(input, TEST));
  const stderr = String(outcome.outputs.stderr ?? '');
  const outputs = nginxOutputs(stderr);
  const valid = outcome.ok && parseNginxOutput(stderr).successful;
  Object.assign(outcome.outputs, outputs, { valid });
  const first = outputs.errors[0];
  if (!outcome.ok && outcome.exitCode !== null && first)
    outcome.error = `nginx -t failed: ${formatMessage(first)}`;
  return outcome;
}

async function reload(input: ControlInput, ctx: ActionContext): Promise<ActionOutcome> {
  const outcome = await runTool(ctx, nginxRequest(input, RELOAD));
  const outputs = nginxOutputs(String(outcome.outputs.stderr ?? ''));
  Object.assign(outcome.outputs, outputs, { signalled: outcome.ok });
  const first = outputs.errors[0];
  if (!outcome.ok && first) {
    const pidFile = /^open\(\) "(.+)" failed \(2: No such file or directory\)$/.exec(first.message);
    outcome.error =
      pidFile && pidFile[1]?.endsWith('.pid')
        ? `nginx is not running: no pid file at ${pidFile[1]} (start it, or point config/prefix at the running instance)`
        : `nginx -s reload failed: ${formatMessage(first)}`;
  }
  return outcome;
}

async function status(input: StatusInput, ctx: ActionContext): Promise<ActionOutcome> {
  const outcome = await runCurl(statusCall(input), ctx);
  const counters =
    typeof outcome.outputs.body === 'string' ? parseStubStatus(outcome.outputs.body) : undefined;
  Object.assign(outcome.outputs, counters ?? {}, { stub_status: counters !== undefined });
  return outcome;
}

async function rateLimited(input: RateLimitedInput, ctx: ActionContext): Promise<ActionOutcome> {
  const since = input.since === undefined ? undefined : Date.now() - parseDuration(input.since);
  const outcome = await runTool(ctx, rateLimitedRequest(input), (result) => ({
    ...rateLimitOutputs(parseRateLimitLines(result.stdout), {
      zone: input.zone,
      since,
      recent: input.recent,
    }),
    scanned_lines: result.stdout ? result.stdout.trimEnd().split('\n').length : 0,
  }));
  // The log itself is not an output: entries and counts are, and it may be megabytes.
  delete outcome.outputs.stdout;
  delete outcome.outputs.json;
  const said = String(outcome.outputs.stderr ?? '').split('\n')[0];
  if (!outcome.ok && outcome.exitCode !== null && outcome.exitCode !== 0 && said)
    outcome.error = `could not read ${input.error_log}: ${said}`;
  return outcome;
}

/** `global:` is nginx configuration (directives for `nginx -g`): a value templated into it could
 * add directives of its own. */
const GLOBAL_CODE: CodeInputs = {
  keys: ['global'],
  hint: () =>
    'write the directives out in global:, or put the value in the configuration file nginx reads (config:)',
};

const CONTROL_FLAGS = '(-p/-c/-e/-g from prefix, config, error_log, global)';

export const nginx = {
  name: 'nginx',
  summary: 'nginx: test and reload its configuration, read stub_status and rate-limit rejections',
  binary: NGINX,
  actions: {
    test: defineAction({
      summary: `nginx -t ${CONTROL_FLAGS}: outputs valid, syntax_ok, config_file, errors and warnings (file, line, message)`,
      input: controlInput,
      effect: 'read',
      outputs: NGINX_OUTPUTS.test,
      describe: (input) => describeRequest(nginxRequest(input, TEST)),
      run: testConfig,
      codeInputs: GLOBAL_CODE,
    }),
    reload: defineAction({
      summary: `nginx -s reload ${CONTROL_FLAGS}: signals the master to re-read its configuration (old workers serve for ~100 ms more); outputs signalled, errors`,
      input: controlInput,
      effect: 'write',
      outputs: NGINX_OUTPUTS.reload,
      describe: (input) => describeRequest(nginxRequest(input, RELOAD)),
      run: reload,
      codeInputs: GLOBAL_CODE,
    }),
    status: defineAction({
      summary:
        'GET a stub_status (or health) URL with curl: outputs status, latency_ms, and active_connections, accepts, handled, requests, reading, writing, waiting, dropped',
      input: statusInput,
      effect: 'read',
      outputs: NGINX_OUTPUTS.status,
      describe: (input) => describeCurl(statusCall(input)),
      run: status,
    }),
    rate_limited: defineAction({
      summary:
        'Rejections by limit_req in the error log ("limiting requests"): outputs count, zones, clients, entries (time, client, zone, excess, request), delayed',
      input: rateLimitedInput,
      effect: 'read',
      outputs: NGINX_OUTPUTS.rate_limited,
      describe: (input) => describeRequest(rateLimitedRequest(input)),
      run: rateLimited,
    }),
  },
  preflight: ({ env }) =>
    binaryPreflight(NGINX, env, {
      versionArgs: ['-v'],
      pickVersion: (output) => /nginx\/(\S+)/.exec(output)?.[1],
      hint: 'install nginx (apt-get install nginx), or give actions binary: /usr/sbin/nginx',
    }),
} satisfies Adapter;
