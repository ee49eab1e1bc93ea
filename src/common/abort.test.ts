import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { isTimeout, linkSignal, timeoutSignal } from './abort.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Resolves with the reason once `signal` aborts, collecting garbage all the while. */
function abortedUnderGc(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    const collector = setInterval(gc, 5);
    signal.addEventListener('abort', () => {
      clearInterval(collector);
      resolve(signal.reason);
    });
  });
}

describe('linkSignal', () => {
  it('aborts at its deadline even when only it is held and the heap is collected meanwhile', async () => {
    const parent = new AbortController();
    const started = performance.now();
    const reason = await abortedUnderGc(linkSignal([parent.signal], 50).signal);
    expect(isTimeout(reason)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('aborts when a parent built by AbortSignal.timeout fires, the parent held only by it', async () => {
    // eslint-disable-next-line no-restricted-properties -- the weakly held parent is the point
    const reason = await abortedUnderGc(linkSignal([AbortSignal.timeout(50)]).signal);
    expect(isTimeout(reason)).toBe(true);
  });

  it('takes the reason of the parent that aborts, at once when it already has', () => {
    const first = new AbortController();
    const second = new AbortController();
    const linked = linkSignal([first.signal, undefined, second.signal], 60_000);
    second.abort(new Error('SIGINT'));
    expect(linked.signal.aborted).toBe(true);
    expect((linked.signal.reason as Error).message).toBe('SIGINT');
    expect(linkSignal([second.signal]).signal.reason).toBe(second.signal.reason);
  });

  it('after dispose, neither the parent nor the deadline aborts it', async () => {
    const parent = new AbortController();
    const linked = linkSignal([parent.signal], 10);
    linked.dispose();
    parent.abort();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(linked.signal.aborted).toBe(false);
  });

  it('timeoutSignal aborts with a TimeoutError', async () => {
    expect(isTimeout(await abortedUnderGc(timeoutSignal(20)))).toBe(true);
    expect(isTimeout(new Error('TimeoutError'))).toBe(false);
  });
});
