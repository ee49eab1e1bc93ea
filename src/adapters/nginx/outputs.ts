import { CURL_OUTPUTS } from '../curl/outputs.js';
import { o, PROCESS_OUTPUTS, PROCESS_STATUS } from '../outputs.js';

const messages = {
  syntax_ok: o('bool', 'nginx said the syntax is ok'),
  config_file: o('string?', 'the configuration file nginx read'),
  errors: o('list', 'emerg/alert/crit/error messages: level, message, file, line'),
  warnings: o('list', 'warn messages: level, message, file, line'),
};

/** What each nginx action gives (index.ts). */
export const NGINX_OUTPUTS = {
  test: { ...PROCESS_OUTPUTS, ...messages, valid: o('bool', 'the configuration is valid') },
  reload: {
    ...PROCESS_OUTPUTS,
    ...messages,
    signalled: o('bool', 'the master was signalled to reload'),
  },
  status: {
    ...CURL_OUTPUTS,
    stub_status: o('bool', 'the body was a stub_status page'),
    active_connections: o('int', 'open client connections'),
    accepts: o('int', 'connections accepted'),
    handled: o('int', 'connections handled'),
    requests: o('int', 'client requests'),
    reading: o('int', 'connections reading the request'),
    writing: o('int', 'connections writing the response'),
    waiting: o('int', 'idle keep-alive connections'),
    dropped: o('int', 'accepted but not handled (accepts - handled)'),
  },
  rate_limited: {
    ...PROCESS_STATUS,
    count: o('int', 'requests rejected by limit_req'),
    delayed: o('int', 'requests delayed'),
    dry_run: o('int', 'rejections in dry-run mode'),
    zones: o('map', 'rejections per zone'),
    clients: o('list', 'top clients: client, count'),
    entries: o('list', 'the most recent rejections: time, client, zone, excess, request'),
    first_at: o('string?', 'the first rejection'),
    last_at: o('string?', 'the last rejection'),
    scanned_lines: o('int', 'error log lines read'),
  },
};
