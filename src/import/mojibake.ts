/**
 * Repairs mojibake: UTF-8 text that was once read as Windows-1252 (`âœ…` for `✅`) or as Mac Roman
 * (`‚úÖ`) and written back as UTF-8 (docs/import.md#mojibake). A run of characters that all come
 * from one of those code pages is turned back into its bytes, and replaced only when those bytes are
 * whole, valid UTF-8 that needs more than one byte a character; anything else is left as it is. The
 * tables are the code pages themselves, read from the platform's decoder, not a list of guesses.
 */

export interface Repair {
  line: number;
  from: string;
  to: string;
  encoding: 'windows-1252' | 'macintosh';
}

interface CodePage {
  name: Repair['encoding'];
  /** Character → the byte (0x80–0xFF) it stands for in this code page. */
  bytes: Map<string, number>;
}

/** Windows-1252's 0x80–0x9F (0x81, 0x8D, 0x8F, 0x90 and 0x9D are undefined: decoders that keep
 * them give the C1 control of the same number); 0xA0–0xFF are Latin-1's. Written out because Node's
 * TextDecoder('windows-1252') decodes Latin-1. */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

function windows1252(): CodePage {
  const bytes = new Map<string, number>();
  [...CP1252_HIGH].forEach((char, at) => bytes.set(char, 0x80 + at));
  for (let byte = 0xa0; byte <= 0xff; byte++) bytes.set(String.fromCharCode(byte), byte);
  return { name: 'windows-1252', bytes };
}

/** Mac Roman, from the platform's decoder (ICU); left out where the decoder does not know it. */
function macRoman(): CodePage | undefined {
  const bytes = new Map<string, number>();
  try {
    const decoder = new TextDecoder('macintosh');
    for (let byte = 0x80; byte <= 0xff; byte++) {
      const char = decoder.decode(Uint8Array.of(byte));
      if (char !== '\ufffd' && !bytes.has(char)) bytes.set(char, byte);
    }
  } catch {
    return undefined;
  }
  // A decoder that gives Latin-1 for it does not know Mac Roman (0x80 is Ä there).
  return bytes.get('\u00c4') === 0x80 ? { name: 'macintosh', bytes } : undefined;
}

let pages: CodePage[] | undefined;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The byte sequence a variation selector-16 (U+FE0F) leaves when Windows-1252 drops its 0x8F. */
const CUT_VS16 = [0xef, 0xb8];

/** Repairs every run it can; `repairs` says what changed, line by line (1-based). */
export function repairMojibake(text: string): { text: string; repairs: Repair[] } {
  // Mojibake of multi-byte UTF-8 starts with one of these lead bytes' characters; most files have none.
  if (
    !/[\u00c2-\u00f4\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122\u00a0-\u00bf\u00d0-\u00ff\u2202-\u25ca\uf8ff\ufb01\ufb02]/.test(
      text,
    )
  )
    return { text, repairs: [] };
  pages ??= [windows1252(), macRoman()].filter((page) => page !== undefined);
  const repairs: Repair[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (!/[^\p{ASCII}]/u.test(line)) continue;
    let out = '';
    let at = 0;
    const chars = [...line];
    while (at < chars.length) {
      const repaired = repairAt(chars, at, at === 0 ? undefined : chars[at - 1]);
      if (repaired) {
        out += repaired.to;
        repairs.push({
          line: index + 1,
          from: repaired.from,
          to: repaired.to,
          encoding: repaired.encoding,
        });
        at += [...repaired.from].length;
      } else {
        out += chars[at];
        at += 1;
      }
    }
    lines[index] = out;
  }
  return { text: repairs.length > 0 ? lines.join('\n') : text, repairs };
}

/** The run of one code page's characters from `at`, when it turns back into whole UTF-8. */
function repairAt(
  chars: string[],
  at: number,
  before: string | undefined,
): { from: string; to: string; encoding: Repair['encoding'] } | undefined {
  for (const page of pages ?? []) {
    // Only whole runs: one that starts inside another is not a run of its own.
    if (before !== undefined && page.bytes.has(before)) continue;
    const bytes: number[] = [];
    let end = at;
    while (end < chars.length && page.bytes.has(chars[end] ?? '')) {
      bytes.push(page.bytes.get(chars[end] ?? '') ?? 0);
      end++;
    }
    if (bytes.length < 2) continue;
    const to = decodeWhole(bytes);
    if (to !== undefined) return { from: chars.slice(at, end).join(''), to, encoding: page.name };
  }
  return undefined;
}

/** The bytes as UTF-8 when every character takes more than one byte and none is cut; a trailing
 * variation selector-16 that lost its last byte (Windows-1252 has no character for 0x8F) is put
 * back, since nothing else leaves exactly those two bytes after an emoji. */
function decodeWhole(bytes: number[]): string | undefined {
  let tail = '';
  let body = bytes;
  if (bytes.length > 2 && bytes.at(-2) === CUT_VS16[0] && bytes.at(-1) === CUT_VS16[1]) {
    body = bytes.slice(0, -2);
    tail = '\ufe0f';
  }
  try {
    const text = strictUtf8.decode(Uint8Array.from(body));
    // Every character must be non-ASCII: an ASCII one means these bytes were not mojibake.
    if ([...text].some((char) => (char.codePointAt(0) ?? 0) < 0x80)) return undefined;
    return text + tail;
  } catch {
    return undefined;
  }
}
