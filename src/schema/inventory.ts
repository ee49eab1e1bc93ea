import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../common/errors.js';
import { InvalidRunbookError } from '../common/errors.js';
import type { HostConfig } from './config.js';
import { parseYaml } from './yaml-source.js';

/**
 * An inventory of hosts, in Ansible's INI or YAML form (docs/format.md#inventories), read
 * read-only: its hosts become hosts for `on:` and its groups lists for `for_each: { group }`.
 * Of a host's variables, runbook reads ansible_host, ansible_port, ansible_user,
 * ansible_ssh_private_key_file (also ansible_private_key_file) and the `-o Name=value` options of
 * ansible_ssh_common_args and ansible_ssh_extra_args; the others are left alone.
 * No INI library reads Ansible's dialect (host lines of `name key=value …`, `[group:children]`,
 * `[group:vars]`, `web[01:03]` ranges), so it is read here, line by line.
 */

export interface Inventory {
  file: string;
  /** Hosts by name, as `on:` takes them. */
  hosts: Record<string, HostConfig>;
  /** Host names by group, in the inventory's order; `all` holds every host. */
  groups: Record<string, string[]>;
}

/** The largest inventory read; a larger file is refused. */
export const MAX_INVENTORY_BYTES = 4 * 1024 * 1024;
/** The most hosts an inventory may hold (ranges included). */
export const MAX_INVENTORY_HOSTS = 10_000;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const GROUP = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** A group as read: its own hosts (with their own variables), children and variables. */
interface RawGroup {
  hosts: Map<string, Record<string, string>>;
  children: string[];
  vars: Record<string, string>;
  /** Where it was first written, for its diagnostics. */
  line: number;
}

/** Reads an inventory file: YAML when it ends in .yaml/.yml (or reads as YAML mapping of
 * groups), else INI. Throws InvalidRunbookError, each problem at file:line. */
export function loadInventory(file: string): Inventory {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new InvalidRunbookError([
      at(file, 1, `cannot read the inventory: ${(error as NodeJS.ErrnoException).message}`),
    ]);
  }
  return parseInventory(file, bytes);
}

export function parseInventory(file: string, bytes: Uint8Array): Inventory {
  if (bytes.length > MAX_INVENTORY_BYTES)
    throw new InvalidRunbookError([
      at(
        file,
        1,
        `the inventory is ${bytes.length} bytes; an inventory is read up to ${MAX_INVENTORY_BYTES}`,
      ),
    ]);
  const nul = Buffer.from(bytes).indexOf(0);
  if (nul >= 0)
    throw new InvalidRunbookError([
      at(file, lineOf(bytes, nul), 'the inventory holds a NUL byte: it is not a text file'),
    ]);
  const yaml = /\.ya?ml$/i.test(file);
  const groups = yaml ? readYaml(file, bytes) : readIni(file, bytes);
  return resolve(file, groups);
}

function at(file: string, line: number, message: string, hint?: string): Diagnostic {
  return { file, line, col: 1, severity: 'error', message, ...(hint ? { hint } : {}) };
}

function lineOf(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let index = 0; index < offset; index++) if (bytes[index] === 10) line++;
  return line;
}

function group(groups: Map<string, RawGroup>, name: string, line: number): RawGroup {
  let found = groups.get(name);
  if (!found) {
    found = { hosts: new Map(), children: [], vars: {}, line };
    groups.set(name, found);
  }
  return found;
}

/** `web[01:03]` → web01, web02, web03; `db-[a:c]` → db-a, db-b, db-c. */
function expandRange(pattern: string): string[] | undefined {
  const range = /^(.*)\[([0-9]+|[a-z]):([0-9]+|[a-z])\](.*)$/.exec(pattern);
  if (!range) return [pattern];
  const [, before = '', from = '', to = '', after = ''] = range;
  if (/^[0-9]+$/.test(from) && /^[0-9]+$/.test(to)) {
    const start = Number(from);
    const end = Number(to);
    if (end < start || end - start >= MAX_INVENTORY_HOSTS) return undefined;
    const width = from.startsWith('0') ? from.length : 0;
    return Array.from(
      { length: end - start + 1 },
      (_, index) => `${before}${String(start + index).padStart(width, '0')}${after}`,
    );
  }
  if (/^[a-z]$/.test(from) && /^[a-z]$/.test(to) && to >= from)
    return Array.from(
      { length: to.charCodeAt(0) - from.charCodeAt(0) + 1 },
      (_, index) => `${before}${String.fromCharCode(from.charCodeAt(0) + index)}${after}`,
    );
  return undefined;
}

