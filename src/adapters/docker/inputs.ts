import { z } from 'zod';
import { argvWord } from '../support/argv-word.js';
import { durationInput } from '../../common/duration.js';

export const DEFAULT_LOG_TAIL = 1000;

const host = z
  .string()
  .min(1)
  .optional()
  .describe(
    'Docker engine to use, as DOCKER_HOST (unix:///var/run/docker.sock, ssh://user@host, tcp://host:2376); default: DOCKER_HOST from the environment, or the docker context',
  );

// Docker's names start with a letter or digit: one that starts with "-" can only be a mistake.
const container = argvWord('a container name or id').describe('Container name or id');

const stopTimeout = durationInput({
  error: 'expected seconds, or a duration such as 10s or 1m',
  seconds: 'whole',
})
  .optional()
  .describe('How long the container gets to stop before it is killed (docker -t), e.g. 10s');

const CONTAINER_STATUSES = [
  'created',
  'restarting',
  'running',
  'removing',
  'paused',
  'exited',
  'dead',
] as const;

export const psInput = z.strictObject({
  all: z.boolean().optional().describe('Include stopped containers (docker ps --all)'),
  filter: z
    .strictObject({
      name: z
        .string()
        .min(1)
        .optional()
        .describe('Name filter, matched as docker does (a regular expression: ^worker$ is exact)'),
      label: z
        .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
        .optional()
        .describe('Label key, or key=value; several must all match'),
      status: z.enum(CONTAINER_STATUSES).optional().describe('Container state'),
    })
    .optional()
    .describe('docker ps --filter values'),
  host,
});

export const inspectInput = z.strictObject({ container, host });

export const logsInput = z.strictObject({
  container,
  tail: z
    .union([z.number().int().nonnegative(), z.literal('all')])
    .optional()
    .describe(
      `Lines from the end of the log (default ${DEFAULT_LOG_TAIL}; "all" for the whole log)`,
    ),
  since: z
    .string()
    .min(1)
    .optional()
    .describe('Only lines since a timestamp (2024-01-02T15:04:05Z) or a relative time (10m, 2h)'),
  until: z.string().min(1).optional().describe('Only lines before a timestamp or a relative time'),
  match: z
    .string()
    .min(1)
    .refine(isRegExp, { error: 'not a valid regular expression' })
    .optional()
    .describe('Regular expression; the lines that match are output as matches'),
  host,
});

export const statsInput = z.strictObject({
  container: container.optional().describe('One container (default: every running one)'),
  all: z.boolean().optional().describe('Include stopped containers'),
  host,
});

export const restartInput = z.strictObject({ container, timeout: stopTimeout, host });

export const startInput = z.strictObject({ container, host });

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const execInput = z.strictObject({
  container,
  command: z
    .array(z.string())
    .min(1)
    .describe(
      'The command and its arguments, run without a shell (use ["sh", "-c", "..."] for one)',
    ),
  user: z.string().min(1).optional().describe('User (name or uid[:gid]) to run it as'),
  workdir: z.string().min(1).optional().describe('Working directory inside the container'),
  env: z
    .record(z.string(), z.string())
    .superRefine((env, check) => {
      for (const name of Object.keys(env)) {
        if (!ENV_NAME.test(name))
          check.addIssue({
            code: 'custom',
            path: [name],
            message: `${name} is not a variable name`,
          });
        else if (name.startsWith('DOCKER_'))
          check.addIssue({
            code: 'custom',
            path: [name],
            message: `${name}: DOCKER_* variables configure the docker client itself`,
          });
      }
    })
    .optional()
    .describe('Environment for the command; values travel in the environment, never in argv'),
  host,
});

export const systemDfInput = z.strictObject({ host });

export const pruneInput = z
  .strictObject({
    all: z
      .boolean()
      .optional()
      .describe('Also remove every image no container uses, not only dangling ones'),
    volumes: z.boolean().optional().describe('Also remove volumes no container uses'),
    until: z
      .string()
      .min(1)
      .optional()
      .describe('Only what was created before this time: a duration (24h) or a timestamp'),
    host,
  })
  .refine((input) => !(input.volumes === true && input.until !== undefined), {
    error: 'docker cannot prune volumes with an until filter: drop one of them',
    path: ['until'],
  });

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

export type PsInput = z.output<typeof psInput>;
export type InspectInput = z.output<typeof inspectInput>;
export type LogsInput = z.output<typeof logsInput>;
export type StatsInput = z.output<typeof statsInput>;
export type RestartInput = z.output<typeof restartInput>;
export type ExecInput = z.output<typeof execInput>;
export type PruneInput = z.output<typeof pruneInput>;
