import { stripVTControlCharacters } from 'node:util';
import { z } from 'zod';
import { defineAction, type ActionContext, type ActionOutcome, type Adapter } from '../adapter.js';
import { formatArgv } from '../../common/quote.js';
import { binaryPreflight } from '../support/preflight.js';
import { runTool } from '../support/run-tool.js';
import {
  nameInput,
  rollbackInput,
  secretPutInput,
  tailInput,
  versionInput,
  type RollbackInput,
  type SecretPutInput,
} from './inputs.js';
import {
  BINARY,
  deploymentStatusArgv,
  deploymentsArgv,
  describeTail,
  rollbackArgv,
  secretPutArgv,
  versionViewArgv,
  versionsArgv,
  whoamiArgv,
  wranglerEnv,
  wranglerRequest,
} from './argv.js';
import {
  parseDeploymentStatus,
  parseDeployments,
  parseVersionView,
  parseVersions,
  parseWhoami,
} from './parse.js';
import { WORKER_NOT_FOUND, cleanOutcome } from './errors.js';
import { runTail } from './tail.js';
import { WRANGLER_OUTPUTS } from './outputs.js';

/** Runs wrangler; a failure's `error` is wrangler's own message, without colours. */
async function runWrangler(
  ctx: ActionContext,
  argv: readonly string[],
  parse?: (stdout: string) => Record<string, unknown>,
  input?: string,
): Promise<ActionOutcome> {
  const outcome = await runTool(
    ctx,
    wranglerRequest(ctx, argv, input),
    parse && ((result) => parse(stripVTControlCharacters(result.stdout))),
  );
  return cleanOutcome(outcome);
}

async function runRollback(input: RollbackInput, ctx: ActionContext): Promise<ActionOutcome> {
  const outcome = await runWrangler(ctx, rollbackArgv(input));
  if (!outcome.ok) return outcome;
  outcome.outputs.message = input.message;
  // rollback has no JSON mode: what is active now comes from the deployment status.
  const status = await runWrangler(ctx, deploymentStatusArgv(input.name), parseDeploymentStatus);
  const active = status.ok ? (status.outputs.version_id as string | null) : null;
  outcome.outputs.version_id = input.version_id ?? active;
  outcome.outputs.active_version_id = active;
  if (status.ok) outcome.outputs.deployment = status.outputs.deployment;
  else outcome.outputs.status_error = status.error ?? 'could not read the deployment status';
  return outcome;
}

async function runSecretPut(input: SecretPutInput, ctx: ActionContext): Promise<ActionOutcome> {
  // wrangler creates a new, empty Worker when the name is unknown: a typo must not do that.
  const check = await runWrangler(ctx, deploymentStatusArgv(input.name));
  const code = check.outputs.api_error_code;
  if (!check.ok && typeof code === 'number' && WORKER_NOT_FOUND.has(code)) {
    return {
      ...check,
      error: `Worker "${input.name}" does not exist on this account (wrangler secret put would create it): check the name`,
    };
  }
  if (check.interrupted || check.timedOut) return check;
  const outcome = await runWrangler(
    ctx,
    secretPutArgv(input.name, input.key),
    undefined,
    input.value,
  );
  outcome.outputs.name = input.name;
  outcome.outputs.key = input.key;
  return outcome;
}

async function runWhoami(ctx: ActionContext): Promise<ActionOutcome> {
  const outcome = await runWrangler(ctx, whoamiArgv());
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = parseWhoami(String(outcome.outputs.stdout ?? ''));
  } catch {
    // Not JSON: wrangler failed before it could answer; its error stands.
  }
  if (!parsed) return outcome;
  Object.assign(outcome.outputs, parsed);
  if (parsed.logged_in === false)
    return {
      ...outcome,
      ok: false,
      error:
        'not authenticated with Cloudflare: set CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID) in the environment',
    };
  return outcome;
}

export const wrangler = {
  name: 'wrangler',
  summary:
    'Cloudflare Workers through the wrangler CLI: deployments, versions, rollback, secrets, tail',
  binary: BINARY,
  actions: {
    deployments: defineAction({
      summary:
        'Recent deployments, newest first: deployments, current_version_id, previous_version_id',
      input: nameInput,
      effect: 'read',
      outputs: WRANGLER_OUTPUTS.deployments,
      describe: (input) => formatArgv(deploymentsArgv(input.name)),
      run: (input, ctx) => runWrangler(ctx, deploymentsArgv(input.name), parseDeployments),
    }),
    deployment_status: defineAction({
      summary: 'The active deployment: deployment, version_id (most traffic), versions',
      input: nameInput,
      effect: 'read',
      outputs: WRANGLER_OUTPUTS.deployment_status,
      describe: (input) => formatArgv(deploymentStatusArgv(input.name)),
      run: (input, ctx) =>
        runWrangler(ctx, deploymentStatusArgv(input.name), parseDeploymentStatus),
    }),
    versions: defineAction({
      summary: 'Recent Versions, newest first: versions (id, tag, message, …), latest_version_id',
      input: nameInput,
      effect: 'read',
      outputs: WRANGLER_OUTPUTS.versions,
      describe: (input) => formatArgv(versionsArgv(input.name)),
      run: (input, ctx) => runWrangler(ctx, versionsArgv(input.name), parseVersions),
    }),
    version: defineAction({
      summary: 'One Version: version (tag, message, compatibility date, handlers, bindings)',
      input: versionInput,
      effect: 'read',
      outputs: WRANGLER_OUTPUTS.version,
      describe: (input) => formatArgv(versionViewArgv(input.name, input.version_id)),
      run: (input, ctx) =>
        runWrangler(ctx, versionViewArgv(input.name, input.version_id), parseVersionView),
    }),
    rollback: defineAction({
      summary:
        'Serve an earlier Version to 100% of traffic: version_id, active_version_id, deployment',
      input: rollbackInput,
      effect: 'destructive',
      outputs: WRANGLER_OUTPUTS.rollback,
      describe: (input) => formatArgv(rollbackArgv(input)),
      run: runRollback,
    }),
    secret_put: defineAction({
      summary: 'Set (rotate) a secret of a Worker; the value goes to wrangler on stdin',
      input: secretPutInput,
      effect: 'destructive',
      outputs: WRANGLER_OUTPUTS.secret_put,
      describe: (input) => formatArgv(secretPutArgv(input.name, input.key)),
      run: runSecretPut,
    }),
    whoami: defineAction({
      summary: 'Who the credentials belong to: logged_in, auth_type, email, accounts',
      input: z.strictObject({}),
      effect: 'read',
      outputs: WRANGLER_OUTPUTS.whoami,
      describe: () => formatArgv(whoamiArgv()),
      run: (_input, ctx) => runWhoami(ctx),
    }),
    tail: defineAction({
      summary:
        'Live invocation logs for a while: events (outcome, request, logs, exceptions), count',
      input: tailInput,
      effect: 'read',
      outputs: WRANGLER_OUTPUTS.tail,
      describe: describeTail,
      run: runTail,
    }),
  },
  preflight: ({ env }) =>
    binaryPreflight(
      BINARY,
      { ...env, ...wranglerEnv(env) },
      {
        versionArgs: ['--version'],
        pickVersion: (output) => /\d+\.\d+\.\d+\S*/.exec(output)?.[0],
        hint: 'install wrangler (npm i -g wrangler; 4.86.0 is the last release for Node 20)',
      },
    ),
} satisfies Adapter;
