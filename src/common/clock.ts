/**
 * Milliseconds on a monotonic clock, for durations. Not `performance.now()`: the first use of
 * `performance` loads Node's perf_hooks, about 1.6 ms of every start (docs/performance.md).
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
