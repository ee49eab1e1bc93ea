import packageJson from '../../package.json' with { type: 'json' };
import { loader } from '../common/lazy.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';

/** Every command but `--version`: the commands bundle (see docs/architecture.md#build). */
const loadCommands = loader('the commands', () => import('./commands.js'));

/** Runs one command and returns its exit code. Everything but `--version` is in the commands
 * bundle, loaded on first use so that `runbook --version` starts as fast as node itself. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  if (isVersionRequest(argv)) {
    io.stdout.write(versionText(argv.includes('--json')));
    return EXIT.ok;
  }
  let program: Awaited<ReturnType<typeof loadCommands>>;
  try {
    program = await loadCommands();
  } catch (error) {
    io.stderr.write(
      `runbook: internal error: ${error instanceof Error ? error.message : String(error)}\nRun \`npm run build\` in a checkout, or reinstall runbook.\n`,
    );
    return EXIT.internal;
  }
  return program.runProgram(argv, io);
}

/** `runbook --version [--json]`, in either order. */
function isVersionRequest(argv: readonly string[]): boolean {
  const rest = argv.filter((arg) => arg !== '--json');
  return rest.length === 1 && (rest[0] === '--version' || rest[0] === '-V') && argv.length <= 2;
}

/** What a bug report needs: runbook's version, the Node.js running it, and the platform. */
function versionText(json: boolean): string {
  const facts = {
    runbook: packageJson.version,
    node: process.version,
    platform: process.platform,
    arch: process.arch,
  };
  if (json) return `${JSON.stringify(facts, null, 2)}\n`;
  return `runbook ${facts.runbook} (Node.js ${facts.node}, ${facts.platform}-${facts.arch})\n`;
}
