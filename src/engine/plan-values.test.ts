import { describe, expect, it } from 'vitest';
import { ExpressionError, loadExpressions, toCel } from '../schema/expressions.js';
import { planningExpressions, unknownIn } from './plan-values.js';
import { runRedactor } from './redact.js';
import type { Placeholders } from './vars.js';

const PLACEHOLDERS: Placeholders = {
  vars: new Set(['api_url', 'env', 'port', 'token']),
  env: new Map([['API_TOKEN', 'token']]),
};
const CONTEXT = toCel({
  vars: {
    api_url: '<api_url>',
    env: '<env>',
    port: '<port>',
    token: '<token>',
    region: 'eu',
  },
  env: { API_TOKEN: '<token>' },
  steps: { probe: { outputs: { code: 200 } } },
}) as Record<string, unknown>;

describe('planningExpressions: what a plan shows for a value it does not have', () => {
  it.each([
    ['vars.api_url', '<api_url>'],
    ['vars["api_url"]', '<api_url>'],
    ['vars.api_url + "/health"', '<api_url>/health'],
    ['env.API_TOKEN', '<token>'],
    ['"Bearer " + vars.token', 'Bearer <token>'],
    // Decided on the placeholder, the value would be one the real run may never use.
    ['vars.env == "prod" ? "a" : "b"', '<vars.env == "prod" ? "a" : "b">'],
    ['size(vars.api_url)', '<size(vars.api_url)>'],
    ['vars.port + 1', '<vars.port + 1>'],
    ['vars[vars.region]', '<vars[vars.region]>'],
    // Outputs the plan does not have.
    ['steps.probe.outputs.missing', '<steps.probe.outputs.missing>'],
    // What the plan has is evaluated as in a run.
    ['vars.region + "-1"', 'eu-1'],
    ['steps.probe.outputs.code + 1', 201],
    ['steps.probe.outputs.vars', '<steps.probe.outputs.vars>'],
  ])('%s → %j', async (source, shown) => {
    const shownSet = new Set<string>();
    const planning = planningExpressions(await loadExpressions(), PLACEHOLDERS, shownSet);
    expect(planning.evaluate(source, CONTEXT)).toEqual(shown);
  });

  it('an error over values the plan has is still an error', async () => {
    const planning = planningExpressions(await loadExpressions(), PLACEHOLDERS, new Set());
    expect(() => planning.evaluate('vars.region + 1', CONTEXT)).toThrow(ExpressionError);
  });

  it('records the placeholders it put in a command', async () => {
    const shown = new Set<string>();
    const planning = planningExpressions(await loadExpressions(), PLACEHOLDERS, shown);
    planning.evaluate('vars.api_url + "/x"', CONTEXT);
    planning.evaluate('vars.port + 1', CONTEXT);
    planning.evaluate('vars.region', CONTEXT);
    expect([...shown]).toEqual(['<api_url>', '<vars.port + 1>']);
  });
});

describe('unknownIn: a condition over a value the plan does not have is not decided', () => {
  it.each([
    ['vars.env == "prod"', 'it reads <env>, which has no value'],
    ['vars.env == "prod" && env.API_TOKEN != ""', 'it reads <env>, <token>, which have no value'],
    ['vars[vars.region] == "x"', 'it reads the variables as a whole, and some have no value'],
    ['vars.region == "eu"', undefined],
    ['steps.probe.outputs.vars == "x"', undefined],
  ])('%s', (source, words) => {
    expect(unknownIn(source, PLACEHOLDERS)).toBe(words);
  });
});

describe('runRedactor: a placeholder is no secret', () => {
  it('leaves <token> visible and still masks a secret given', () => {
    const redactor = runRedactor(
      {
        values: { token: '<token>', password: 'hunter2-secret', url: '<url>' },
        secrets: new Set(['token', 'password']),
        placeholders: { vars: new Set(['token', 'url']), env: new Map() },
      },
      {},
    );
    expect(redactor.redact('Bearer <token> hunter2-secret <url>')).toBe('Bearer <token> *** <url>');
  });
});
