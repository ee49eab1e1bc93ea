import { z } from 'zod';
import { argvWord } from '../support/argv-word.js';

export const DEFAULT_LOG_LINES = 100;

const MAX_LOG_LINES = 10_000;

const pm2Home = z
  .string()
  .min(1)
  .optional()
  .describe("PM2_HOME for this call (default: the step environment's PM2_HOME, else ~/.pm2)");

// pm2 reads `pm2 restart -- <app>` as no app at all (checked with pm2 7): values that start with
// "-" are refused instead.
const app = z
  .union([argvWord('an app'), z.int().nonnegative()])
  .transform(String)
  .describe('App name, pm_id, namespace, or "all", as pm2 accepts them');

const path = argvWord('a path');

export const appInput = z.strictObject({ app, pm2_home: pm2Home });

export const restartInput = z.strictObject({
  app,
  update_env: z
    .boolean()
    .optional()
    .describe('Pass --update-env: the app takes the environment of this step'),
  pm2_home: pm2Home,
});

export const statusInput = z.strictObject({
  app: app.optional().describe('Only this app (name, pm_id or namespace); default: every process'),
  pm2_home: pm2Home,
});

export const scaleInput = z.strictObject({
  app,
  instances: z
    .union([z.int().min(1), z.string().regex(/^[+-]?[1-9]\d*$/)])
    .transform(String)
    .describe('How many instances to run, or +N / -N relative to now'),
  pm2_home: pm2Home,
});

export const startInput = z
  .strictObject({
    ecosystem: path
      .optional()
      .describe('An ecosystem file (ecosystem.config.js, .json or .yaml) to start'),
    only: app.optional().describe('With ecosystem: start only this app of the file (--only)'),
    script: path.optional().describe('The script to start; needs name'),
    name: argvWord('a name').optional().describe('Name of the app started from script'),
    instances: z
      .union([z.int().min(1), z.literal('max'), z.string().regex(/^[1-9]\d*$/)])
      .transform(String)
      .optional()
      .describe('Run in cluster mode with this many instances ("max": one per CPU)'),
    max_memory_restart: z
      .union([z.int().min(1), z.string().regex(/^\d+[KMG]?$/i)])
      .transform(String)
      .optional()
      .describe('Restart when memory passes this, e.g. 300M (bytes when a number)'),
    max_restarts: z
      .union([z.int().nonnegative(), z.string().regex(/^\d+$/)])
      .transform(Number)
      .optional()
      .describe('Unstable restarts before pm2 gives up and marks the app errored'),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
      .optional()
      .describe('Environment variables for the app, passed through the environment of pm2 start'),
    pm2_home: pm2Home,
  })
  .superRefine((input, ctx) => {
    if ((input.ecosystem === undefined) === (input.script === undefined))
      ctx.addIssue({ code: 'custom', message: 'give either ecosystem or script (with name)' });
    if (input.script !== undefined && input.name === undefined)
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'script needs a name' });
    if (input.only !== undefined && input.ecosystem === undefined)
      ctx.addIssue({ code: 'custom', path: ['only'], message: 'only goes with ecosystem' });
  });

export const logsInput = z.strictObject({
  app,
  lines: z
    .union([z.int().min(1).max(MAX_LOG_LINES), z.string().regex(/^[1-9]\d{0,4}$/)])
    .transform(Number)
    .optional()
    .describe(`Last lines of each log file (default ${DEFAULT_LOG_LINES})`),
  stream: z.enum(['out', 'err']).optional().describe('Only stdout (out) or stderr (err) logs'),
  pm2_home: pm2Home,
});

export type AppInput = z.output<typeof appInput>;
export type RestartInput = z.output<typeof restartInput>;
export type ScaleInput = z.output<typeof scaleInput>;
export type StartInput = z.output<typeof startInput>;
export type LogsInput = z.output<typeof logsInput>;
