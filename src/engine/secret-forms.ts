/**
 * The forms in which a secret can be printed: as it is, quoted for a shell, percent-encoded for a
 * URL or a form, escaped for JSON, XML or HTML — and each of those put through a second one (a
 * JSON body shown in a shell command, a URL in a JSON document). A dry run shows values quoted
 * for the shell (render.ts), step outputs hold whatever the programs printed, and reports are
 * JSON and XML: the redactor masks all of these forms, not only the raw value.
 */
export function secretForms(secret: string): string[] {
  if (PLAIN.test(secret)) return [secret];
  const forms = new Set<string>([secret]);
  const once = ENCODERS.map((encode) => encode(secret));
  for (const form of once) forms.add(form);
  for (const form of new Set(once)) for (const encode of ENCODERS) forms.add(encode(form));
  return [...forms];
}

/** Characters that none of the encodings below changes: a run of them is in every form. */
const KEPT = /[A-Za-z0-9._-]+/g;
const PLAIN = /^[A-Za-z0-9._-]*$/;

/** The longest run of the secret that every form keeps, to look for before the forms. */
export function anchorOf(secret: string): string {
  let longest = '';
  for (const [run] of secret.matchAll(KEPT)) if (run.length > longest.length) longest = run;
  return longest;
}

type Encoder = (text: string) => string;

const ENCODERS: Encoder[] = [
  // Shells: inside "…" (as render.ts inlines values there), inside '…' in both usual spellings,
  // and unquoted with backslashes (bash printf %q).
  (text) => text.replace(/[\\"$`]/g, (char) => `\\${char}`),
  (text) => text.replace(/'/g, `'\\''`),
  (text) => text.replace(/'/g, `'"'"'`),
  (text) => text.replace(/[^A-Za-z0-9_\-.,:/@%+=\t\n\r]/g, (char) => `\\${char}`),
  // URLs: encodeURIComponent, forms (space as +), RFC 3986's reserved set, and what a URL
  // parser writes in a query, a path and the user info.
  (text) => {
    try {
      return encodeURIComponent(text);
    } catch {
      return text; // A lone surrogate: not encodable, so not printed encoded either.
    }
  },
  (text) => percentEncode(text, FORM).replace(/%20/g, '+'),
  (text) => percentEncode(text, RESERVED),
  (text) => percentEncode(text.replace(/[\t\n\r]/g, ''), QUERY),
  (text) => percentEncode(text.replace(/[\t\n\r]/g, ''), PATH),
  (text) => percentEncode(text.replace(/[\t\n\r]/g, ''), USERINFO),
  // JSON: JSON.stringify's escapes, and the ASCII-only spelling (\u for every control character,
  // non-ASCII character and <, >, &, ') that other encoders write.
  (text) => JSON.stringify(text).slice(1, -1),
  jsonAscii,
  // XML (as JUnit reports escape it) and HTML.
  (text) => text.replace(/[&<>"]/g, (char) => XML[char] ?? char),
  (text) => text.replace(/[&<>"']/g, (char) => HTML[char] ?? char),
];

const XML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const HTML: Record<string, string> = { ...XML, "'": '&#39;' };

function jsonAscii(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? '';
    const code = text.charCodeAt(i);
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (code < 0x20 || code > 0x7e || `<>&'`.includes(char))
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return out;
}

// The WHATWG URL standard's percent-encode sets, beyond the C0 controls and non-ASCII.
const QUERY = new Set(' "#<>\'');
const PATH = new Set([...QUERY, '?', '^', '`', '{', '}']);
const USERINFO = new Set([...PATH, '/', ':', ';', '=', '@', '[', '\\', ']', '|']);
const FORM = new Set([...USERINFO, '$', '%', '&', '+', ',', '!', "'", '(', ')', '~']);
/** RFC 3986: everything but the unreserved characters (Python's quote(safe='')). */
const RESERVED = new Set([...FORM, '*'].filter((char) => char !== '~'));

function percentEncode(text: string, set: ReadonlySet<string>): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (code >= 0x20 && code < 0x7f && !set.has(char)) out += char;
    else if (code < 0x80) out += `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else {
      try {
        out += encodeURIComponent(char);
      } catch {
        out += char; // A lone surrogate.
      }
    }
  }
  return out;
}
