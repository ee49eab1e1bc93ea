import type { ChalkInstance } from 'chalk';
import type { Diagnostic } from '../common/errors.js';
import { visibleDeep } from './visible.js';

/** `file:line:col: error: message`, the source line and a caret under the column. */
export function formatDiagnostic(diagnostic: Diagnostic, colors: ChalkInstance): string {
  // File names, messages and source lines come from the files: nothing in them reaches the
  // terminal as a control sequence.
  const { file, line, col, severity, message, sourceLine, hint, rule } = visibleDeep(diagnostic);
  const label = severity === 'error' ? colors.red.bold('error') : colors.yellow.bold('warning');
  const tag = rule === undefined ? '' : ` ${colors.dim(`[${rule}]`)}`;
  const lines = [`${colors.bold(`${file}:${line}:${col}`)}: ${label}: ${message}${tag}`];
  if (sourceLine !== undefined && sourceLine.trim() !== '') {
    const gutter = String(line).length;
    const shown = sourceLine.replace(/\t/g, ' ');
    lines.push(`${colors.dim(`${String(line).padStart(gutter)} |`)} ${shown}`);
    lines.push(
      `${colors.dim(`${' '.repeat(gutter)} |`)} ${' '.repeat(Math.max(0, col - 1))}${colors.red('^')}`,
    );
  }
  if (hint) lines.push(`${' '.repeat(String(line).length)}   ${colors.cyan('hint:')} ${hint}`);
  return lines.join('\n');
}

export function formatDiagnostics(
  diagnostics: readonly Diagnostic[],
  colors: ChalkInstance,
): string {
  return diagnostics.map((d) => formatDiagnostic(d, colors)).join('\n\n');
}
