import { describe, expect, it } from 'vitest';
import { createRegistry } from './registry.js';
import { shell } from './shell.js';
import { DOCKER_OUTPUTS } from './docker/outputs.js';
import { parseLogs, parseStats } from './docker/parse.js';
import { SYSTEMD_OUTPUTS } from './systemd/outputs.js';
import { journalOutputs, statusOutputs } from './systemd/parse.js';
import { PSQL_OUTPUTS } from './psql/outputs.js';
import { longRunningOutputs } from './psql/parse.js';
import { execute } from '../exec/local.js';

const TYPES = ['string', 'int', 'double', 'bool', 'list', 'map', 'dyn'];

describe('the outputs each built-in action declares', () => {
  it('every action of every built-in adapter declares outputs, each typed and described', async () => {
    const adapters = await createRegistry().load();
    const undeclared: string[] = [];
    for (const adapter of adapters.list())
      for (const [name, action] of Object.entries(adapter.actions)) {
        const outputs = Object.entries(action.outputs ?? {});
        if (outputs.length === 0) undeclared.push(`${adapter.name}.${name}`);
        for (const [output, spec] of outputs)
          if (
            !TYPES.includes(spec.type) ||
            spec.description.trim() === '' ||
            !/^[a-z_]+$/.test(output)
          )
            undeclared.push(`${adapter.name}.${name}.${output}`);
      }
    expect(undeclared).toEqual([]);
  });

  it('a real shell.run gives only the names it declares', async () => {
    const outcome = await shell.actions.run.run(
      { command: 'echo \'{"ok":true}\'; echo oops >&2' },
      {
        signal: new AbortController().signal,
        timeoutMs: undefined,
        env: process.env,
        cwd: process.cwd(),
        exec: (request) => execute({ ...request, cwd: process.cwd(), env: process.env }),
        host: undefined,
      },
    );
    expect(Object.keys(outcome.outputs).sort()).toEqual(['exit_code', 'json', 'stderr', 'stdout']);
    expect(Object.keys(shell.actions.run.outputs ?? {}).sort()).toEqual(
      Object.keys(outcome.outputs).sort(),
    );
  });

  it("the parsers' outputs are declared names", () => {
    const declared = (outputs: object) => Object.keys(outputs);
    const stats = parseStats(
      '{"ID":"abc","Name":"api","CPUPerc":"1.5%","MemUsage":"10MiB / 1GiB","MemPerc":"1%","NetIO":"1kB / 2kB","BlockIO":"0B / 0B","PIDs":"3"}\n',
      'api',
    );
    expect(declared(DOCKER_OUTPUTS.stats)).toEqual(expect.arrayContaining(Object.keys(stats)));
    const logs = parseLogs('2024-05-01T10:00:00Z up\n', '', 'up');
    expect(declared(DOCKER_OUTPUTS.logs)).toEqual(expect.arrayContaining(Object.keys(logs)));
    const status = statusOutputs({ Id: 'api.service', ActiveState: 'active', MainPID: '42' });
    expect(declared(SYSTEMD_OUTPUTS.status)).toEqual(expect.arrayContaining(Object.keys(status)));
    expect(declared(SYSTEMD_OUTPUTS.journal)).toEqual(
      expect.arrayContaining(Object.keys(journalOutputs([]))),
    );
    const queries = longRunningOutputs('[{"pid":7,"duration_s":90}]');
    expect(declared(PSQL_OUTPUTS.long_running)).toEqual(
      expect.arrayContaining(Object.keys(queries)),
    );
  });
});
