import type { ResolvedVars } from '../engine/vars.js';
import { placeholder } from '../engine/vars.js';

/** The warning of a plan made without some required values (docs/commands.md#run): which, how
 * each is given, and what stands for it in the plan. */
export function missingVarsWarning(vars: Pick<ResolvedVars, 'missingVars'>): string {
  const missing = vars.missingVars ?? [];
  const list = missing.map(({ name, how }) => `${name} (${how})`).join(', ');
  return `no value for ${missing.length === 1 ? 'a required variable' : `${missing.length} required variables`}, shown as ${missing.map(({ name }) => placeholder(name)).join(', ')} in the plan: ${list}; a real run refuses without ${missing.length === 1 ? 'it' : 'them'} (--require-vars makes the dry run refuse too)`;
}

/** `missing_vars` of a plan's JSON: each variable, whether it is secret, how to give it, and the
 * placeholder that stands for it. */
export function missingVarsJson(
  vars: Pick<ResolvedVars, 'missingVars'>,
): Array<{ name: string; secret: boolean; how: string; placeholder: string }> {
  return (vars.missingVars ?? []).map(({ name, secret, how }) => ({
    name,
    secret,
    how,
    placeholder: placeholder(name),
  }));
}
