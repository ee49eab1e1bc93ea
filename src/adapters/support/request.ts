import type { request as UndiciRequest } from 'undici';
import { importLazily, loader } from '../../common/lazy.js';

/** undici's `request`, loaded on first use: most commands never make a request. Its own module,
 * so that what imports it (the http and notify adapters, `check --pushgateway`) builds nothing
 * else at start. */

export type UndiciRequestFunction = typeof UndiciRequest;

export const loadRequest = loader('undici', async (): Promise<UndiciRequestFunction> => {
  const module = await importLazily<{
    request?: UndiciRequestFunction;
    default?: { request: UndiciRequestFunction };
  }>('undici');
  const request = module.request ?? module.default?.request;
  if (!request) throw new Error('undici.request is not available');
  return request;
});
