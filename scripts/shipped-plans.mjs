// Rewrites the steps of test/fixtures/shipped-plans.yaml from what bin/runbook.js plans (run
// `npm run build` first): each plan's dry run under its family's environment, as
// test/e2e/shipped-plans.e2e.test.ts runs it. The families, their environments and the plans' runbooks
// and arguments are the file's own and stay as they are. Review the diff before committing it: it is
// what changed in the plans of the shipped runbooks.
//
// usage: node scripts/shipped-plans.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { plannedStep, runClock } from '../test/helpers/planned-step.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(root, 'test/fixtures/shipped-plans.yaml');
const doc = parseDocument(readFileSync(file, 'utf8'));
const { families } = doc.toJS();

const scratch = mkdtempSync(join(tmpdir(), 'runbook-plans-'));
try {
  // Nothing is on PATH: a dry run calls no tool.
  mkdirSync(join(scratch, 'bin'));
  for (const [family, { env, plans }] of Object.entries(families)) {
    for (const [index, plan] of plans.entries()) {
      const args = ['run', plan.runbook, '--dry-run', '--non-interactive'];
      args.push('--dir', join(root, 'runbooks', family), '--format', 'json', ...plan.args);
      const stdout = execFileSync(process.execPath, [join(root, 'bin/runbook.js'), ...args], {
        cwd: root,
        encoding: 'utf8',
        env: {
          PATH: join(scratch, 'bin'),
          HOME: scratch,
          RUNBOOK_STATE_DIR: join(scratch, 'state'),
          ...env,
        },
      });
      const run = JSON.parse(stdout);
      const clock = runClock(run);
      const steps = run.steps.map((step) => plannedStep(step, clock));
      doc.setIn(['families', family, 'plans', index, 'steps'], doc.createNode(steps));
      console.log(`${plan.runbook} ${plan.args.join(' ')}: ${steps.length} steps`);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
writeFileSync(file, doc.toString({ lineWidth: 0 }));
