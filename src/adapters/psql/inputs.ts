import { z } from 'zod';
import type { CodeInputs } from '../adapter.js';
import { durationInput } from '../../common/duration.js';
import { inspectSql, PARAM_NAME, SELECT_KEYWORDS, sqlParamProblems } from './script.js';

const NO_NUL = /^[^\0]*$/;

const text = z.string().regex(NO_NUL, { error: 'must not contain NUL characters' });

const duration = durationInput({ error: 'expected a duration such as 500ms, 30s or 5m' });

const url = text
  .regex(/^postgres(?:ql)?:\/\//, {
    error: 'expected a postgres:// or postgresql:// URL',
  })
  .regex(/^[^\r\n]*$/, { error: 'a URL cannot contain a line break' })
  .describe(
    'postgres://user:password@host:port/database (the password travels as PGPASSWORD, never in argv); without it, the PG* environment variables',
  );

const STATES = [
  'active',
  'idle',
  'idle in transaction',
  'idle in transaction (aborted)',
  'fastpath function call',
  'disabled',
] as const;

/** pg_stat_activity's states as output keys. */
export const STATE_KEYS: Record<(typeof STATES)[number], string> = {
  active: 'active',
  idle: 'idle',
  'idle in transaction': 'idle_in_transaction',
  'idle in transaction (aborted)': 'idle_in_transaction_aborted',
  'fastpath function call': 'fastpath_function_call',
  disabled: 'disabled',
};

const state = z.enum(STATES, { error: `expected one of: ${STATES.join(', ')}` });

const states = z.union([state, z.array(state).min(1)]);

/** The input that lets `${{ }}` into `sql:` (validate then warns; --strict fails). */
export const UNSAFE_SQL_TEMPLATING = 'unsafe_sql_templating';

const params = z
  .record(
    z.string(),
    z
      .union([z.string(), z.number(), z.boolean()], {
        error: 'expected a string, number or boolean',
      })
      .transform(String)
      .pipe(text),
  )
  .superRefine((values, check) => {
    for (const name of Object.keys(values))
      if (!PARAM_NAME.test(name))
        check.addIssue({
          code: 'custom',
          path: [name],
          message:
            "a param name is lower-case letters, digits and _ (psql's own variables are upper-case)",
        });
  })
  .optional()
  .describe(
    'Values for the SQL, which stay data whatever they hold: the SQL refers to one as :\'name\' (a literal) or :"name" (an identifier). Read by psql 15+ (\\getenv) from the environment, never argv',
  );

/** `sql:` is code: values go in params. */
export const SQL_CODE: CodeInputs = {
  keys: ['sql'],
  allowedBy: UNSAFE_SQL_TEMPLATING,
  hint: (expression) => {
    const last = /([A-Za-z_][A-Za-z0-9_]*)\W*$/.exec(expression)?.[1]?.toLowerCase();
    const name = last !== undefined && PARAM_NAME.test(last) ? last : 'value';
    return `pass it in params: { ${name}: "\${{ ${expression} }}" } and write :'${name}' (a literal) or :"${name}" (an identifier) in sql:`;
  },
};

const unsafeSqlTemplating = z
  .boolean()
  .optional()
  .describe(
    'Allow ${{ }} inside sql: (the value becomes SQL code). validate warns and --strict fails; use params: instead',
  );

/** What params and the SQL must agree on; see sqlParamProblems. */
function checkParams(
  input: { sql: string; params?: Record<string, string> | undefined },
  check: z.RefinementCtx,
): void {
  for (const message of sqlParamProblems(inspectSql(input.sql), Object.keys(input.params ?? {})))
    check.addIssue({ code: 'custom', path: ['sql'], message });
}

export const queryInput = z
  .strictObject({
    sql: text.min(1).describe('The SQL to run; values come from params, as :\'name\' or :"name"'),
    url: url.optional(),
    params,
    [UNSAFE_SQL_TEMPLATING]: unsafeSqlTemplating,
  })
  .superRefine(checkParams);

export const selectInput = z
  .strictObject({
    sql: text
      .min(1)
      .refine(
        (sql) => {
          const shape = inspectSql(sql);
          return shape.statements === 1 && SELECT_KEYWORDS.includes(shape.keyword);
        },
        {
          error:
            'expected one query (SELECT, WITH, VALUES, TABLE, SHOW or EXPLAIN); use psql.query for other statements',
        },
      )
      .describe(
        'One query: SELECT, WITH, VALUES, TABLE, SHOW or EXPLAIN; values come from params, as :\'name\' or :"name"',
      ),
    url: url.optional(),
    params,
    [UNSAFE_SQL_TEMPLATING]: unsafeSqlTemplating,
  })
  .superRefine(checkParams);

export const connectionsInput = z.strictObject({
  url: url.optional(),
  database: text.optional().describe('Count only the connections to this database'),
});

export const longRunningInput = z.strictObject({
  url: url.optional(),
  threshold: duration.optional().describe('Queries running longer than this (default 30s)'),
  state: states.optional().describe('Backend states to look at (default active)'),
  database: text.optional().describe('Only backends connected to this database'),
  user: text.optional().describe('Only backends of this role'),
  limit: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('At most this many, longest first (default 50)'),
});

export const terminateInput = z.strictObject({
  url: url.optional(),
  older_than: duration.describe(
    'Terminate backends whose query (or transaction) is older than this',
  ),
  age_of: z
    .enum(['query', 'transaction'])
    .optional()
    .describe('What older_than measures: the current query (default) or the open transaction'),
  state: states.optional().describe('Backend states to terminate (default active)'),
  database: text.optional().describe('Only backends connected to this database'),
  user: text.optional().describe('Only backends of this role'),
  application_name: text.optional().describe('Only backends with this application_name'),
  pids: z.array(z.number().int().positive()).optional().describe('Only these backend pids'),
  wait: duration
    .optional()
    .describe('How long to wait for each backend to exit (default 5s; PostgreSQL 14+)'),
});

export const readOnlyInput = z.strictObject({
  url: url.optional(),
  database: text.min(1).describe('The database whose new sessions become read-only (or not)'),
  enabled: z.boolean().describe('true: default_transaction_read_only = on; false: off'),
});

export type ConnectionsInput = z.output<typeof connectionsInput>;
export type LongRunningInput = z.output<typeof longRunningInput>;
export type TerminateInput = z.output<typeof terminateInput>;
export type ReadOnlyInput = z.output<typeof readOnlyInput>;
/** The input of psql.query or psql.select: SQL and its params. */
export type SqlInput = z.output<typeof queryInput> | z.output<typeof selectInput>;
export type States = z.output<typeof states>;
