import { execFileSync } from 'node:child_process';

/** The CLI is also tested as a real subprocess (bin/runbook.js → dist/), so dist must be current. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
