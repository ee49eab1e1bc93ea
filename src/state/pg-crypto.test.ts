import { createRequire } from 'node:module';
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import * as ours from './pg-crypto.js';

/** pg's own helpers (WebCrypto), which the build replaces with ours in dist/pg.cjs. */
const theirs = createRequire(import.meta.url)('pg/lib/crypto/utils') as typeof ours;

const hex = (bytes: ArrayBuffer | Uint8Array): string =>
  Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex');

describe("node-postgres's crypto helpers on node:crypto", () => {
  it('derive the SCRAM salted password as pg does, for an ASCII and a non-ASCII password', async () => {
    const salt = Buffer.from('QSXCR+Q6sek8bf92', 'base64');
    for (const password of ['S3cret-pw', 'pässwörd✓']) {
      const mine = await ours.deriveKey(password, salt, 4096);
      expect(mine.length).toBe(32);
      expect(hex(mine)).toBe(hex(await theirs.deriveKey(password, salt, 4096)));
    }
  });

  it('sign, hash and hash by name as pg does, from the bytes pg passes (ArrayBuffer or Buffer)', async () => {
    const key = new Uint8Array([1, 2, 3, 250, 251, 252]).buffer;
    expect(hex(await ours.hmacSha256(key, 'Client Key'))).toBe(
      hex(await theirs.hmacSha256(key, 'Client Key')),
    );
    expect(hex(await ours.sha256(key))).toBe(hex(await theirs.sha256(key)));
    const cert = Buffer.from('a certificate, as bytes');
    for (const name of ['SHA-256', 'SHA-384', 'SHA-512'])
      expect(hex(await ours.hashByName(name, cert))).toBe(hex(await theirs.hashByName(name, cert)));
  });

  it('make the MD5 login hash as pg does', async () => {
    const salt = Buffer.from([0x9a, 0x01, 0xff, 0x10]);
    expect(await ours.postgresMd5PasswordHash('runbook', 'S3cret', salt)).toBe(
      await theirs.postgresMd5PasswordHash('runbook', 'S3cret', salt),
    );
    expect(await ours.md5('runbook')).toBe('7c840e0b157a88fa3d19bb09d5ff56db');
  });

  it('give random bytes of the length asked', () => {
    const bytes = ours.randomBytes(18);
    expect(bytes.length).toBe(18);
    expect(Buffer.isBuffer(bytes)).toBe(true);
  });
});
