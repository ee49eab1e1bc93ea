/** The first line of `text` that matches, trimmed. */
export function lineMatching(text: string, pattern: RegExp): string | undefined {
  return text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => pattern.test(line));
}

/** The first line of `text` that is not blank, trimmed: what a tool said first. */
export function firstLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((line) => line.trim())
    .find(Boolean);
}

/** JSON Lines (one JSON value per line), skipping blank lines; throws on a line that is not JSON. */
export function parseJsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line, index) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new Error(`line ${index + 1} is not JSON: ${line.slice(0, 80)}`);
      }
    });
}
