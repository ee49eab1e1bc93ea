import { visible, visibleDeep } from '../report/visible.js';
import { diagnoseRunbook, type CheckKind } from '../engine/doctor.js';
import { parseVarFlags, resolveVars } from '../engine/vars.js';
import { findRunbook } from '../schema/load.js';
import { EXIT } from './exit-codes.js';
import { colorsFor, type Io } from './io.js';
import { processes } from './processes.js';
import { setup } from './setup.js';
import { arg, defineCommand, dirFlag, envFlag, jsonFlag, varFlag, type Values } from './define.js';

const flags = { dir: dirFlag, json: jsonFlag, var: varFlag, env: envFlag };

export const doctor = defineCommand({
  name: 'doctor',
  summary: 'Check that everything one runbook needs is here (exit 1 naming what is missing)',
  args: { id: arg.required('id', 'runbook id') },
  flags,
  handler: ({ id }, options, io) => diagnose(id, options, io),
});

const TITLES: Record<CheckKind, string> = {
  binary: 'Programs',
  variable: 'Variables',
  host: 'Hosts (on:)',
  target: 'HTTP targets',
};

/** `runbook doctor <id>`: what the runbook needs that this machine lacks; exit 1 naming each. */
async function diagnose(id: string, options: Values<typeof flags>, io: Io): Promise<number> {
  const cli = await setup(io, { dir: options.dir });
  const { runbook } = await findRunbook(id, cli.dirs, cli.load);
  if (!runbook) return EXIT.usage;
  const vars = resolveVars(runbook, {
    cliVars: parseVarFlags(options.var),
    envName: options.env,
    processEnv: io.env,
    // Each missing value stands as `<name>`, as in a dry run; its requirement names it.
    placeholders: true,
  });
  const missingVars = (vars.missingVars ?? []).map(({ name, how }) => ({
    name,
    how: `pass ${how}`,
  }));
  const requirements = await diagnoseRunbook({
    runbook,
    registry: cli.registry,
    config: cli.config,
    vars,
    missingVars,
    env: io.env,
    findBinary: processes.findBinary,
  });
  const problems = requirements.filter((r) => !r.ok);
  if (options.json) {
    io.stdout.write(
      `${JSON.stringify({ runbook: runbook.id, ok: problems.length === 0, requirements }, null, 2)}\n`,
    );
    return problems.length ? EXIT.failed : EXIT.ok;
  }
  const c = colorsFor(io.stdout, io.env);
  io.stdout.write(`${c.bold(`runbook doctor ${runbook.id}`)}  ${visible(runbook.title)}\n`);
  for (const kind of Object.keys(TITLES) as CheckKind[]) {
    const group = requirements.filter((r) => r.kind === kind);
    if (!group.length) continue;
    io.stdout.write(`\n${c.bold(TITLES[kind])}\n`);
    for (const r of visibleDeep(group)) {
      const mark = r.ok ? c.green('✓') : c.red('✗');
      io.stdout.write(
        `  ${mark} ${r.name}  ${c.dim(r.detail)}${r.ok ? '' : `\n      ${c.cyan('fix:')} ${r.fix ?? ''}  ${c.dim(`(needed by ${r.steps.join(', ')})`)}`}\n`,
      );
    }
  }
  io.stdout.write(
    problems.length
      ? `\n${c.red(`✗ ${problems.length} missing: ${problems.map((p) => p.name).join(', ')}`)}\n`
      : `\n${c.green('✓ everything this runbook needs is here')}\n`,
  );
  return problems.length ? EXIT.failed : EXIT.ok;
}
