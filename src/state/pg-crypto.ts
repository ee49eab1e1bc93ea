/**
 * node-postgres's crypto helpers (pg/lib/crypto/utils.js) on node:crypto instead of WebCrypto: the
 * build puts this module in its place in dist/pg.cjs (scripts/build.mjs). pg logs in with
 * SCRAM-SHA-256 through WebCrypto on Node 15 and later, which runs on Node's thread pool; once it
 * has, every step's process took 0.3–0.8 ms more to start for the rest of the run
 * (bench/state-pg.mjs: 1.2–1.5 ms a step with a password login, 0.2 ms with none, 0.4 ms with
 * these helpers; docs/state.md#speed). The same functions, with the same results
 * (src/state/pg-crypto.test.ts compares them with pg's own).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes as nodeRandomBytes } from 'node:crypto';
import { Buffer } from 'node:buffer';

/** The bytes a WebCrypto digest or signature would give, as pg reads them (it wraps each in
 * Buffer.from). */
type Bytes = Buffer;

export function randomBytes(length: number): Buffer {
  return nodeRandomBytes(length);
}

export function md5(text: string | Buffer): Promise<string> {
  return Promise.resolve(createHash('md5').update(text).digest('hex'));
}

/** AuthenticationMD5Password (https://www.postgresql.org/docs/current/protocol-flow.html). */
export async function postgresMd5PasswordHash(
  user: string,
  password: string,
  salt: Buffer,
): Promise<string> {
  const inner = await md5(password + user);
  const outer = await md5(Buffer.concat([Buffer.from(inner), salt]));
  return `md5${outer}`;
}

export function sha256(data: ArrayBuffer | Uint8Array): Promise<Bytes> {
  return Promise.resolve(createHash('sha256').update(asBytes(data)).digest());
}

/** A digest by its WebCrypto name (`SHA-256`, `SHA-384`, …): channel binding's certificate hash. */
export function hashByName(name: string, data: ArrayBuffer | Uint8Array): Promise<Bytes> {
  return Promise.resolve(
    createHash(name.replace('-', '').toLowerCase()).update(asBytes(data)).digest(),
  );
}

export function hmacSha256(key: ArrayBuffer | Uint8Array, message: string): Promise<Bytes> {
  return Promise.resolve(createHmac('sha256', asBytes(key)).update(message, 'utf8').digest());
}

/** PBKDF2-HMAC-SHA-256, 32 bytes: SCRAM's salted password. On this thread (a few milliseconds,
 * once a login): done on Node's thread pool, as WebCrypto and `pbkdf2` do, it starts that pool,
 * and every step's process took 0.3–0.5 ms more to start from then on (docs/state.md#speed). */
export function deriveKey(password: string, salt: Uint8Array, iterations: number): Promise<Bytes> {
  return Promise.resolve(pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256'));
}

function asBytes(data: ArrayBuffer | Uint8Array): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}
