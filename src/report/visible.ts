/**
 * Text from outside (a title, a file name, a step's output, an HTTP body) made safe to print to a
 * terminal: every control character but the line break and the tab is shown as an escape such as
 * `\x1b`, so no byte of it can move the cursor, rewrite the screen or set the window title. The
 * tool's own colours are added after this, around text that has been through it.
 */
export function visible(text: string): string {
  // C0 controls but \t and \n, DEL, and the C1 controls (U+0080–U+009F, such as the CSI U+009B).
  return CONTROL.test(text) ? text.replace(CONTROL_ALL, escape) : text;
}

/** visible() on every string of a value (keys included), for whole events and results. */
export function visibleDeep<T>(value: T): T {
  if (typeof value === 'string') return visible(value) as T;
  if (Array.isArray(value)) return value.map(visibleDeep) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      const safe = visible(key);
      if (safe === '__proto__')
        Object.defineProperty(out, safe, { value: visibleDeep(inner), enumerable: true });
      else out[safe] = visibleDeep(inner);
    }
    return out as T;
  }
  return value;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_ALL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

function escape(char: string): string {
  return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
}
