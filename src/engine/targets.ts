import type { HostConfig } from '../schema/config.js';

/**
 * Where a step with `on:` runs (docs/format.md#loops-and-targets). `on:` names a host of
 * runbook.config.yaml or of the inventory, or, written as an expression, gives one as the step
 * runs. What it gives is looked up in that order: a configured or inventory host by name; a host
 * whose address (and port) it is, with that host's settings; else a literal `[user@]host[:port]`,
 * read strictly so that nothing in it can reach ssh as an option.
 */

/** A host name or address: letters, digits, `.`, `_`, `-`, `:` (IPv6 in brackets), never
 * starting with `-`. */
const LITERAL =
  /^(?:([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})@)?([A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[[0-9A-Fa-f:.]{2,45}\])(?::([0-9]{1,5}))?$/;

/** The host a target names, or why there is none. */
export function resolveTarget(
  target: string,
  hosts: Readonly<Record<string, HostConfig>>,
  written: string,
): { host: HostConfig } | { problem: string } {
  if (Object.hasOwn(hosts, target)) return { host: hosts[target] as HostConfig };
  const literal = LITERAL.exec(target);
  if (!literal) {
    const shown = JSON.stringify(target.length > 80 ? `${target.slice(0, 80)}…` : target);
    return {
      problem: `on: ${written} gave ${shown}: not a configured or inventory host, nor a [user@]host[:port]`,
    };
  }
  const [, user, address = '', portText] = literal;
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (port < 1 || port > 65535))
    return { problem: `on: ${written} gave port ${portText ?? ''}: a port is 1-65535` };
  const bare = address.startsWith('[') ? address.slice(1, -1) : address;
  // A host known by its address keeps its settings (key, known hosts, user).
  const known = Object.values(hosts).find(
    (host) =>
      host.host === bare &&
      (port === undefined || (host.port ?? 22) === port) &&
      (user === undefined || host.user === undefined || host.user === user),
  );
  if (known) return { host: { ...known, ...(user === undefined ? {} : { user }) } };
  return {
    host: {
      host: bare,
      ...(user === undefined ? {} : { user }),
      ...(port === undefined ? {} : { port }),
    },
  };
}
