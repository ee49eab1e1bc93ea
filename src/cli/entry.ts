import { processIo } from './io.js';
import { main } from './main.js';
import { tellReaderGone } from './reader-gone.js';

// A reader that went away (`runbook list | head -1`) is not an error of ours: stop quietly. A
// command with something to finish first (a run) is told once, and stops as on Ctrl-C
// (src/cli/reader-gone.ts); with none listening, the process stops now.
let told = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    if (told) return;
    told = true;
    if (!tellReaderGone()) process.exit(process.exitCode ?? 0);
  });
}

void main(process.argv.slice(2), processIo()).then(async (code) => {
  process.exitCode = code;
  // A pipe that is full takes the rest of the output asynchronously (past 64 KiB on Linux):
  // exiting now would cut it off. Wait until both streams have handed everything to the OS.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  // Then exit explicitly: an idle HTTP keep-alive socket or a finished child must not hold the
  // CLI open.
  process.exit(code);
});

/** Resolves once everything written to `stream` so far has been handed to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) return resolve();
    // Writes complete in order, so this empty write's callback comes after every earlier one.
    stream.write('', () => resolve());
  });
}
