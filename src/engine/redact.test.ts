import { describe, expect, it } from 'vitest';
import { shellQuote } from '../common/quote.js';
import { REDACTED, Redactor } from './redact.js';

describe('Redactor', () => {
  it('replaces every occurrence of a registered value', () => {
    const redactor = new Redactor();
    redactor.add('hunter22');
    expect(redactor.redact('password=hunter22; again hunter22')).toBe('password=***; again ***');
    expect(REDACTED).toBe('***');
  });

  it('leaves text without secrets untouched', () => {
    const redactor = new Redactor();
    redactor.add('hunter22');
    expect(redactor.redact('nothing to see')).toBe('nothing to see');
    expect(redactor.redact('x-hunter22-y')).toBe('x-***-y');
  });

  it('registers numbers as their text and ignores other types', () => {
    const redactor = new Redactor();
    redactor.add(48151623);
    redactor.add(true);
    redactor.add({ token: 'abcdefgh' });
    redactor.add(undefined);
    expect(redactor.size).toBe(1);
    expect(redactor.redact('pin 48151623')).toBe('pin ***');
  });

  it('ignores values shorter than 4 characters, which would redact ordinary text', () => {
    const redactor = new Redactor();
    redactor.add('');
    redactor.add('a');
    redactor.add('abc');
    expect(redactor.size).toBe(0);
    expect(redactor.redact('abc a')).toBe('abc a');
    redactor.add('abcd');
    expect(redactor.redact('abcd')).toBe('***');
  });

  it('registers a value once', () => {
    const redactor = new Redactor();
    redactor.add('hunter22');
    redactor.add('hunter22');
    expect(redactor.size).toBe(1);
  });

  it('replaces a longer secret whole when it contains a shorter one', () => {
    const redactor = new Redactor();
    redactor.add('abcd');
    redactor.add('abcdefgh');
    expect(redactor.redact('abcdefgh and abcd')).toBe('*** and ***');
  });

  describe('every form a secret is printed in', () => {
    // [secret, text holding it in one form, that text redacted]
    const CASES: Array<[string, string, string]> = [
      ['AAAA$BBBB-LEAK1', 'echo "AAAA\\$BBBB-LEAK1"', 'echo "***"'],
      ['AAAA$BBBB-LEAK1', 'GET /?t=AAAA%24BBBB-LEAK1', 'GET /?t=***'],
      ['AAAA$BBBB-LEAK1', 'printf %q: AAAA\\$BBBB-LEAK1', 'printf %q: ***'],
      ['CC\'CC"DD-LEAK2', "echo 'CC'\\''CC\"DD-LEAK2'", "echo '***'"],
      ['CC\'CC"DD-LEAK2', `echo ${shellQuote('CC\'CC"DD-LEAK2')}`, "echo '***'"],
      ['CC\'CC"DD-LEAK2', `python: 'CC'"'"'CC"DD-LEAK2'`, "python: '***'"],
      ['CC\'CC"DD-LEAK2', 'echo "CC\'CC\\"DD-LEAK2"', 'echo "***"'],
      ['CC\'CC"DD-LEAK2', '{"t":"CC\'CC\\"DD-LEAK2"}', '{"t":"***"}'],
      ['CC\'CC"DD-LEAK2', '{"t":"CC\\u0027CC\\"DD-LEAK2"}', '{"t":"***"}'],
      ['CC\'CC"DD-LEAK2', 'q=CC%27CC%22DD-LEAK2&x=1', 'q=***&x=1'],
      [
        'CC\'CC"DD-LEAK2',
        "q=CC'CC%22DD-LEAK2 (encodeURIComponent keeps quotes)",
        'q=*** (encodeURIComponent keeps quotes)',
      ],
      [
        'CC\'CC"DD-LEAK2',
        `curl --data-raw ${shellQuote(JSON.stringify({ t: 'CC\'CC"DD-LEAK2' }))}`,
        `curl --data-raw '{"t":"***"}'`,
      ],
      [
        'CC\'CC"DD-LEAK2',
        "<system-out>CC'CC&quot;DD-LEAK2</system-out>",
        '<system-out>***</system-out>',
      ],
      ['EE`EE\\FF-LEAK3', 'run "EE\\`EE\\\\FF-LEAK3"', 'run "***"'],
      ['EE`EE\\FF-LEAK3', '"EE`EE\\\\FF-LEAK3"', '"***"'],
      ['GG GG\tHH\nII-LEAK4', 'json: "GG GG\\tHH\\nII-LEAK4"', 'json: "***"'],
      ['GG GG\tHH\nII-LEAK4', 'json: "GG GG\\u0009HH\\u000aII-LEAK4"', 'json: "***"'],
      ['GG GG\tHH\nII-LEAK4', 'form: q=GG+GG%09HH%0AII-LEAK4', 'form: q=***'],
      [
        'GG GG\tHH\nII-LEAK4',
        `url: ${new URL('http://h/?q=GG GG\tHH\nII-LEAK4').href}`,
        'url: http://h/?q=***',
      ],
      ['ÜÜ€€<&>-LEAK5', 'xml: ÜÜ€€&lt;&amp;&gt;-LEAK5', 'xml: ***'],
      ['ÜÜ€€<&>-LEAK5', 'go: \\u00dc\\u00dc\\u20ac\\u20ac\\u003c\\u0026\\u003e-LEAK5', 'go: ***'],
      ['ÜÜ€€<&>-LEAK5', 'uri: %C3%9C%C3%9C%E2%82%AC%E2%82%AC%3C%26%3E-LEAK5', 'uri: ***'],
      [
        'u:s/@[x]-LEAK6',
        `${new URL('http://user:pw@h/').protocol}//user:${encodeURIComponent('u:s/@[x]-LEAK6')}@h/`,
        'http://user:***@h/',
      ],
      [
        '!@#$%^&*()',
        'no letters at all: !@#$%^&*() and !%40%23%24%25%5E%26*()',
        'no letters at all: *** and ***',
      ],
    ];

    it.each(CASES)('masks %j in %j', (secret, text, redacted) => {
      const redactor = new Redactor();
      redactor.add(secret);
      expect(redactor.redact(text)).toBe(redacted);
    });

    it('counts a secret once, whatever the number of its forms', () => {
      const redactor = new Redactor();
      redactor.add('CC\'CC"DD-LEAK2');
      expect(redactor.size).toBe(1);
    });

    it('leaves text that holds only part of a secret as it is', () => {
      const redactor = new Redactor();
      redactor.add('CC\'CC"DD-LEAK2');
      expect(redactor.redact('CC-LEAK2 and CC%27CC')).toBe('CC-LEAK2 and CC%27CC');
    });
  });

  describe('URLs', () => {
    it('also registers the password of a URL, raw and decoded', () => {
      const redactor = new Redactor();
      redactor.add('postgres://app:s3cr%40t!@db.internal:5432/app');
      expect(redactor.redact('connecting to postgres://app:s3cr%40t!@db.internal:5432/app')).toBe(
        'connecting to ***',
      );
      expect(redactor.redact('auth failed for password s3cr@t!')).toBe(
        'auth failed for password ***',
      );
      expect(redactor.redact('postgres://app:s3cr%40t!@other-host/app')).toBe(
        'postgres://app:***@other-host/app',
      );
    });

    it('keeps the user name and host of a URL readable', () => {
      const redactor = new Redactor();
      redactor.add('https://deploy:tok3n-value@git.example.com/repo.git');
      expect(redactor.redact('user deploy at git.example.com')).toBe(
        'user deploy at git.example.com',
      );
    });

    it('adds nothing more for a URL without a password', () => {
      const redactor = new Redactor();
      redactor.add('https://hooks.example.com/T000/B000/XXXX');
      expect(redactor.size).toBe(1);
    });
  });

  describe('addFromEnv', () => {
    it('registers credentials by variable name, not ordinary variables', () => {
      const redactor = new Redactor();
      redactor.addFromEnv({
        DATABASE_URL: 'postgres://app:pgpass99@db:5432/app',
        GITHUB_TOKEN: 'ghp_0123456789abcdef',
        STRIPE_API_KEY: 'sk_live_abcdef',
        PGPASSWORD: 'pgsecret',
        PATH: '/usr/local/bin:/usr/bin:/bin',
        HOME: '/home/oncall',
        USER: 'oncall',
        EMPTY_TOKEN: '',
        UNSET_SECRET: undefined,
      });
      const text = [
        'postgres://app:pgpass99@db:5432/app',
        'pgpass99',
        'ghp_0123456789abcdef',
        'sk_live_abcdef',
        'pgsecret',
        '/usr/local/bin:/usr/bin:/bin',
        '/home/oncall',
        'oncall',
      ].join(' ');
      expect(redactor.redact(text)).toBe(
        '*** *** *** *** *** /usr/local/bin:/usr/bin:/bin /home/oncall oncall',
      );
    });

    it.each([
      'GITHUB_TOKEN',
      'AWS_SECRET_ACCESS_KEY',
      'DB_PASSWD',
      'SENTRY_DSN',
      'SLACK_WEBHOOK_URL',
    ])('treats %s as a secret', (name) => {
      const redactor = new Redactor();
      redactor.addFromEnv({ [name]: 'value-1234' });
      expect(redactor.redact('value-1234')).toBe('***');
    });

    it('takes the password, not the whole URL, from a credentialed URL under any name', () => {
      const redactor = new Redactor();
      redactor.addFromEnv({ MONGO_URI: 'mongodb://app:m0ngo-pass@db:27017/app' });
      expect(redactor.redact('mongodb://app:m0ngo-pass@db:27017/app')).toBe(
        'mongodb://app:***@db:27017/app',
      );
    });

    it.each(['PGPASSWORD', 'NPM_TOKEN', 'MYSQL_PWD'])('treats %s as a secret', (name) => {
      const redactor = new Redactor();
      redactor.addFromEnv({ [name]: 'value-1234' });
      expect(redactor.size).toBe(1);
    });

    it.each([
      'PATH',
      'HOME',
      'SHELL',
      'LANG',
      'TERM',
      'PWD',
      'NODE_ENV',
      'GIT_AUTHOR_NAME',
      'XDG_SESSION_TYPE',
      'DESKTOP_SESSION',
      'TOKENIZERS_PARALLELISM',
    ])('does not treat %s as a secret', (name) => {
      const redactor = new Redactor();
      redactor.addFromEnv({ [name]: 'value-1234' });
      expect(redactor.size).toBe(0);
    });
  });

  describe('redactDeep', () => {
    it('redacts strings at any depth, keys included, without changing the input', () => {
      const redactor = new Redactor();
      redactor.add('hunter22');
      const input = {
        stdout: 'token hunter22',
        exit_code: 0,
        ok: true,
        missing: null,
        json: { items: [{ name: 'hunter22' }, 'plain', 7], hunter22: 'key' },
      };
      const copy = structuredClone(input);
      expect(redactor.redactDeep(input)).toEqual({
        stdout: 'token ***',
        exit_code: 0,
        ok: true,
        missing: null,
        json: { items: [{ name: '***' }, 'plain', 7], '***': 'key' },
      });
      expect(input).toEqual(copy);
    });

    it('returns the value itself when there are no secrets', () => {
      const redactor = new Redactor();
      const input = { a: ['b'] };
      expect(redactor.redactDeep(input)).toBe(input);
    });
  });
});
