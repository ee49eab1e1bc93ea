/** XML for the JUnit reports (junit.ts, scenarios.ts): text escaped, and characters XML cannot
 * hold left out. */
export function escape(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
  );
}

/** An attribute's value: a raw line break or tab in one would be read as a space. */
export function attr(text: string): string {
  return escape(text).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}
