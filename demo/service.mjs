// The demo's broken service: a real HTTP server that reads its state directory at start-up and
// on SIGHUP. A maintenance lock left behind by a crashed deploy keeps it answering 503.
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [port = '0', stateDir = '.'] = process.argv.slice(2);
const lockFile = join(stateDir, 'maintenance.lock');
let state;

function load() {
  if (existsSync(lockFile)) {
    const ageSeconds = Math.round((Date.now() - statSync(lockFile).mtimeMs) / 1000);
    state = {
      state: 'degraded',
      reason: 'stale-lock',
      lock_file: lockFile,
      lock_age_s: ageSeconds,
      lock_owner: readFileSync(lockFile, 'utf8').trim(),
    };
  } else {
    state = { state: 'ok', reason: null };
  }
  console.log(`[demo-api] state: ${state.state}${state.reason ? ` (${state.reason})` : ''}`);
}

load();
process.on('SIGHUP', load);
process.on('SIGTERM', () => process.exit(0));

const server = createServer((request, response) => {
  const send = (status, body) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  if (request.url === '/health') {
    return state.state === 'ok'
      ? send(200, { status: 'ok' })
      : send(503, { status: 'unavailable' });
  }
  if (request.url === '/status') return send(200, { ...state, pid: process.pid });
  send(404, { error: 'not found' });
});

server.listen(Number(port), '127.0.0.1', () => {
  const address = server.address();
  writeFileSync(join(stateDir, 'demo-api.pid'), String(process.pid));
  console.log(`[demo-api] listening on http://127.0.0.1:${address.port} (pid ${process.pid})`);
});
