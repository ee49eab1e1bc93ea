/**
 * Sets `record[key]` as an own property even when the key is `__proto__`, which plain assignment
 * would take as the object's prototype. For objects built from data (YAML, JSON, outputs).
 */
export function setOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(record, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else record[key] = value;
}
