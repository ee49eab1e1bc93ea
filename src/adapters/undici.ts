import type { request as UndiciRequest } from 'undici';
import { importLazily } from '../lazy-import.js';

export type UndiciRequestFunction = typeof UndiciRequest;

/** undici's `request`, loaded on first use: most commands never make a request. */
export async function loadRequest(): Promise<UndiciRequestFunction> {
  const module = await importLazily<{
    request?: UndiciRequestFunction;
    default?: { request: UndiciRequestFunction };
  }>('undici');
  const request = module.request ?? module.default?.request;
  if (!request) throw new Error('undici.request is not available');
  return request;
}
