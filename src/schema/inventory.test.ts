import { describe, expect, it } from 'vitest';
import { InvalidRunbookError } from '../common/errors.js';
import { parseInventory } from './inventory.js';

const read = (file: string, text: string | Uint8Array) =>
  parseInventory(file, typeof text === 'string' ? Buffer.from(text, 'utf8') : text);

function problems(file: string, text: string | Uint8Array): string[] {
  try {
    read(file, text);
  } catch (error) {
    if (!(error instanceof InvalidRunbookError)) throw error;
    return error.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.message}`);
  }
  return [];
}

describe('inventories', () => {
  it('reads an INI inventory: hosts, ranges, children, group vars under host vars', () => {
    const inventory = read(
      'hosts.ini',
      [
        '# the fleet',
        'lb1 ansible_host=10.0.0.1  # the balancer',
        '',
        '[db]',
        'db-primary ansible_host=10.0.1.1 ansible_user="pg-admin"',
        'db-replica-[1:2] ansible_port=2200',
        '',
        '[db:vars]',
        'ansible_port=2222',
        'ansible_user=postgres',
        '',
        '[web]',
        'web[08:10].example.com ansible_ssh_private_key_file=keys/web',
        '',
        '[prod:children]',
        'db',
        'web',
        '',
      ].join('\n'),
    );
    expect(inventory.groups).toEqual({
      all: [
        'lb1',
        'db-primary',
        'db-replica-1',
        'db-replica-2',
        'web08.example.com',
        'web09.example.com',
        'web10.example.com',
      ],
      ungrouped: ['lb1'],
      db: ['db-primary', 'db-replica-1', 'db-replica-2'],
      web: ['web08.example.com', 'web09.example.com', 'web10.example.com'],
      prod: [
        'db-primary',
        'db-replica-1',
        'db-replica-2',
        'web08.example.com',
        'web09.example.com',
        'web10.example.com',
      ],
    });
    expect(inventory.hosts).toEqual({
      lb1: { host: '10.0.0.1' },
      'db-primary': { host: '10.0.1.1', user: 'pg-admin', port: 2222 },
      'db-replica-1': { host: 'db-replica-1', user: 'postgres', port: 2200 },
      'db-replica-2': { host: 'db-replica-2', user: 'postgres', port: 2200 },
      'web08.example.com': { host: 'web08.example.com', identity_file: 'keys/web' },
      'web09.example.com': { host: 'web09.example.com', identity_file: 'keys/web' },
      'web10.example.com': { host: 'web10.example.com', identity_file: 'keys/web' },
    });
  });

  it('reads a YAML inventory: all, hosts, children, vars', () => {
    const inventory = read(
      'inventory.yaml',
      [
        'all:',
        '  hosts:',
        '    bastion: { ansible_host: 192.0.2.1 }',
        '  vars: { ansible_user: ops }',
        '  children:',
        '    db:',
        '      hosts:',
        '        db1: { ansible_host: 10.1.1.1, ansible_port: 5022 }',
        '        db2:',
        '      vars: { ansible_user: pg }',
        '',
      ].join('\n'),
    );
    expect(inventory.groups).toEqual({
      all: ['bastion', 'db1', 'db2'],
      db: ['db1', 'db2'],
    });
    expect(inventory.hosts).toEqual({
      bastion: { host: '192.0.2.1', user: 'ops' },
      db1: { host: '10.1.1.1', user: 'pg', port: 5022 },
      db2: { host: 'db2', user: 'pg' },
    });
  });

  it('refuses a hostile inventory with one message per problem, at its line', () => {
    expect(problems('a.ini', 'ok1\n[web\n--bad ansible_host=x\nweb1 ansible_host\n')).toEqual([
      'a.ini:2:1 cannot read "[web" as a section',
      'a.ini:3:1 cannot read "--bad ansible_host=x" as a host',
      'a.ini:4:1 cannot read "web1 ansible_host" as a host',
    ]);
    expect(problems('b.ini', '[web]\nweb1 ansible_host=-oProxyCommand=touch\n')).toEqual([
      'b.ini:1:1 host "web1": ansible_host "-oProxyCommand=touch" cannot start with "-" or hold a space',
    ]);
    expect(problems('c.ini', '[web]\nweb1 ansible_port=70000\n')).toEqual([
      'c.ini:1:1 host "web1": ansible_port "70000" is not a port (1-65535)',
    ]);
    expect(problems('d.ini', Buffer.from([0x5b, 0x61, 0x5d, 0x0a, 0x00, 0x01]))).toEqual([
      'd.ini:2:1 the inventory holds a NUL byte: it is not a text file',
    ]);
    expect(problems('e.ini', 'x'.repeat(4 * 1024 * 1024 + 1))).toEqual([
      'e.ini:1:1 the inventory is 4194305 bytes; an inventory is read up to 4194304',
    ]);
    expect(problems('f.ini', '[a:children]\nb\n[b:children]\na\n')).toEqual([
      'f.ini:1:1 group "a" is its own child',
    ]);
    expect(problems('g.ini', 'h[1:20000]\n')).toEqual([
      'g.ini:1:1 cannot read "h[1:20000]" as a host',
    ]);
    expect(problems('inv.yaml', 'all:\n  children:\n    web: [1, 2]\n')).toEqual([
      'inv.yaml:3:5 group "web" is a mapping of hosts:, children: and vars:',
    ]);
  });
});
