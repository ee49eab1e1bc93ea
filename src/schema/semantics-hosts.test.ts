import { describe, expect, it } from 'vitest';
import { createRegistry } from '../adapters/registry.js';
import type { HostConfig } from './config.js';
import { loadExpressions } from './expressions.js';
import { parseRunbook } from './load.js';
import { TEST_CONFIG } from '../../test/helpers/config.js';

const ADAPTERS = await createRegistry().load();
const EXPRESSIONS = await loadExpressions();

function problems(steps: string, hosts: Record<string, HostConfig> = {}): string[] {
  const source = `id: on-hosts\ntitle: Steps on hosts\ndiagnosis:\n${steps}`;
  const loaded = parseRunbook('on-hosts.yaml', Buffer.from(source, 'utf8'), {
    adapters: ADAPTERS,
    expressions: EXPRESSIONS,
    config: { ...TEST_CONFIG, hosts },
  });
  return loaded.diagnostics.map(
    (d) => `${d.line}:${d.col} ${d.message}${d.hint ? ` (${d.hint})` : ''}`,
  );
}

const WEB = { 'web-1': { host: '10.0.0.1' }, 'web-2': { host: '10.0.0.2' } };

describe('on: hosts', () => {
  it('accepts a configured host on run: and process-running uses: steps', () => {
    expect(
      problems(
        '  - id: a\n    on: web-1\n    run: uptime\n  - id: b\n    on: web-2\n    uses: shell.run\n    with: { command: uptime }\n',
        WEB,
      ),
    ).toEqual([]);
  });

  it('reports an unknown host at its position, with the likely one', () => {
    expect(problems('  - id: a\n    on: web1\n    run: uptime\n', WEB)).toEqual([
      '5:9 unknown host "web1" (did you mean "web-1"? (hosts are listed under hosts: in runbook.config.yaml))',
    ]);
  });

  it('says how to add a host when none is close', () => {
    expect(problems('  - id: a\n    on: db-primary\n    run: uptime\n', WEB)).toEqual([
      '5:9 unknown host "db-primary" (add it under hosts: in runbook.config.yaml (configured: web-1, web-2))',
    ]);
    expect(problems('  - id: a\n    on: db-primary\n    run: uptime\n')).toEqual([
      '5:9 unknown host "db-primary" (add it under hosts: in runbook.config.yaml (none is configured))',
    ]);
  });

  it('does not take a property of every object for a host', () => {
    expect(problems('  - id: a\n    on: constructor\n    run: uptime\n', WEB)).toHaveLength(1);
  });

  it('refuses on: with actions that run here and with manual steps', () => {
    expect(
      problems(
        '  - id: a\n    on: web-1\n    uses: notify.slack\n    with: { webhook_url: "https://hooks.example/x", text: hi }\n  - id: b\n    on: web-1\n    manual: Check the disk\n',
        WEB,
      ),
    ).toEqual([
      '5:9 notify.slack runs here, not over ssh: on: does not apply to it (remove on:, or make the request from that host with a run: step)',
      '9:9 on: does not apply to a manual: step (say where in the instruction)',
    ]);
  });
});

describe('severity ranges', () => {
  it('expands a dash range through the scheme, and reads lists as they are', async () => {
    const { severityLevels } = await import('./semantics.js');
    const scheme = ['P0', 'P1', 'P2', 'P3'];
    expect(severityLevels('P0–P2', scheme)).toEqual(['P0', 'P1', 'P2']);
    expect(severityLevels('P1-P3', scheme)).toEqual(['P1', 'P2', 'P3']);
    expect(severityLevels('P2/P3', scheme)).toEqual(['P2', 'P3']);
    expect(severityLevels(['P0', 'P3'], scheme)).toEqual(['P0', 'P3']);
    expect(severityLevels('P0–P2')).toEqual(['P0', 'P2']);
  });
});
