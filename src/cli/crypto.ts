import type * as Crypto from 'node:crypto';
import { importLazily, loader } from '../common/lazy.js';

/**
 * node:crypto, for SHA-256: loaded only by what needs it (`check`'s lock, a run's start), since
 * loading it costs a few milliseconds; hashing in JavaScript instead cost a 50-step run ~25 ms.
 */
export const loadCrypto = loader('node:crypto', () => importLazily<typeof Crypto>('node:crypto'));

/** The SHA-256 of a text or bytes, as hex. */
export async function sha256(data: string | Uint8Array): Promise<string> {
  const { createHash } = await loadCrypto();
  return createHash('sha256').update(data).digest('hex');
}
