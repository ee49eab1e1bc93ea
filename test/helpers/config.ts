import type { Config } from '../../src/schema/config.js';

/** The configuration of a directory without runbook.config.yaml: one P0–P4 severity scheme, no
 * hosts, no third-party adapters. Tests that validate runbooks in-process use it. */
export const TEST_CONFIG: Config = {
  file: undefined,
  dirs: [],
  schemes: { default: ['P0', 'P1', 'P2', 'P3', 'P4'] },
  defaultScheme: 'default',
  stateDir: undefined,
  hosts: {},
  adapters: [],
};
