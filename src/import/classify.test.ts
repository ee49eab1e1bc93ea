import { describe, expect, it } from 'vitest';
import { classifyCommand, commandEffect, psqlCommand, sqlAction } from './classify.js';
import { replacePlaceholders } from './placeholders.js';

describe('classifyCommand', () => {
  it('maps a command to its adapter action when the inputs cover every word', () => {
    expect(classifyCommand('sudo systemctl restart fondation-worker')).toEqual({
      uses: 'systemd.restart',
      with: { unit: 'fondation-worker' },
      effect: 'destructive',
      guesses: [],
    });
    expect(classifyCommand('pm2 logs cookcam-api --lines 100')).toEqual({
      uses: 'pm2.logs',
      with: { app: 'cookcam-api', lines: 100 },
      guesses: [],
    });
    expect(classifyCommand('journalctl -u nginx -n 50 --no-pager').with).toEqual({
      unit: 'nginx',
      lines: 50,
    });
    expect(classifyCommand('docker system prune -a --volumes')).toMatchObject({
      uses: 'docker.system_prune',
      with: { all: true, volumes: true },
      effect: 'destructive',
    });
    expect(classifyCommand('curl -I $CONVEX_URL')).toMatchObject({
      uses: 'curl.get',
      with: { url: '${{ vars.CONVEX_URL }}', timeout: '10s', method: 'HEAD' },
    });
  });

  it('keeps a run: step for what an action cannot say', () => {
    expect(classifyCommand('docker logs api --tail 100 | grep ERROR')).toEqual({
      run: 'docker logs api --tail 100 | grep ERROR',
      effect: 'read',
      guesses: [],
    });
    expect(classifyCommand('pm2 start ecosystem.config.js -i max').run).toBe(
      'pm2 start ecosystem.config.js -i max',
    );
  });

  it('leaves to a person what a runbook cannot run', () => {
    expect(classifyCommand('sudo nano /etc/nginx/nginx.conf').person).toBe(
      'it is interactive (an editor, a pager or a screen)',
    );
    expect(classifyCommand('sudo tail -f /var/log/nginx/error.log').person).toBe(
      'it follows the log and never ends',
    );
    expect(classifyCommand('ssh production-server').person).toBe(
      'it opens a shell on another host',
    );
    expect(classifyCommand('jobs.reclaimExpired()').person).toBe(
      'it is a function call in another tool, not a shell command',
    );
  });

  it('marks destructive commands', () => {
    expect(commandEffect('rm -rf /tmp/fondation/*')).toBe('destructive');
    expect(commandEffect('docker-compose -f prod.yml down')).toBe('destructive');
    expect(commandEffect('git push --force origin main')).toBe('destructive');
    expect(commandEffect('df -h / | tail -1')).toBe('read');
    expect(commandEffect('npm run build')).toBe('write');
  });
});

describe('SQL', () => {
  it('makes one query a psql.select and anything else a psql.query', () => {
    expect(psqlCommand(`psql $DATABASE_URL -c "SELECT COUNT(*) FROM pg_stat_activity;"`)).toEqual({
      sql: 'SELECT COUNT(*) FROM pg_stat_activity;',
      url: '$DATABASE_URL',
    });
    expect(sqlAction('SELECT 1;', '$DATABASE_URL')).toEqual({
      uses: 'psql.select',
      with: { sql: 'SELECT 1;', url: '${{ vars.DATABASE_URL }}' },
      guesses: [],
    });
    expect(sqlAction('SELECT pg_terminate_backend(pid) FROM pg_stat_activity;', undefined)).toEqual(
      {
        uses: 'psql.select',
        with: { sql: 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity;' },
        effect: 'destructive',
        guesses: [],
      },
    );
    expect(sqlAction("UPDATE t SET s = 'x';", undefined).uses).toBe('psql.query');
  });
});

describe('replacePlaceholders', () => {
  it('declares each placeholder as a variable; $VAR stays the shell’s, passed by env', () => {
    const out = replacePlaceholders(
      'deploy <service-name> --token YOUR_API_TOKEN --env [staging|production] {{region}} my_table_here $DATABASE_URL $HOME',
      7,
      new Set(),
    );
    expect(out.text).toBe(
      'deploy ${{ vars.service_name }} --token ${{ vars.api_token }} --env ${{ vars.environment }} ${{ vars.region }} ${{ vars.my_table }} $DATABASE_URL $HOME',
    );
    expect(out.env).toEqual({ DATABASE_URL: '${{ vars.DATABASE_URL }}' });
    expect(out.vars.map((v) => [v.name, v.secret ?? false, v.choices ?? null])).toEqual([
      ['service_name', false, null],
      ['api_token', true, null],
      ['environment', false, ['staging', 'production']],
      ['region', false, null],
      ['my_table', false, null],
      ['DATABASE_URL', true, null],
    ]);
  });

  it('leaves names the block assigns itself', () => {
    expect(replacePlaceholders('echo $TIME_WINDOW', 1, new Set(['TIME_WINDOW'])).vars).toEqual([]);
  });

  it('makes a credential written into a command a secret variable', () => {
    const token = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
    const out = replacePlaceholders(
      `curl -H "Authorization: token ${token}" https://api`,
      12,
      new Set(),
    );
    expect(out.text).toBe('curl -H "Authorization: token ${{ vars.secret_12 }}" https://api');
    expect(out.secrets).toEqual([token]);
    expect(out.vars).toEqual([
      { name: 'secret_12', written: 'a GitHub token (ghp_…)', line: 12, secret: true },
    ]);
  });
});
