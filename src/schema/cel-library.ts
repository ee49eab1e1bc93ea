import type { Environment } from '@marcbachmann/cel-js';

/** The most items `sort`, `distinct` and `count_by` take: each costs more than a walk of the list,
 * and a list this long in a runbook is a mistake, not data to read (see docs/format.md). */
export const MAX_LIBRARY_ITEMS = 100_000;

/**
 * Runbook's functions for expressions (docs/format.md#expression-functions): aggregates over lists
 * (`sum`, `min`, `max`, `avg`), `sort`, `distinct`, `count_by`, printf-style `format`, and the
 * `humanize_*` functions of Prometheus's templates.
 *
 * Self-contained, as configureEnvironment in cel.ts is: it uses only its argument and globals, so
 * the bounded evaluator (expression-worker.ts) sends its source to its worker thread. The limit is
 * written as a literal for that reason (MAX_LIBRARY_ITEMS says the same, for the tests).
 *
 * Values come as cel-js gives them: an int is a bigint, a double a number.
 */
/**
 * What `format` would refuse in every run, known from its pattern and the number of values given
 * (validation checks a pattern written as a literal): the messages are the ones `format` gives.
 */
export function formatPatternProblem(pattern: string, count: number): string | undefined {
  let used = 0;
  for (const [directive, digits, verb] of pattern.matchAll(/%(?:\.(\d+))?(.?)/g)) {
    if (verb === '%' && digits === undefined) continue;
    const known = verb === 'f' || ((verb === 's' || verb === 'd') && digits === undefined);
    if (!known)
      return `format: ${directive === '%' ? 'a lone %' : directive} is not supported (use %d, %f, %.2f, %s, or %% for a percent sign)`;
    if (digits !== undefined && Number(digits) > 20)
      return `format: ${directive} has ${Number(digits)} decimals, more than 20`;
    if (used >= count)
      return `format: "${pattern}" has more directives than the ${count} value${count === 1 ? '' : 's'} given (${directive} has none)`;
    used++;
  }
  if (used < count)
    return `format: "${pattern}" has ${used} directive${used === 1 ? '' : 's'} for ${count} values`;
  return undefined;
}

