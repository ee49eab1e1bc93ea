import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  type MessagePort,
} from 'node:worker_threads';
import { configureEnvironment, environmentOptions } from './cel.js';
import { registerLibrary } from './cel-library.js';

/**
 * Evaluation with a bound, for expressions that can grow without one: a comprehension over a list
 * (`map`, `filter`, `all`, `exists`) inside another costs the product of the lists' sizes, and
 * JavaScript code cannot be stopped from within. Such expressions run in a worker thread with a
 * heap limit; the caller waits for the answer at most `timeoutMs`, then ends the thread. The call
 * stays synchronous (Atomics.wait on a shared flag), as every other evaluation is.
 */

export interface Bound {
  timeoutMs: number;
  heapMb: number;
}

export const DEFAULT_BOUND: Bound = { timeoutMs: 2000, heapMb: 256 };

/** The expression exceeded its bound in time or memory, and was stopped. */
export class ExpressionBoundError extends Error {}

type Answer = { ok: true; value: unknown } | { ok: false; message: string; bound?: boolean };

interface Evaluator {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
  heapMb: number;
}

let current: Evaluator | undefined;

export function evaluateBounded(
  source: string,
  context: Record<string, unknown>,
  bound: Bound = DEFAULT_BOUND,
): unknown {
  const evaluator = current?.heapMb === bound.heapMb ? current : start(bound.heapMb);
  current = evaluator;
  Atomics.store(evaluator.flag, 0, 0);
  evaluator.worker.postMessage({ source, context });
  const waited = Atomics.wait(evaluator.flag, 0, 0, bound.timeoutMs);
  const answer = receiveMessageOnPort(evaluator.port)?.message as Answer | undefined;
  if (waited === 'timed-out' || answer === undefined) {
    // Too slow, or the thread died of its heap limit: end it; the next call starts another.
    void evaluator.worker.terminate();
    current = undefined;
    throw new ExpressionBoundError(
      `stopped: it ran past its bound (${bound.timeoutMs} ms, ${bound.heapMb} MB of memory)`,
    );
  }
  if (!answer.ok)
    throw answer.bound ? new ExpressionBoundError(answer.message) : new Error(answer.message);
  return answer.value;
}

function start(heapMb: number): Evaluator {
  current?.worker.terminate().catch(() => undefined);
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  // Resolved from this package, wherever it is installed (see scripts/build.mjs for the bundle).
  const resolve = createRequire(join(import.meta.dirname, 'expressions.js')).resolve;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      port: port2,
      flag,
      cel: resolve('@marcbachmann/cel-js'),
      re2: resolve('re2js'),
      options: environmentOptions(true),
    },
    transferList: [port2],
    resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 32 },
    stdout: true,
    stderr: true,
  });
  // A worker must never keep the CLI alive, nor bring it down.
  worker.unref();
  worker.on('error', () => undefined);
  return { worker, port: port1, flag, heapMb };
}

/** Values the worker's answer may hold: at most this many, so no result fills the memory. */
const MAX_VALUES = 1_000_000;

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { Environment } = require(workerData.cel);
const { RE2JS } = require(workerData.re2);
const patterns = new Map();
const test = (pattern, text) => {
  let compiled = patterns.get(pattern);
  if (!compiled) patterns.set(pattern, (compiled = RE2JS.compile(pattern)));
  return compiled.matcher(text).find();
};
const environment = new Environment(workerData.options);
(${configureEnvironment.toString()})(environment, test);
(${registerLibrary.toString()})(environment);
const { port, flag } = workerData;
let budget = 0;
const tooLarge = new Error('stopped: its result is too large (more than ${MAX_VALUES} values)');
// Values as structured clone carries them: class instances (durations, timestamps) by their value.
const plain = (value) => {
  if (++budget > ${MAX_VALUES}) throw tooLarge;
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, plain(v)]));
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || value instanceof Date) return value;
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: plain(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  const primitive = value.valueOf();
  return primitive !== value ? primitive : String(value);
};
parentPort.on('message', ({ source, context }) => {
  let answer;
  try {
    budget = 0;
    answer = { ok: true, value: plain(environment.evaluate(source, context)) };
  } catch (error) {
    answer = { ok: false, message: error instanceof Error ? error.message : String(error), bound: error === tooLarge };
  }
  port.postMessage(answer);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;
