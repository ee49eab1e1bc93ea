import type { ProcessPort } from '../engine/ports.js';
import { findBinary, localExec } from '../exec/local.js';
import { describeRemote, sshExec } from '../exec/ssh.js';

/** The engine's way to processes: src/exec, here and over ssh. */
export const processes: ProcessPort = {
  runner: (target, scope, watch) =>
    target ? sshExec(target.name, target.host, scope, watch) : localExec(scope, watch),
  describeRemote,
  findBinary,
};
