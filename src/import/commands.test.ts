import { describe, expect, it } from 'vitest';
import { fenceKind, readCommand, unitsOf } from './commands.js';

describe('readCommand', () => {
  it('joins continuations, pipes at a line end, open quotes and heredocs', () => {
    expect(readCommand(['curl -X POST https://x \\', '  -d "{}"', 'ls'], 0)).toEqual({
      text: 'curl -X POST https://x \\\n  -d "{}"',
      used: 2,
    });
    expect(readCommand(['jq .a |', '  sort', 'ls'], 0).used).toBe(2);
    expect(readCommand(['psql $DB -c "', 'SELECT 1;', '"', 'ls'], 0).used).toBe(3);
    expect(readCommand(["cat <<'EOF' | sh", 'echo # not a comment', 'EOF', 'ls'], 0)).toEqual({
      text: "cat <<'EOF' | sh\necho # not a comment\nEOF",
      used: 3,
    });
    expect(readCommand(['echo "a # b" # comment \\'], 0).used).toBe(1);
  });
});

describe('unitsOf', () => {
  it('names a command from the comment above it, and keeps a lone comment as a note', () => {
    expect(unitsOf('shell', '# Check disk\ndf -h\n\n# Then look at the dashboard\n', 10)).toEqual([
      { kind: 'command', text: 'df -h', line: 11, lines: [11], comment: 'Check disk' },
      { kind: 'note', text: 'Then look at the dashboard', line: 13 },
    ]);
  });

  it('puts a cd before the commands that follow it', () => {
    expect(unitsOf('shell', 'cd /srv/app\n./deploy.sh\n', 1)).toEqual([
      { kind: 'command', text: 'cd /srv/app && ./deploy.sh', line: 2, lines: [2, 1] },
    ]);
  });

  it('reads a transcript: prompts are commands, the rest is output', () => {
    const body = '$ kubectl get pods \\\n> -n shop\nNAME   READY\napi-1  1/1\n# whoami\nroot';
    expect(unitsOf(fenceKind('console', body), body, 5)).toEqual([
      { kind: 'command', text: 'kubectl get pods \\\n-n shop', line: 5, lines: [5, 6] },
      { kind: 'command', text: 'whoami', line: 9, lines: [9] },
    ]);
  });

  it('makes SQL after a bare psql a statement on that connection', () => {
    const units = unitsOf(
      'shell',
      'psql $DATABASE_URL\nSELECT count(*) FROM pg_stat_activity;\n',
      3,
    );
    expect(units).toEqual([
      {
        kind: 'sql',
        text: 'SELECT count(*) FROM pg_stat_activity;',
        line: 4,
        lines: [3, 4],
        url: '$DATABASE_URL',
      },
    ]);
  });

  it('tells shell from prose in a fence without a language, and takes a script whole', () => {
    expect(fenceKind('', 'We are investigating.\nNext update: 10:00')).toBe('text');
    expect(fenceKind('', 'docker ps')).toBe('shell');
    expect(fenceKind('BASH', 'ls')).toBe('shell');
    expect(fenceKind('bash', '#!/bin/bash\necho hi')).toBe('script');
    expect(unitsOf('script', '#!/bin/bash\n\necho hi\n', 2)).toEqual([
      { kind: 'command', text: '#!/bin/bash\n\necho hi', line: 2, lines: [2, 4] },
    ]);
  });
});
