import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { InvalidRunbookError, type Diagnostic } from '../common/errors.js';
import { once } from '../common/once.js';
import { schemeProblems } from './severity.js';
import { loadInventory } from './inventory.js';
import { parseYaml } from './yaml-source.js';
import { diagnosticsFromZod } from './zod-diagnostics.js';

export const CONFIG_FILE = 'runbook.config.yaml';
export const DEFAULT_SCHEME = ['P0', 'P1', 'P2', 'P3', 'P4'];

/** Severity scales every installation knows, most severe first; the config may add or override
 * them. The shipped runbooks use p0-p3 and p1-p4, so they validate with no config file at all. */
export const BUILTIN_SCHEMES: Readonly<Record<string, readonly string[]>> = {
  default: DEFAULT_SCHEME,
  'p0-p3': ['P0', 'P1', 'P2', 'P3'],
  'p1-p4': ['P1', 'P2', 'P3', 'P4'],
  'sev1-sev5': ['SEV1', 'SEV2', 'SEV3', 'SEV4', 'SEV5'],
  'critical-warning-info': ['critical', 'warning', 'info'],
};

/** Per built-in scheme, the first level from which `runbook check` grades a failed expectation
 * WARNING (docs/monitoring.md#states). The numbered scales say nothing: every level is CRITICAL. */
export const BUILTIN_WARN_FROM: Readonly<Record<string, string>> = {
  'critical-warning-info': 'warning',
};

function builtinSchemes(): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(BUILTIN_SCHEMES).map(([name, levels]) => [name, [...levels]]),
  );
}

/** Built on first use: without a config file there is nothing to validate. */
const buildConfigSchema = () =>
  z.strictObject({
    dirs: z
      .array(z.string().min(1))
      .optional()
      .describe('Where runbooks are found (relative to this file)'),
    severity_schemes: z
      .record(
        z.string(),
        z.union(
          [
            z.array(z.string().min(1)).min(1),
            z.strictObject({
              levels: z.array(z.string().min(1)).min(1),
              warn_from: z
                .string()
                .min(1)
                .optional()
                .describe('From this level on, check grades a failed expectation WARNING'),
            }),
          ],
          { error: 'expected a list of levels, or { levels, warn_from }' },
        ),
      )
      .optional()
      .describe(
        'Named severity scales, most severe first, e.g. { pscale: [P1, P2, P3, P4] } or { sev: { levels: [SEV1, SEV2, SEV3], warn_from: SEV3 } }; added to (or replacing) the built-in default, p0-p3, p1-p4, sev1-sev5 and critical-warning-info',
      ),
    default_severity_scheme: z.string().optional(),
    max_file_bytes: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('The largest runbook file read, in bytes (default 4194304, 4 MiB)'),
    severity_policies: z
      .record(
        z.string(),
        z.strictObject({
          yes_approves_destructive: z
            .boolean()
            .optional()
            .describe(
              'false: --yes alone does not approve destructive steps; each needs --approve',
            ),
          escalation_timers: z
            .boolean()
            .optional()
            .describe(
              "During a run, announce each of the runbook's escalation thresholds as it passes",
            ),
          notify_on_start: z
            .strictObject({
              slack_webhook_env: z
                .string()
                .min(1)
                .optional()
                .describe('Env var holding a Slack incoming-webhook URL'),
              webhook_env: z
                .string()
                .min(1)
                .optional()
                .describe('Env var holding a generic JSON webhook URL'),
            })
            .optional()
            .describe('Tell the team when a run starts (and when an escalation threshold passes)'),
        }),
      )
      .optional()
      .describe('Defaults per severity level, e.g. { P0: { yes_approves_destructive: false } }'),
    state_dir: z.string().optional().describe('Where run journals and locks are kept'),
    approvers: z
      .record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
          error: 'group names are letters, digits, ., _ and -',
        }),
        z.array(z.string().min(1)).min(1),
      )
      .optional()
      .describe(
        'Groups of people who may approve a step with approval: { by: <group> }, by user name',
      ),
    state: z
      .strictObject({
        url_env: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
            error: 'the name of an environment variable: letters, digits and _',
          })
          .describe(
            'The environment variable holding the team database URL (postgres://…); never the URL itself',
          ),
      })
      .optional()
      .describe('The team state store (docs/state.md); local files when absent'),
    hosts: z
      .record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, {
          error: 'host names are letters, digits, ., _ and -',
        }),
        z.strictObject({
          // ssh reads a destination that starts with "-" as an option.
          host: z
            .string()
            .min(1)
            .regex(/^[^-\s]/, { error: 'a host cannot start with "-" or a space' })
            .describe('Address or name to connect to'),
          user: z
            .string()
            .min(1)
            .regex(/^[^-\s]/, { error: 'a user cannot start with "-" or a space' })
            .optional(),
          port: z.int().min(1).max(65535).optional(),
          identity_file: z.string().min(1).optional().describe('ssh -i (relative to this file)'),
          known_hosts_file: z
            .string()
            .min(1)
            .optional()
            .describe('UserKnownHostsFile (relative to this file)'),
          connect_timeout: z
            .int()
            .min(1)
            .max(600)
            .optional()
            .describe('ssh ConnectTimeout, seconds (default 10)'),
          options: z
            .array(z.string().regex(/^[A-Za-z]+=.+$/, { error: 'expected Name=value' }))
            .optional()
            .describe('More ssh -o options'),
        }),
      )
      .optional()
      .describe('Hosts that steps name with on:, reached over ssh'),
    adapters: z
      .array(z.string().min(1))
      .optional()
      .describe('Third-party adapters: module paths (relative to this file) or package names'),
    inventory: z
      .string()
      .min(1)
      .optional()
      .describe(
        'An Ansible-style inventory (INI, or YAML for .yaml/.yml), relative to this file: its hosts for on:, its groups for for_each: { group }',
      ),
  });