export function registerLibrary(environment: Environment): void {
  const limit = 100_000;
  const INT_MIN = -(2n ** 63n);
  const INT_MAX = 2n ** 63n - 1n;
  const typeName = (value: unknown): string => {
    if (typeof value === 'bigint') return 'int';
    if (typeof value === 'number') return 'double';
    if (typeof value === 'string') return 'string';
    if (typeof value === 'boolean') return 'bool';
    if (value === null || value === undefined) return 'null';
    if (Array.isArray(value)) return 'list';
    if (value instanceof Uint8Array) return 'bytes';
    return 'map';
  };
  const numbers = (name: string, list: unknown[]): Array<bigint | number> => {
    for (const item of list)
      if (typeof item !== 'bigint' && typeof item !== 'number')
        throw new Error(`${name}: the list holds a ${typeName(item)}, not a number`);
    return list as Array<bigint | number>;
  };
  const nonEmpty = (name: string, list: unknown[]): void => {
    if (list.length === 0) throw new Error(`${name} of an empty list: it has no value`);
  };
  const bounded = (name: string, list: unknown[]): void => {
    if (list.length > limit)
      throw new Error(`${name}: the list has ${list.length} items, more than ${limit}`);
  };

  const sum = (list: unknown[]): bigint | number => {
    const items = numbers('sum', list);
    if (items.every((item) => typeof item === 'bigint')) {
      let total = 0n;
      for (const item of items) total += item;
      if (total < INT_MIN || total > INT_MAX) throw new Error('sum: integer overflow');
      return total;
    }
    let total = 0;
    for (const item of items) total += Number(item);
    return total;
  };
  // The item itself (an int stays an int); NaN wins, as in Math.min.
  const extreme =
    (name: string, better: (a: number, b: number) => boolean) => (list: unknown[]) => {
      const items = numbers(name, list);
      nonEmpty(name, items);
      let best = items[0] as bigint | number;
      for (const item of items) {
        if (Number.isNaN(best)) break;
        if (Number.isNaN(item)) best = item;
        else if (typeof item === 'bigint' && typeof best === 'bigint') {
          if (better(item > best ? 1 : item < best ? -1 : 0, 0)) best = item;
        } else if (better(Number(item), Number(best))) best = item;
      }
      return best;
    };
  const avg = (list: unknown[]): number => {
    const items = numbers('avg', list);
    nonEmpty('avg', items);
    let total = 0;
    for (const item of items) total += Number(item);
    return total / items.length;
  };
  for (const [type, result] of [
    ['int', 'int'],
    ['double', 'double'],
  ] as const) {
    environment.registerFunction(`sum(list<${type}>): ${result}`, sum);
    environment.registerFunction(
      `min(list<${type}>): ${result}`,
      extreme('min', (a, b) => a < b),
    );
    environment.registerFunction(
      `max(list<${type}>): ${result}`,
      extreme('max', (a, b) => a > b),
    );
    environment.registerFunction(`avg(list<${type}>): double`, avg);
  }

  // Order of sortable values: numbers (int and double together, NaN last), strings (by code
  // point), bools; a list mixing these kinds has no order.
  const kind = (value: unknown): string => {
    const type = typeName(value);
    return type === 'int' || type === 'double' ? 'number' : type;
  };
  const compare = (a: unknown, b: unknown): number => {
    if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
    if (kind(a) === 'number') {
      const x = Number(a);
      const y = Number(b);
      if (Number.isNaN(x) || Number.isNaN(y))
        return Number(Number.isNaN(x)) - Number(Number.isNaN(y));
      return x < y ? -1 : x > y ? 1 : 0;
    }
    if (typeof a === 'string') return a < (b as string) ? -1 : a > (b as string) ? 1 : 0;
    return Number(a) - Number(b);
  };
  const sort = (list: unknown[]): unknown[] => {
    bounded('sort', list);
    const first = list[0];
    for (const item of list) {
      const type = kind(item);
      if (type !== 'number' && type !== 'string' && type !== 'bool')
        throw new Error(`sort: a ${type} has no order (sort lists of numbers, strings or bools)`);
      if (type !== kind(first))
        throw new Error(`sort: the list mixes ${kind(first)}s and ${type}s, which have no order`);
    }
    return [...list].sort(compare);
  };
  // Equal values have equal keys, as CEL's == says: 1 and 1.0 are one value.
  const key = (value: unknown): string => {
    if (typeof value === 'number') return `n${value}`;
    if (typeof value === 'bigint')
      return BigInt(Number(value)) === value ? `n${Number(value)}` : `n${value}`;
    if (typeof value === 'string') return `s${value}`;
    if (typeof value === 'boolean' || value === null || value === undefined) return `v${value}`;
    if (value instanceof Uint8Array) return `b${[...value].join(',')}`;
    if (Array.isArray(value)) return `l[${value.map(key).join(',')}]`;
    const entries =
      value instanceof Map
        ? [...value.entries()]
        : Object.entries(value as Record<string, unknown>);
    return `m{${entries
      .map(([name, inner]) => `${key(name)}:${key(inner)}`)
      .sort()
      .join(',')}}`;
  };
  const distinct = (list: unknown[]): unknown[] => {
    bounded('distinct', list);
    const seen = new Set<string>();
    return list.filter((item) => {
      const found = key(item);
      if (seen.has(found)) return false;
      seen.add(found);
      return true;
    });
  };
  const countBy = (list: unknown[]): Map<unknown, bigint> => {
    bounded('count_by', list);
    const counts = new Map<unknown, bigint>();
    for (const item of list) {
      const type = typeName(item);
      if (type !== 'string' && type !== 'int' && type !== 'bool')
        throw new Error(
          `count_by: a ${type} cannot be a map key (count strings, ints or bools: map each item to one first)`,
        );
      // 1 and "1" would be one key once written as JSON: one kind of key per map.
      if (type !== typeName(list[0]))
        throw new Error(`count_by: the list mixes ${typeName(list[0])}s and ${type}s`);
      counts.set(item, (counts.get(item) ?? 0n) + 1n);
    }
    return counts;
  };
  environment.registerFunction('sort(list<A>): list<A>', sort);
  environment.registerFunction('list<A>.sort(): list<A>', sort);
  environment.registerFunction('distinct(list<A>): list<A>', distinct);
  environment.registerFunction('list<A>.distinct(): list<A>', distinct);
  environment.registerFunction('count_by(list<A>): map<A, int>', countBy);

  // printf-style: %d, %f, %.Nf, %s and %%, nothing more (docs/format.md#expression-functions).
  const show = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean')
      return String(value);
    if (value === null || value === undefined) return 'null';
    if (value instanceof Uint8Array) return new TextDecoder().decode(value);
    if (Array.isArray(value)) return `[${value.map(quoted).join(', ')}]`;
    const entries =
      value instanceof Map
        ? [...value.entries()]
        : Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([name, inner]) => `${quoted(name)}: ${quoted(inner)}`).join(', ')}}`;
  };
  const quoted = (value: unknown): string =>
    typeof value === 'string' ? JSON.stringify(value) : show(value);
  const format = (pattern: string, ...values: unknown[]): string => {
    let used = 0;
    const next = (directive: string): unknown => {
      if (used >= values.length)
        throw new Error(
          `format: "${pattern}" has more directives than the ${values.length} value${values.length === 1 ? '' : 's'} given (${directive} has none)`,
        );
      return values[used++];
    };
    const number = (directive: string, value: unknown): number => {
      if (typeof value !== 'bigint' && typeof value !== 'number')
        throw new Error(`format: ${directive} needs a number, got a ${typeName(value)}`);
      return Number(value);
    };
    const text = pattern.replace(/%(?:\.(\d+))?(.?)/g, (directive, digits, verb) => {
      if (verb === '%' && digits === undefined) return '%';
      if (verb === 's' && digits === undefined) return show(next(directive));
      if (verb === 'd' && digits === undefined) {
        const value = next(directive);
        if (typeof value === 'bigint') return String(value);
        const whole = number(directive, value);
        if (!Number.isInteger(whole))
          throw new Error(`format: %d needs a whole number, got ${whole} (use %.0f to round it)`);
        return String(whole);
      }
      if (verb === 'f') {
        const precision = digits === undefined ? 6 : Number(digits);
        if (precision > 20)
          throw new Error(`format: ${directive} has ${precision} decimals, more than 20`);
        const value = number(directive, next(directive));
        return Number.isFinite(value) ? value.toFixed(precision) : String(value);
      }
      throw new Error(
        `format: ${directive === '%' ? 'a lone %' : directive} is not supported (use %d, %f, %.2f, %s, or %% for a percent sign)`,
      );
    });
    if (used < values.length)
      throw new Error(
        `format: "${pattern}" has ${used} directive${used === 1 ? '' : 's'} for ${values.length} values`,
      );
    return text;
  };
  environment.registerFunction('format(string): string', (pattern: string) => format(pattern));
  for (let count = 1; count <= 5; count++)
    environment.registerFunction(
      `format(string, ${Array.from({ length: count }, () => 'dyn').join(', ')}): string`,
      format,
    );

  // Prometheus's humanize functions: four significant digits, as Go's %.4g writes them.
  const g4 = (value: number): string => {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
    if (value === 0) return '0';
    const [mantissa = '', exponentText = '0'] = value.toExponential(3).split('e');
    const exponent = Number(exponentText);
    const trim = (digits: string): string =>
      digits.includes('.') ? digits.replace(/0+$/, '').replace(/\.$/, '') : digits;
    if (exponent < -4 || exponent >= 4)
      return `${trim(mantissa)}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
    return trim(value.toFixed(3 - exponent));
  };
  const humanizeBytes = (input: bigint | number): string => {
    let value = Number(input);
    if (Math.abs(value) < 1024 || !Number.isFinite(value)) return `${g4(value)}B`;
    let prefix = '';
    for (const next of ['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
      if (Math.abs(value) < 1024) break;
      prefix = next;
      value /= 1024;
    }
    return `${g4(value)}${prefix}B`;
  };
  const humanizePercent = (input: bigint | number): string => `${g4(Number(input) * 100)}%`;
  const humanizeDuration = (input: bigint | number): string => {
    let value = Number(input);
    if (!Number.isFinite(value)) return g4(value);
    if (value === 0) return '0s';
    if (Math.abs(value) >= 1) {
      const sign = value < 0 ? '-' : '';
      value = Math.abs(value);
      const whole = Math.trunc(value);
      const seconds = whole % 60;
      const minutes = Math.trunc(whole / 60) % 60;
      const hours = Math.trunc(whole / 3600) % 24;
      const days = Math.trunc(whole / 86400);
      if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
      if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
      if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
      return `${sign}${g4(value)}s`;
    }
    let prefix = '';
    for (const next of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
      if (Math.abs(value) >= 1) break;
      prefix = next;
      value *= 1000;
    }
    return `${g4(value)}${prefix}s`;
  };
  for (const type of ['int', 'double']) {
    environment.registerFunction(`humanize_bytes(${type}): string`, humanizeBytes);
    environment.registerFunction(`humanize_percent(${type}): string`, humanizePercent);
    environment.registerFunction(`humanize_duration(${type}): string`, humanizeDuration);
  }
}
