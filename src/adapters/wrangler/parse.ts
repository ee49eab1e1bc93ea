import { z } from 'zod';

const rawTraffic = z.looseObject({ version_id: z.string(), percentage: z.number() });

const rawDeployment = z.looseObject({
  id: z.string(),
  created_on: z.string(),
  source: z.string().nullish(),
  author_email: z.string().nullish(),
  annotations: z.record(z.string(), z.unknown()).nullish(),
  versions: z.array(rawTraffic),
});

const rawVersion = z.looseObject({
  id: z.string(),
  number: z.number().nullish(),
  metadata: z
    .looseObject({
      created_on: z.string().nullish(),
      source: z.string().nullish(),
      author_email: z.string().nullish(),
    })
    .nullish(),
  annotations: z.record(z.string(), z.unknown()).nullish(),
  resources: z
    .looseObject({
      script: z.looseObject({ handlers: z.array(z.string()).nullish() }).nullish(),
      script_runtime: z
        .looseObject({
          compatibility_date: z.string().nullish(),
          compatibility_flags: z.array(z.string()).nullish(),
        })
        .nullish(),
      bindings: z.array(z.looseObject({ name: z.string(), type: z.string() })).nullish(),
    })
    .nullish(),
});

const rawWhoami = z.looseObject({
  loggedIn: z.boolean(),
  authType: z.string().nullish(),
  email: z.string().nullish(),
  accounts: z.array(z.looseObject({ id: z.string(), name: z.string().nullish() })).nullish(),
});

/** A deployment: which Versions serve which share of traffic. */
export interface Deployment {
  id: string;
  created_on: string;
  author: string | null;
  source: string | null;
  message: string | null;
  versions: Array<{ version_id: string; percentage: number }>;
}

/** A Worker Version as listed. */
export interface Version {
  id: string;
  number: number | null;
  created_on: string | null;
  author: string | null;
  source: string | null;
  tag: string | null;
  message: string | null;
}

/** The JSON document on stdout; tolerates lines printed before it (warnings of other versions). */
export function readJson(stdout: string): unknown {
  const text = stdout.trim();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const lines = text.split('\n');
    const start = lines.findIndex((line) => /^[[{]/.test(line));
    if (start > 0) {
      try {
        return JSON.parse(lines.slice(start).join('\n')) as unknown;
      } catch {
        // Reported below.
      }
    }
    throw new Error(`expected JSON, got ${JSON.stringify(text.slice(0, 80))}`);
  }
}

function parseAs<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new Error(`unexpected ${what}${where}: ${issue?.message ?? 'invalid'}`);
}

function annotation(
  annotations: Record<string, unknown> | null | undefined,
  key: string,
): string | null {
  const value = annotations?.[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

export function toDeployment(raw: z.output<typeof rawDeployment>): Deployment {
  return {
    id: raw.id,
    created_on: raw.created_on,
    author: raw.author_email ?? null,
    source: raw.source ?? null,
    message: annotation(raw.annotations, 'workers/message'),
    versions: raw.versions.map((v) => ({ version_id: v.version_id, percentage: v.percentage })),
  };
}

export function toVersion(raw: z.output<typeof rawVersion>): Version {
  return {
    id: raw.id,
    number: raw.number ?? null,
    created_on: raw.metadata?.created_on ?? null,
    author: raw.metadata?.author_email ?? null,
    source: raw.metadata?.source ?? null,
    tag: annotation(raw.annotations, 'workers/tag'),
    message: annotation(raw.annotations, 'workers/message'),
  };
}

/** The Version serving the most traffic (the first, on a tie). */
export function primaryVersion(deployment: Deployment | undefined): string | null {
  let best: { version_id: string; percentage: number } | undefined;
  for (const version of deployment?.versions ?? [])
    if (!best || version.percentage > best.percentage) best = version;
  return best?.version_id ?? null;
}

/**
 * Deployments newest first (whatever order wrangler printed them in), the active Version, and
 * the Version that served all traffic in the latest earlier deployment of a different Version.
 */
export function parseDeployments(stdout: string): Record<string, unknown> {
  const list = parseAs(z.array(rawDeployment), readJson(stdout), 'deployments list')
    .map(toDeployment)
    .sort((a, b) => b.created_on.localeCompare(a.created_on));
  const current = primaryVersion(list[0]);
  let previous: string | null = null;
  for (const deployment of list.slice(1)) {
    const stable = deployment.versions.find((v) => v.percentage === 100);
    if (stable && stable.version_id !== current) {
      previous = stable.version_id;
      break;
    }
  }
  return {
    deployments: list,
    count: list.length,
    current_deployment_id: list[0]?.id ?? null,
    current_version_id: current,
    previous_version_id: previous,
  };
}

export function parseDeploymentStatus(stdout: string): Record<string, unknown> {
  const deployment = toDeployment(parseAs(rawDeployment, readJson(stdout), 'deployment'));
  return {
    deployment,
    deployment_id: deployment.id,
    version_id: primaryVersion(deployment),
    versions: deployment.versions,
  };
}

/** Versions newest first. */
export function parseVersions(stdout: string): Record<string, unknown> {
  const versions = parseAs(z.array(rawVersion), readJson(stdout), 'versions list')
    .map(toVersion)
    .sort((a, b) => (b.created_on ?? '').localeCompare(a.created_on ?? ''));
  return { versions, count: versions.length, latest_version_id: versions[0]?.id ?? null };
}

export function parseVersionView(stdout: string): Record<string, unknown> {
  const raw = parseAs(rawVersion, readJson(stdout), 'version');
  return {
    version: {
      ...toVersion(raw),
      compatibility_date: raw.resources?.script_runtime?.compatibility_date ?? null,
      compatibility_flags: raw.resources?.script_runtime?.compatibility_flags ?? [],
      handlers: raw.resources?.script?.handlers ?? [],
      bindings: (raw.resources?.bindings ?? []).map((b) => ({ name: b.name, type: b.type })),
    },
  };
}

export function parseWhoami(stdout: string): Record<string, unknown> {
  const raw = parseAs(rawWhoami, readJson(stdout), 'whoami');
  return {
    logged_in: raw.loggedIn,
    auth_type: raw.authType ?? null,
    email: raw.email ?? null,
    accounts: (raw.accounts ?? []).map((a) => ({ id: a.id, name: a.name ?? null })),
  };
}