/** The zod schema of runbook.config.yaml. */
export const configSchema = once(buildConfigSchema);

type ConfigFile = z.output<ReturnType<typeof buildConfigSchema>>;

export type SeverityPolicy = NonNullable<ConfigFile['severity_policies']>[string];

export type HostConfig = NonNullable<ConfigFile['hosts']>[string];

/** runbook.config.yaml, resolved. */
export interface Config {
  file: string | undefined;
  dirs: string[];
  schemes: Record<string, string[]>;
  /** Scheme name → the level from which `check` grades a failed expectation WARNING. */
  warnFrom?: Record<string, string>;
  defaultScheme: string;
  stateDir: string | undefined;
  /** `state: { url_env }`: the environment variable naming the team database (docs/state.md). */
  stateUrlEnv?: string;
  /** `approvers:`: who may approve a step's `approval: { by: <group> }`, by group. */
  approvers?: Record<string, string[]>;
  /** Hosts for `on:`, with file paths resolved. */
  hosts: Record<string, HostConfig>;
  /** Third-party adapter modules: absolute paths or package names. */
  adapters: string[];
  /** Per severity level. */
  policies?: Record<string, SeverityPolicy>;
  /** The size cap of a runbook file, when the config sets one. */
  maxFileBytes?: number;
  /** With an inventory: the hosts the config names itself. */
  ownHosts?: Record<string, HostConfig>;
  /** The inventory read (inventory:, or --inventory): its file. */
  inventory?: string;
  /** The inventory's groups, host names by group; absent without an inventory. */
  groups?: Record<string, string[]>;
}

/** The hosts the config names itself, without its inventory's. */
export function configuredHosts(config: Config): Record<string, HostConfig> {
  return config.ownHosts ?? config.hosts;
}

/** The config with an inventory's hosts (those the config does not name itself) and groups
 * (docs/format.md#inventories). Throws InvalidRunbookError for an inventory that cannot be read. */
export function withInventory(
  config: Config,
  file: string,
  env: Record<string, string | undefined>,
): Config {
  const inventory = loadInventory(file);
  const base = dirname(file);
  const hosts: Record<string, HostConfig> = {};
  for (const [name, host] of Object.entries(inventory.hosts))
    hosts[name] = host.identity_file
      ? { ...host, identity_file: resolvePath(base, host.identity_file, env) }
      : host;
  return {
    ...config,
    hosts: { ...hosts, ...config.hosts },
    ownHosts: config.hosts,
    inventory: file,
    groups: inventory.groups,
  };
}

