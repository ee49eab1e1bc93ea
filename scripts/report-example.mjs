// `npm run report:example`: runs the demo (npm run demo: a real local service, broken, repaired by
// the demo runbook) in a state directory of its own, then writes that run's post-incident report
// to docs/report-example.md with `runbook report --out`. The example is always a real report.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const state = mkdtempSync(join(tmpdir(), 'runbook-report-example-'));
const env = { ...process.env, RUNBOOK_STATE_DIR: state };
try {
  const demo = spawnSync(process.execPath, [join(root, 'demo/run-demo.mjs')], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (demo.status !== 0) throw new Error(`the demo failed (exit ${demo.status})`);
  const [journal] = readdirSync(join(state, 'runs'));
  if (!journal) throw new Error('the demo left no journal');
  const out = join(root, 'docs/report-example.md');
  const report = spawnSync(
    process.execPath,
    [join(root, 'bin/runbook.js'), 'report', journal.replace(/\.jsonl$/, ''), '--out', out],
    { cwd: root, env, stdio: 'inherit' },
  );
  if (report.status !== 0) throw new Error(`runbook report failed (exit ${report.status})`);
} finally {
  rmSync(state, { recursive: true, force: true });
}
