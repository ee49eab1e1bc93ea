// Signals that abort when a parent does or a deadline passes.
//
// Node's own AbortSignal.any() holds its sources weakly, and AbortSignal.timeout()'s timer holds
// its signal weakly too: a timeout signal reachable only through AbortSignal.any() can be
// garbage-collected before it fires, and the combined signal then never aborts (a step's timeout
// that does not hold once the heap is busy). Here the timer and the parents' listeners hold the
// new signal's controller, and the new signal holds its parents, so that nothing is collected
// while anyone still waits on it. See docs/architecture.md ("Signals").

/** A signal, and how to let go of its timer and its listeners on the parents. */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Clears the deadline and removes the listeners; the signal stays as it is. */
  dispose(): void;
}

// The derived signal keeps its parents and its timer alive for as long as it is itself reachable.
const holds = new WeakMap<AbortSignal, unknown>();

/** The reason a deadline aborts with: the same DOMException as AbortSignal.timeout()'s. */
export function timeoutReason(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

/** Whether `reason` is a deadline's (this module's or AbortSignal.timeout()'s). */
export function isTimeout(reason: unknown): boolean {
  return reason instanceof DOMException && reason.name === 'TimeoutError';
}

/**
 * A signal that aborts when any of `parents` does (with its reason) or, when `timeoutMs` is given,
 * once that many milliseconds have passed (with a TimeoutError). The timer does not keep the
 * process alive on its own.
 */
export function linkSignal(
  parents: ReadonlyArray<AbortSignal | undefined>,
  timeoutMs?: number,
): LinkedSignal {
  const controller = new AbortController();
  const sources = parents.filter((parent): parent is AbortSignal => parent !== undefined);
  const listeners: Array<[AbortSignal, () => void]> = [];
  let timer: NodeJS.Timeout | undefined;
  const dispose = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    for (const [parent, listener] of listeners) parent.removeEventListener('abort', listener);
    listeners.length = 0;
  };
  const abort = (reason: unknown): void => {
    dispose();
    controller.abort(reason);
  };
  for (const parent of sources) {
    if (parent.aborted) {
      abort(parent.reason);
      return { signal: controller.signal, dispose };
    }
    const listener = (): void => abort(parent.reason);
    parent.addEventListener('abort', listener, { once: true });
    listeners.push([parent, listener]);
  }
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => abort(timeoutReason()), Math.max(0, timeoutMs));
    timer.unref();
  }
  holds.set(controller.signal, { sources, controller });
  return { signal: controller.signal, dispose };
}

/** A signal that aborts after `timeoutMs` with a TimeoutError, held by whoever holds it. */
export function timeoutSignal(timeoutMs: number): AbortSignal {
  return linkSignal([], timeoutMs).signal;
}
