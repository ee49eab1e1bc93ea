import type { Preflight } from '../adapter.js';
import { lineMatching } from '../support/lines.js';
import type { Unavailable } from '../support/run-tool.js';
import { DOCKER } from './argv.js';

const ENGINE_HINT =
  'start the Docker engine, or point DOCKER_HOST (or the with: host of a step) at one that runs';

/** The CLI ran, but no Docker engine answered it. */
export const engineDown: Unavailable = (result) => {
  const message = lineMatching(
    result.stderr,
    /Cannot connect to the Docker daemon|permission denied while trying to connect to the Docker daemon|^error during connect/i,
  );
  return message === undefined ? undefined : { message, hint: ENGINE_HINT };
};

/** `docker version` answers for the client even when no engine does; the adapter needs both. */
export function judgeVersion(found: Preflight, output: string): Preflight {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const version = lines.find((line) => line.startsWith('client '));
  const base: Preflight = { ok: true, binary: DOCKER };
  if (found.path !== undefined) base.path = found.path;
  if (version?.includes(', engine ')) return { ...base, version };
  const problem = lines.find((line) => !line.startsWith('client ')) ?? 'no answer';
  return {
    ...base,
    ...(version === undefined ? {} : { version }),
    ok: false,
    problem: `no Docker engine answers: ${problem}`,
    hint: ENGINE_HINT,
  };
}