/** Finds runbook.config.yaml ($RUNBOOK_CONFIG, else ./runbook.config.yaml); all keys are optional. */
export async function loadConfig(
  cwd: string,
  env: Record<string, string | undefined>,
): Promise<Config> {
  const file = env.RUNBOOK_CONFIG ? resolve(cwd, env.RUNBOOK_CONFIG) : resolve(cwd, CONFIG_FILE);
  let bytes: Buffer | undefined;
  try {
    // Synchronous, as every start-up read: node:fs/promises costs a start 2 ms to load.
    bytes = readFileSync(file);
  } catch (error) {
    if (env.RUNBOOK_CONFIG || (error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new InvalidRunbookError([
        {
          file,
          line: 1,
          col: 1,
          severity: 'error',
          message: `cannot read the config file: ${(error as Error).message}`,
        },
      ]);
    }
  }
  const schemes = builtinSchemes();
  if (!bytes)
    return {
      file: undefined,
      dirs: [resolve(cwd, 'runbooks')],
      schemes,
      warnFrom: { ...BUILTIN_WARN_FROM },
      defaultScheme: 'default',
      stateDir: undefined,
      hosts: {},
      adapters: [],
      policies: {},
    };

  const parsed = parseYaml(file, bytes, 'config file');
  if (!parsed.ok) throw new InvalidRunbookError(parsed.diagnostics);
  const result = configSchema().safeParse(parsed.data);
  if (!result.success)
    throw new InvalidRunbookError(
      diagnosticsFromZod(parsed.source, result.error.issues, configSchema()),
    );
  const config = result.data;
  const base = dirname(file);
  const warnFrom: Record<string, string> = { ...BUILTIN_WARN_FROM };
  const problems: Diagnostic[] = [];
  // zod drops a `__proto__` key (it would set the prototype): the file's own says it was there.
  const written = (parsed.data as { severity_schemes?: unknown }).severity_schemes;
  if (typeof written === 'object' && written !== null && Object.hasOwn(written, '__proto__'))
    problems.push(
      parsed.source.diagnosticAtPath(
        ['severity_schemes', '__proto__'],
        '"__proto__" cannot be a scheme name: it would be lost when the config is read',
        { hint: 'rename it' },
      ),
    );
  for (const [name, entry] of Object.entries(config.severity_schemes ?? {})) {
    // A scheme given here replaces the built-in one of that name, warn_from included.
    const definition = Array.isArray(entry) ? { levels: entry } : entry;
    schemes[name] = definition.levels;
    delete warnFrom[name];
    if (definition.warn_from !== undefined) warnFrom[name] = definition.warn_from;
    for (const { message, path, hint } of schemeProblems(definition))
      problems.push(
        parsed.source.diagnosticAtPath(
          // The short form is the list itself: [levels, 2] is [2] in it.
          ['severity_schemes', name, ...(Array.isArray(entry) ? path.slice(1) : path)],
          message,
          { hint },
        ),
      );
  }
  if (problems.length > 0) throw new InvalidRunbookError(problems);
  const defaultScheme = config.default_severity_scheme ?? 'default';
  if (!Object.hasOwn(schemes, defaultScheme)) {
    throw new InvalidRunbookError([
      parsed.source.diagnosticAtPath(
        ['default_severity_scheme'],
        `unknown severity scheme "${defaultScheme}"`,
        {
          hint: `define it under severity_schemes (known: ${Object.keys(schemes).join(', ')})`,
        },
      ),
    ]);
  }
  const loaded: Config = {
    file,
    dirs: (config.dirs ?? ['runbooks']).map((dir) => resolve(base, dir)),
    schemes,
    warnFrom,
    defaultScheme,
    stateDir: config.state_dir === undefined ? undefined : resolve(base, config.state_dir),
    ...(config.state ? { stateUrlEnv: config.state.url_env } : {}),
    ...(config.approvers ? { approvers: config.approvers } : {}),
    hosts: Object.fromEntries(
      Object.entries(config.hosts ?? {}).map(([name, host]) => [
        name,
        {
          ...host,
          ...(host.identity_file
            ? { identity_file: resolvePath(base, host.identity_file, env) }
            : {}),
          ...(host.known_hosts_file
            ? { known_hosts_file: resolvePath(base, host.known_hosts_file, env) }
            : {}),
        },
      ]),
    ),
    policies: config.severity_policies ?? {},
    ...(config.max_file_bytes === undefined ? {} : { maxFileBytes: config.max_file_bytes }),
    adapters: (config.adapters ?? []).map((entry) =>
      entry.startsWith('.') || entry.startsWith('/') ? resolve(base, entry) : entry,
    ),
  };
  return config.inventory === undefined
    ? loaded
    : withInventory(loaded, resolvePath(base, config.inventory, env), env);
}

/** A path from the config file: `~/` is the home directory, anything else is relative to the file. */
function resolvePath(base: string, path: string, env: Record<string, string | undefined>): string {
  if (path === '~' || path.startsWith('~/')) return join(env.HOME ?? homedir(), path.slice(1));
  return resolve(base, path);
}