/** `key=value key2="quoted value"` → pairs; undefined when a word is not key=value. */
function readPairs(text: string): Record<string, string> | undefined {
  const pairs: Record<string, string> = {};
  const word = /\s*([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|[^\s]*)/y;
  let rest = text;
  while (rest.trim() !== '') {
    word.lastIndex = 0;
    const match = word.exec(rest);
    if (!match) return undefined;
    const [whole, key = '', raw = ''] = match;
    pairs[key] = /^["']/.test(raw) ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    rest = rest.slice(whole.length);
  }
  return pairs;
}

/** A comment: `#` or `;` starting a line, or `#` after a space. */
function stripComment(line: string): string {
  if (/^\s*[#;]/.test(line)) return '';
  const inline = line.search(/\s#/);
  return inline >= 0 ? line.slice(0, inline) : line;
}

function readIni(file: string, bytes: Uint8Array): Map<string, RawGroup> {
  const groups = new Map<string, RawGroup>();
  const problems: Diagnostic[] = [];
  group(groups, 'all', 1);
  group(groups, 'ungrouped', 1);
  let section: { name: string; kind: 'hosts' | 'children' | 'vars' } = {
    name: 'ungrouped',
    kind: 'hosts',
  };
  const lines = Buffer.from(bytes).toString('utf8').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const number = index + 1;
    const line = stripComment(raw).trim();
    if (line === '') return;
    const header = /^\[([^\]:]+)(?::(children|vars))?\]$/.exec(line);
    if (header) {
      const [, name = '', kind] = header;
      if (!GROUP.test(name)) {
        problems.push(at(file, number, `"${name}" is not a group name`, 'letters, digits, _ . -'));
        return;
      }
      section = { name, kind: kind === 'children' || kind === 'vars' ? kind : 'hosts' };
      group(groups, name, number);
      return;
    }
    if (line.startsWith('[')) {
      problems.push(
        at(
          file,
          number,
          `cannot read "${shorten(line)}" as a section`,
          'expected [group], [group:children] or [group:vars]',
        ),
      );
      return;
    }
    const current = group(groups, section.name, number);
    if (section.kind === 'vars') {
      const pairs = readPairs(line);
      if (!pairs || Object.keys(pairs).length !== 1) {
        problems.push(
          at(file, number, `cannot read "${shorten(line)}" as a variable`, 'expected name=value'),
        );
        return;
      }
      Object.assign(current.vars, pairs);
      return;
    }
    const [first = '', ...rest] = line.split(/\s+/);
    if (section.kind === 'children') {
      if (!GROUP.test(first) || rest.length > 0) {
        problems.push(
          at(
            file,
            number,
            `cannot read "${shorten(line)}" as a child group`,
            'one group name a line',
          ),
        );
        return;
      }
      current.children.push(first);
      group(groups, first, number);
      return;
    }
    const names = expandRange(first);
    const pairs = readPairs(line.slice(first.length));
    if (!names || !pairs || !names.every((name) => NAME.test(name))) {
      problems.push(
        at(
          file,
          number,
          `cannot read "${shorten(line)}" as a host`,
          'expected a host name (letters, digits, . _ -; a range such as web[01:03]) and key=value pairs',
        ),
      );
      return;
    }
    for (const name of names) current.hosts.set(name, { ...current.hosts.get(name), ...pairs });
  });
  if (problems.length > 0) throw new InvalidRunbookError(problems.slice(0, 20));
  return groups;
}

function shorten(text: string): string {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return plain.length > 60 ? `${plain.slice(0, 60)}…` : plain;
}

function readYaml(file: string, bytes: Uint8Array): Map<string, RawGroup> {
  const parsed = parseYaml(file, bytes, 'inventory', MAX_INVENTORY_BYTES);
  if (!parsed.ok) throw new InvalidRunbookError(parsed.diagnostics);
  const { source, data } = parsed;
  const groups = new Map<string, RawGroup>();
  const problems: Diagnostic[] = [];
  const isMap = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === 'object' && !Array.isArray(value);
  const problem = (path: Array<string | number>, message: string, hint?: string): void => {
    problems.push(source.diagnosticAtPath(path, message, hint ? { hint } : {}));
  };
  const texts = (
    value: unknown,
    path: Array<string | number>,
  ): Record<string, string> | undefined => {
    if (value === null || value === undefined) return {};
    if (!isMap(value)) {
      problem(path, 'expected a mapping of variables');
      return undefined;
    }
    const out: Record<string, string> = {};
    for (const [key, inner] of Object.entries(value))
      if (typeof inner === 'string' || typeof inner === 'number' || typeof inner === 'boolean')
        out[key] = String(inner);
    return out;
  };
  const readGroup = (name: string, value: unknown, path: Array<string | number>): void => {
    if (!GROUP.test(name)) {
      problem(path, `"${shorten(name)}" is not a group name`, 'letters, digits, _ . -');
      return;
    }
    const line = 1;
    const current = group(groups, name, line);
    if (value === null || value === undefined) return;
    if (!isMap(value)) {
      problem(path, `group "${name}" is a mapping of hosts:, children: and vars:`);
      return;
    }
    for (const key of Object.keys(value))
      if (!['hosts', 'children', 'vars'].includes(key))
        problem(
          [...path, key],
          `unknown key "${shorten(key)}" in group "${name}"`,
          'a group has hosts:, children: and vars:',
        );
    const vars = texts(value.vars, [...path, 'vars']);
    if (vars) Object.assign(current.vars, vars);
    if (value.hosts !== undefined && value.hosts !== null) {
      if (!isMap(value.hosts)) problem([...path, 'hosts'], 'expected a mapping of host names');
      else
        for (const [host, hostVars] of Object.entries(value.hosts)) {
          const names = expandRange(host);
          if (!names || !names.every((one) => NAME.test(one))) {
            problem([...path, 'hosts', host], `"${shorten(host)}" is not a host name`);
            continue;
          }
          const own = texts(hostVars, [...path, 'hosts', host]);
          if (own)
            for (const one of names) current.hosts.set(one, { ...current.hosts.get(one), ...own });
        }
    }
    if (value.children !== undefined && value.children !== null) {
      if (!isMap(value.children)) problem([...path, 'children'], 'expected a mapping of groups');
      else
        for (const [child, body] of Object.entries(value.children)) {
          if (!current.children.includes(child)) current.children.push(child);
          readGroup(child, body, [...path, 'children', child]);
        }
    }
  };
  if (data === null || data === undefined) {
    group(groups, 'all', 1);
    return groups;
  }
  if (!isMap(data)) {
    problem([], 'an inventory is a mapping of groups, such as all: { hosts: …, children: … }');
  } else for (const [name, body] of Object.entries(data)) readGroup(name, body, [name]);
  if (problems.length > 0) throw new InvalidRunbookError(problems.slice(0, 20));
  group(groups, 'all', 1);
  return groups;
}

/** The hosts and groups of what was read: every group's hosts with its children's, each host's
 * settings from its variables (the host's own over its groups', a child group's over its
 * parent's). */
function resolve(file: string, groups: Map<string, RawGroup>): Inventory {
  const problems: Diagnostic[] = [];
  // Every group but `all` is a child of `all`, and every host not in another group is ungrouped.
  const all = group(groups, 'all', 1);
  for (const name of groups.keys())
    if (name !== 'all' && !all.children.includes(name)) all.children.push(name);
  const members = new Map<string, string[]>();
  const visiting = new Set<string>();
  const membersOf = (name: string): string[] => {
    const known = members.get(name);
    if (known) return known;
    const current = groups.get(name) as RawGroup;
    if (visiting.has(name)) {
      problems.push(at(file, current.line, `group "${name}" is its own child`));
      return [];
    }
    visiting.add(name);
    const out = new Set(current.hosts.keys());
    for (const child of current.children) for (const host of membersOf(child)) out.add(host);
    visiting.delete(name);
    const list = [...out];
    members.set(name, list);
    return list;
  };
  const result: Record<string, string[]> = {};
  for (const name of groups.keys()) result[name] = membersOf(name);
  if (problems.length > 0) throw new InvalidRunbookError(problems);
  const count = result.all?.length ?? 0;
  if (count > MAX_INVENTORY_HOSTS)
    throw new InvalidRunbookError([
      at(file, 1, `the inventory holds ${count} hosts; at most ${MAX_INVENTORY_HOSTS} are read`),
    ]);
  // How deep each group sits under `all`: a deeper group's variables win.
  const depth = new Map<string, number>([['all', 0]]);
  const queue = ['all'];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    for (const child of groups.get(name)?.children ?? [])
      if (!depth.has(child) || (depth.get(child) as number) < (depth.get(name) as number) + 1) {
        if ((depth.get(name) as number) + 1 > groups.size) continue;
        depth.set(child, (depth.get(name) as number) + 1);
        queue.push(child);
      }
  }
  const hosts: Record<string, HostConfig> = {};
  for (const host of result.all ?? []) {
    const containing = [...groups.keys()]
      .filter((name) => result[name]?.includes(host))
      .sort((a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0));
    const vars: Record<string, string> = {};
    for (const name of containing) Object.assign(vars, groups.get(name)?.vars);
    for (const name of containing) Object.assign(vars, groups.get(name)?.hosts.get(host));
    const line = groups.get(containing.at(-1) ?? 'all')?.line ?? 1;
    const config = hostConfig(host, vars, (message) => problems.push(at(file, line, message)));
    if (config) hosts[host] = config;
  }
  if (problems.length > 0) throw new InvalidRunbookError(problems.slice(0, 20));
  return { file, hosts, groups: result };
}

/** A host's settings from its variables, held to the rules of runbook.config.yaml's hosts:
 * nothing that ssh could read as an option. */
function hostConfig(
  name: string,
  vars: Record<string, string>,
  problem: (message: string) => void,
): HostConfig | undefined {
  const address = vars.ansible_host ?? name;
  const user = vars.ansible_user ?? vars.ansible_ssh_user;
  const port = vars.ansible_port ?? vars.ansible_ssh_port;
  const key = vars.ansible_ssh_private_key_file ?? vars.ansible_private_key_file;
  const word = /^[^-\s][^\s]*$/;
  if (!word.test(address)) {
    problem(
      `host "${name}": ansible_host ${JSON.stringify(shorten(address))} cannot start with "-" or hold a space`,
    );
    return undefined;
  }
  if (user !== undefined && !word.test(user)) {
    problem(
      `host "${name}": ansible_user ${JSON.stringify(shorten(user))} cannot start with "-" or hold a space`,
    );
    return undefined;
  }
  if (
    port !== undefined &&
    !(/^[0-9]{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)
  ) {
    problem(
      `host "${name}": ansible_port ${JSON.stringify(shorten(port))} is not a port (1-65535)`,
    );
    return undefined;
  }
  const options: string[] = [];
  for (const variable of ['ansible_ssh_common_args', 'ansible_ssh_extra_args']) {
    const args = vars[variable];
    if (args === undefined) continue;
    const read = sshOptions(args);
    if (!read) {
      problem(
        `host "${name}": ${variable} ${JSON.stringify(shorten(args))}: only -o Name=value options are read`,
      );
      return undefined;
    }
    options.push(...read);
  }
  return {
    host: address,
    ...(user === undefined ? {} : { user }),
    ...(port === undefined ? {} : { port: Number(port) }),
    ...(key === undefined ? {} : { identity_file: key }),
    ...(options.length > 0 ? { options } : {}),
  };
}

/** `-o Name=value -oName=value` → [Name=value, …]; undefined for anything else. */
function sshOptions(args: string): string[] | undefined {
  const words = args.trim().split(/\s+/).filter(Boolean);
  const options: string[] = [];
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as string;
    const option =
      word === '-o' ? words[++index] : word.startsWith('-o') ? word.slice(2) : undefined;
    if (option === undefined || !/^[A-Za-z]+=[^\s]+$/.test(option)) return undefined;
    options.push(option);
  }
  return options;
}
