// `npm run demo`: starts a real, broken local service, then runs the demo runbook against it:
// detection fails, diagnosis finds the stale lock, resolution removes it and reloads the service,
// verification sees /health answer 200. Nothing leaves this machine.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = mkdtempSync(join(tmpdir(), 'runbook-demo-'));
writeFileSync(join(stateDir, 'maintenance.lock'), 'deploy 2f9c1e (crashed mid-way)\n');

const service = spawn(process.execPath, [join(root, 'demo/service.mjs'), '0', stateDir], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  service.stdout.setEncoding('utf8');
  service.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    const match = /listening on (http:\/\/[\d.:]+)/.exec(chunk);
    if (match) resolve(match[1]);
  });
  service.on('exit', (code) => reject(new Error(`the demo service exited (${code})`)));
});

const interactive = process.stdin.isTTY && process.stdout.isTTY;
const args = [
  join(root, 'bin/runbook.js'),
  'run',
  'demo-api-down',
  '--dir',
  join(root, 'runbooks'),
  '--var',
  `base_url=${url}`,
  '--var',
  `state_dir=${stateDir}`,
];
if (!interactive) args.push('--non-interactive', '--approve', 'remove-stale-lock');
console.log(`\n$ runbook ${args.slice(1).join(' ')}\n`);
const runbook = spawn(process.execPath, args, {
  stdio: 'inherit',
  env: {
    ...process.env,
    RUNBOOK_STATE_DIR: process.env.RUNBOOK_STATE_DIR ?? join(stateDir, 'state'),
  },
});
const code = await new Promise((resolve) =>
  runbook.on('exit', (exitCode) => resolve(exitCode ?? 1)),
);

service.kill('SIGTERM');
rmSync(stateDir, { recursive: true, force: true });
process.exit(code);
