import { describe, expect, it } from 'vitest';
import { resolveTarget } from './targets.js';

const HOSTS = {
  'db-1': { host: '10.0.0.5', user: 'postgres', port: 2222, identity_file: '/keys/db' },
};

describe('a target given at run time (on: ${{ … }})', () => {
  it('is a host by name, a known host by its address, or a strict [user@]host[:port]', () => {
    expect(resolveTarget('db-1', HOSTS, 'x')).toEqual({ host: HOSTS['db-1'] });
    expect(resolveTarget('10.0.0.5:2222', HOSTS, 'x')).toEqual({ host: HOSTS['db-1'] });
    expect(resolveTarget('10.0.0.5', HOSTS, 'x')).toEqual({ host: HOSTS['db-1'] });
    expect(resolveTarget('ops@replica-7.internal:2201', HOSTS, 'x')).toEqual({
      host: { host: 'replica-7.internal', user: 'ops', port: 2201 },
    });
    expect(resolveTarget('[fd00::1]', HOSTS, 'x')).toEqual({ host: { host: 'fd00::1' } });
  });

  it('refuses what ssh could read as an option, or anything else', () => {
    for (const hostile of [
      '-oProxyCommand=touch /tmp/x',
      'a b',
      'ops@-x',
      'host;rm',
      '',
      'h:99999',
    ])
      expect(resolveTarget(hostile, HOSTS, '${{ item }}')).toHaveProperty('problem');
    expect(resolveTarget('-oProxyCommand=x', HOSTS, '${{ item }}')).toEqual({
      problem:
        'on: ${{ item }} gave "-oProxyCommand=x": not a configured or inventory host, nor a [user@]host[:port]',
    });
    expect(resolveTarget('h:99999', HOSTS, '${{ item }}')).toEqual({
      problem: 'on: ${{ item }} gave port 99999: a port is 1-65535',
    });
  });
});
