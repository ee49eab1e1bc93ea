import { o } from '../outputs.js';

const common = {
  status: o('int', 'the HTTP status code'),
  result_type: o('string?', 'vector, scalar or string (query), matrix (range)'),
  value: o(
    'double?',
    'the one value when the result is one: a scalar, or a vector or range of one sample; else null',
  ),
  count: o('int', 'how many samples (query) or series (range) there are'),
  warnings: o('list', "the server's warnings, as text"),
};

/** What each prometheus action gives (index.ts). */
export const PROMETHEUS_OUTPUTS = {
  query: {
    ...common,
    samples: o('list', 'one per series: labels (map), value (double), timestamp (unix seconds)'),
    series: o(
      'list',
      'for a range selector such as up[5m]: labels, values ([unix seconds, double])',
    ),
  },
  range: {
    ...common,
    series: o('list', 'one per series: labels (map), values (list of [unix seconds, double])'),
  },
};
