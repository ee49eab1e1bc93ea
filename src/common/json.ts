/** The value of a JSON text (an object, array or string, surrounding space allowed), or undefined
 * when the text is not one: for output and files that may or may not be JSON. */
export function tryParseJson(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed || !/^[[{"]/.test(trimmed)) return undefined;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return undefined;
  }
}
