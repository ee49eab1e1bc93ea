// What the benchmark scripts share (bench/run.mjs, bench/tricks.mjs).

/** A positive integer from the environment variable `name`, or `fallback`; exits 2 on another value. */
export function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`bench: ${name} must be a positive integer (got "${raw}")\n`);
    process.exit(2);
  }
  return n;
}

/** The median of values sorted in ascending order. */
export function median(sorted) {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The YAML of `bench-<steps>`: that many trivial shell steps (`run: "true"`). */
export function trivialStepsRunbook(steps) {
  return [
    `id: bench-${steps}`,
    `title: Benchmark — ${steps} trivial shell steps`,
    'diagnosis:',
    ...Array.from({ length: steps }, (_, i) => [
      `  - id: step-${String(i + 1).padStart(2, '0')}`,
      '    run: "true"',
    ]).flat(),
    '',
  ].join('\n');
}
