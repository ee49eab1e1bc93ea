// A third-party runbook adapter: Vercel deployments through Vercel's REST API.
// It uses only the public adapter interface (an object with name, actions and preflight; each
// action has a zod `input`, an `effect`, `describe` and `run`) and Node's own fetch. Load it from
// runbook.config.yaml:  adapters: [runbook-adapter-vercel]   (or a path to this file)
//
// Authentication: the token is read from the step environment (VERCEL_TOKEN), never from `with:`,
// so it appears in no command line, journal or report.
import { z } from 'zod';

const DEFAULT_API = 'https://api.vercel.com';

const common = {
  project: z.string().min(1).describe('Project id or name'),
  team: z.string().min(1).optional().describe('Team id (teamId), for team projects'),
  api_url: z
    .string()
    .url()
    .optional()
    .describe('API base URL (default https://api.vercel.com, or $VERCEL_API_URL)'),
};

function apiBase(input, env) {
  return (input.api_url ?? env.VERCEL_API_URL ?? DEFAULT_API).replace(/\/+$/, '');
}

function withTeam(path, input) {
  if (!input.team) return path;
  return `${path}${path.includes('?') ? '&' : '?'}teamId=${encodeURIComponent(input.team)}`;
}

async function call(method, url, ctx) {
  const token = ctx.env.VERCEL_TOKEN;
  if (!token)
    return {
      ok: false,
      exitCode: null,
      outputs: {},
      error: 'VERCEL_TOKEN is not set in the environment',
    };
  const started = performance.now();
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}` },
      signal: ctx.signal,
    });
  } catch (error) {
    const reason = ctx.signal.aborted
      ? 'interrupted or timed out'
      : (error.cause?.code ?? error.message);
    return {
      ok: false,
      exitCode: null,
      outputs: {},
      error: `${new URL(url).host}: ${reason}`,
      interrupted: ctx.signal.aborted,
    };
  }
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = undefined;
  }
  const outputs = { status: response.status, latency_ms: Math.round(performance.now() - started) };
  if (!response.ok) {
    const message = json?.error?.message ?? text.slice(0, 200);
    return {
      ok: false,
      exitCode: null,
      outputs,
      error: `Vercel API ${response.status}: ${message}`,
    };
  }
  return { ok: true, exitCode: null, outputs, json };
}

function deploymentOf(raw) {
  return {
    id: raw.uid ?? raw.id,
    url: raw.url,
    name: raw.name,
    state: raw.state ?? raw.readyState,
    target: raw.target ?? null,
    created_at: new Date(raw.created ?? raw.createdAt).toISOString(),
    creator: raw.creator?.username ?? null,
    commit: raw.meta?.githubCommitSha ?? null,
  };
}

// What each action's outputs are called and hold: runbook validate refuses an expression that
// reads another name, and runbook adapters and show list them (docs/adapters.md#outputs).
const REQUEST_OUTPUTS = {
  status: { type: 'int', description: 'HTTP status of the Vercel API' },
  latency_ms: { type: 'int', description: 'How long the request took, in milliseconds' },
};
const DEPLOYMENT_OUTPUTS = {
  id: { type: 'string', description: 'Deployment id (dpl_…)' },
  url: { type: 'string', description: 'Deployment URL' },
  name: { type: 'string', description: 'Project name' },
  state: { type: 'string', description: 'READY, ERROR, BUILDING, QUEUED, CANCELED' },
  target: { type: 'string', nullable: true, description: 'production, or null for a preview' },
  created_at: { type: 'string', description: 'When it was created (ISO 8601)' },
  creator: { type: 'string', nullable: true, description: 'Who deployed it' },
  commit: { type: 'string', nullable: true, description: 'Git commit it was built from' },
};

export default {
  name: 'vercel',
  summary:
    'Vercel deployments through the REST API: list, inspect, roll back (token from $VERCEL_TOKEN)',
  actions: {
    ls: {
      summary:
        'List recent deployments of a project, newest first: deployments, latest, previous_ready',
      effect: 'read',
      outputs: {
        ...REQUEST_OUTPUTS,
        deployments: {
          type: 'list',
          description: 'Deployments, newest first (as inspect gives one)',
        },
        count: { type: 'int', description: 'How many deployments' },
        latest: { type: 'map', nullable: true, description: 'The newest deployment' },
        previous_ready: {
          type: 'map',
          nullable: true,
          description: 'The newest READY deployment after the latest: what a rollback goes back to',
        },
      },
      input: z.strictObject({
        ...common,
        limit: z.int().min(1).max(100).optional().describe('How many (default 10)'),
        target: z.enum(['production', 'preview']).optional(),
      }),
      describe: (input) =>
        `GET ${input.api_url ?? DEFAULT_API}${withTeam(`/v6/deployments?projectId=${input.project}&limit=${input.limit ?? 10}${input.target ? `&target=${input.target}` : ''}`, input)}`,
      run: async (input, ctx) => {
        const path = `/v6/deployments?projectId=${encodeURIComponent(input.project)}&limit=${input.limit ?? 10}${input.target ? `&target=${input.target}` : ''}`;
        const result = await call('GET', `${apiBase(input, ctx.env)}${withTeam(path, input)}`, ctx);
        if (!result.ok) return result;
        const deployments = (result.json.deployments ?? []).map(deploymentOf);
        // The newest healthy deployment that is not the latest one: what a rollback goes back to.
        const ready = deployments.slice(1).filter((d) => d.state === 'READY');
        return {
          ok: true,
          exitCode: null,
          outputs: {
            ...result.outputs,
            deployments,
            count: deployments.length,
            latest: deployments[0] ?? null,
            previous_ready: ready[0] ?? null,
          },
        };
      },
    },
    inspect: {
      summary: 'One deployment by id or URL: state, target, url, aliases',
      effect: 'read',
      outputs: {
        ...REQUEST_OUTPUTS,
        ...DEPLOYMENT_OUTPUTS,
        aliases: { type: 'list', description: 'Its aliases (domains)' },
        error_message: { type: 'string', nullable: true, description: 'Why its build failed' },
      },
      input: z.strictObject({
        ...common,
        project: common.project.optional(),
        deployment: z.string().min(1).describe('Deployment id or URL'),
      }),
      describe: (input) =>
        `GET ${input.api_url ?? DEFAULT_API}${withTeam(`/v13/deployments/${input.deployment}`, input)}`,
      run: async (input, ctx) => {
        const result = await call(
          'GET',
          `${apiBase(input, ctx.env)}${withTeam(`/v13/deployments/${encodeURIComponent(input.deployment)}`, input)}`,
          ctx,
        );
        if (!result.ok) return result;
        return {
          ok: true,
          exitCode: null,
          outputs: {
            ...result.outputs,
            ...deploymentOf(result.json),
            aliases: result.json.alias ?? [],
            error_message: result.json.errorMessage ?? null,
          },
        };
      },
    },
    rollback: {
      summary: 'Roll production back to an earlier deployment (instant rollback)',
      effect: 'destructive',
      outputs: {
        ...REQUEST_OUTPUTS,
        deployment: { type: 'string', description: 'The deployment production was rolled back to' },
      },
      input: z.strictObject({
        ...common,
        deployment: z.string().min(1).describe('The deployment id to roll back to'),
      }),
      describe: (input) =>
        `POST ${input.api_url ?? DEFAULT_API}${withTeam(`/v9/projects/${input.project}/rollback/${input.deployment}`, input)}`,
      run: async (input, ctx) => {
        const path = `/v9/projects/${encodeURIComponent(input.project)}/rollback/${encodeURIComponent(input.deployment)}`;
        const result = await call(
          'POST',
          `${apiBase(input, ctx.env)}${withTeam(path, input)}`,
          ctx,
        );
        if (!result.ok) return result;
        return {
          ok: true,
          exitCode: null,
          outputs: { ...result.outputs, deployment: input.deployment },
        };
      },
    },
  },
  preflight: ({ env }) =>
    Promise.resolve(
      env.VERCEL_TOKEN
        ? { ok: true }
        : {
            ok: false,
            problem: 'VERCEL_TOKEN is not set',
            hint: 'create a token at vercel.com/account/tokens and export VERCEL_TOKEN',
          },
    ),
};
