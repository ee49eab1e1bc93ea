import { loadCatalog, matchesSelection, severityText } from './catalog.js';
import { EXIT } from './exit-codes.js';
import { colorsFor, type Io } from './io.js';
import { setup } from './setup.js';
import { defineCommand, dirFlag, flag, jsonFlag, type Values } from './define.js';
import { visible } from '../report/visible.js';
import { isDocumentationOnly } from '../schema/guidance.js';

const flags = {
  dir: dirFlag,
  json: jsonFlag,
  severity: flag.string('--severity <level>', 'only this severity'),
  tag: flag.string('--tag <tag>', 'only runbooks with this tag'),
  service: flag.string('--service <service>', 'only this service'),
};

export const list = defineCommand({
  name: 'list',
  summary: 'List runbooks',
  args: {},
  flags,
  handler: (_args, options, io) => listRunbooks(options, io),
});

async function listRunbooks(options: Values<typeof flags>, io: Io): Promise<number> {
  const cli = await setup(io, { dir: options.dir });
  const { entries, invalid } = await loadCatalog(cli);
  const selected = entries.filter(({ runbook }) => matchesSelection(runbook, options, cli.config));
  if (options.json) {
    const rows = selected.map(({ file, runbook }) => ({
      id: runbook.id,
      title: runbook.title,
      severity: runbook.severity === undefined ? null : severityText(runbook),
      service: runbook.service ?? null,
      tags: runbook.tags ?? [],
      file,
      documentation_only: isDocumentationOnly(runbook),
    }));
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    const colors = colorsFor(io.stdout, io.env);
    const rows = selected.map(({ runbook }) =>
      [
        runbook.id,
        severityText(runbook) || '-',
        runbook.service ?? '-',
        // A runbook with no steps is read, not run (docs/format.md).
        isDocumentationOnly(runbook) ? `${runbook.title} (guidance only)` : runbook.title,
      ].map(visible),
    );
    const header = ['ID', 'SEVERITY', 'SERVICE', 'TITLE'];
    const widths = header.map((h, i) =>
      Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)),
    );
    const line = (row: string[]): string =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ');
    if (rows.length === 0) io.stdout.write('no runbooks found\n');
    else {
      io.stdout.write(`${colors.bold(line(header))}\n`);
      for (const row of rows) io.stdout.write(`${line(row)}\n`);
    }
  }
  for (const broken of invalid) {
    // One runbook of a catalog file is named by where it starts in the file.
    const what = broken.catalog
      ? `the runbook at ${broken.file}${broken.at ? `:${broken.at.line}` : ''} is not valid`
      : `${broken.file} is not a valid runbook`;
    io.stderr.write(`warning: ${what} and is not listed; see: runbook validate ${broken.file}\n`);
  }
  // Runbook files that are all invalid: nothing can be run from here, and a script should know.
  return entries.length === 0 && invalid.length > 0 ? EXIT.usage : EXIT.ok;
}
