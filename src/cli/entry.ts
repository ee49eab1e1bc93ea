import { processIo } from './io.js';
import { main } from './main.js';

// Exit explicitly: an idle HTTP keep-alive socket or a finished child must not hold the CLI open.
// On Linux, writes to pipes, files and terminals are synchronous, so nothing printed is lost.
void main(process.argv.slice(2), processIo()).then((code) => process.exit(code));
