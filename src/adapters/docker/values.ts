// docker's JSON is read leniently: a field of another type, or missing, reads as empty.

/** A JSON object as a record; {} for anything else. */
export function asRecord(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {};
  }
  return value as Record<string, unknown>;
}

/** A string, number or boolean as text; '' for anything else. */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/** A finite number, else `fallback`. */
export function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** An array's items as text; [] for anything else. */
export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(text) : [];
}

/** An object's values as text. */
export function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(asRecord(value))) out[key] = text(item);
  return out;
}

/** The non-empty, trimmed items of a list docker prints joined by `separator`. */
export function splitList(value: string, separator: string): string[] {
  return value
    .split(separator)
    .map((item) => item.trim())
    .filter(Boolean);
}

/** "Local Volumes" → local_volumes, for an output key. */
export function snakeCase(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_');
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  pib: 1024 ** 5,
};

/** "320KiB", "23.54GiB" (binary) or "1.982MB", "102.4kB" (decimal) → bytes; null when not a size. */
export function parseSize(value: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  if (!match) return null;
  const unit = SIZE_UNITS[(match[2] || 'b').toLowerCase()];
  return unit === undefined ? null : Math.round(Number(match[1]) * unit);
}

/** "1.80%" → 1.8; null when not a percentage. */
export function parsePercent(value: string): number | null {
  const match = /^(-?\d+(?:\.\d+)?)%$/.exec(value.trim());
  return match ? Number(match[1]) : null;
}
