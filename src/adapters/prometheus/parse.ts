/** Prometheus's HTTP API answer (/api/v1/query, /api/v1/query_range) as typed outputs. */

export interface Sample {
  labels: Record<string, string>;
  value: number;
  timestamp: number;
}

export interface Series {
  labels: Record<string, string>;
  values: Array<[number, number]>;
}

export type Parsed =
  | { ok: true; outputs: Record<string, unknown> }
  | { ok: false; error: string; outputs: Record<string, unknown> };

/** A sample value as the API writes it: a string, with NaN, +Inf and -Inf spelled out. */
export function sampleValue(text: unknown): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (typeof text !== 'string' || text.trim() === '') return NaN;
  return Number(text);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function labelsOf(metric: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  if (isRecord(metric))
    for (const [name, value] of Object.entries(metric))
      if (typeof value === 'string') labels[name] = value;
  return labels;
}

function point(pair: unknown): [number, number] | undefined {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'number') return undefined;
  return [pair[0], sampleValue(pair[1])];
}

/**
 * The outputs of an answer: `body` parsed as JSON (undefined when it is not JSON) with its HTTP
 * `status`. Not ok when the server says `"status": "error"` (its errorType and error are the
 * message) or the answer is not the API's.
 */
export function parseAnswer(status: number, body: unknown, range: boolean): Parsed {
  const warnings =
    isRecord(body) && Array.isArray(body.warnings) ? body.warnings.map((w) => String(w)) : [];
  const outputs: Record<string, unknown> = {
    status,
    result_type: null,
    value: null,
    count: 0,
    warnings,
    ...(range ? { series: [] } : { samples: [], series: [] }),
  };
  if (!isRecord(body) || (body.status !== 'success' && body.status !== 'error'))
    return {
      ok: false,
      outputs,
      error: `not an answer of the Prometheus HTTP API (HTTP ${status})`,
    };
  if (body.status === 'error') {
    const type = typeof body.errorType === 'string' ? `${body.errorType}: ` : '';
    const message = typeof body.error === 'string' ? body.error : 'error';
    return { ok: false, outputs, error: `Prometheus (HTTP ${status}): ${type}${message}` };
  }
  const data = isRecord(body.data) ? body.data : {};
  const type = typeof data.resultType === 'string' ? data.resultType : null;
  outputs.result_type = type;
  const result = data.result;
  if (type === 'scalar') {
    const one = point(result);
    if (one) {
      outputs.samples = [{ labels: {}, value: one[1], timestamp: one[0] }];
      outputs.count = 1;
      outputs.value = one[1];
    }
  } else if (type === 'string') {
    // A string literal's result: there is no number to give.
  } else if (type === 'vector' && Array.isArray(result)) {
    const samples: Sample[] = [];
    for (const item of result) {
      const one = isRecord(item) ? point(item.value) : undefined;
      if (isRecord(item) && one)
        samples.push({ labels: labelsOf(item.metric), value: one[1], timestamp: one[0] });
    }
    outputs.samples = samples;
    outputs.count = samples.length;
    if (samples.length === 1) outputs.value = samples[0]?.value ?? null;
  } else if (type === 'matrix' && Array.isArray(result)) {
    const series: Series[] = [];
    for (const item of result) {
      if (!isRecord(item) || !Array.isArray(item.values)) continue;
      const values = item.values.flatMap((pair) => {
        const one = point(pair);
        return one ? [one] : [];
      });
      series.push({ labels: labelsOf(item.metric), values });
    }
    outputs.series = series;
    outputs.count = series.length;
    const only = series.length === 1 ? series[0]?.values : undefined;
    if (only?.length === 1) outputs.value = only[0]?.[1] ?? null;
  } else {
    return { ok: false, outputs, error: `unexpected result type ${String(type)} from Prometheus` };
  }
  return { ok: true, outputs };
}
