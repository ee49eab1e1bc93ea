import { o, PROCESS_OUTPUTS } from '../outputs.js';

const apiError = o('int', "the Cloudflare API's error code, when wrangler failed with one");
const common = { ...PROCESS_OUTPUTS, api_error_code: apiError };

/** What each wrangler action gives (index.ts, tail.ts). */
export const WRANGLER_OUTPUTS = {
  deployments: {
    ...common,
    deployments: o('list', 'newest first: id, created_on, author, source, message, versions'),
    count: o('int', 'how many deployments'),
    current_deployment_id: o('string?', 'the newest deployment'),
    current_version_id: o('string?', 'the version the newest deployment serves most'),
    previous_version_id: o('string?', 'the version the deployment before served most'),
  },
  deployment_status: {
    ...common,
    deployment: o(
      'map',
      'the active deployment: id, created_on, author, source, message, versions',
    ),
    deployment_id: o('string', 'its id'),
    version_id: o('string?', 'the version with the most traffic'),
    versions: o('list', 'version_id and percentage of each version it serves'),
  },
  versions: {
    ...common,
    versions: o('list', 'newest first: id, number, created_on, author, source, tag, message'),
    count: o('int', 'how many versions'),
    latest_version_id: o('string?', 'the newest version'),
  },
  version: {
    ...common,
    version: o(
      'map',
      'id, number, tag, message, compatibility_date, compatibility_flags, handlers, bindings, …',
    ),
  },
  rollback: {
    ...common,
    message: o('string', 'the rollback message'),
    version_id: o('string?', 'the version rolled back to'),
    active_version_id: o('string?', 'the version active afterwards'),
    deployment: o('map', 'the deployment afterwards'),
    status_error: o('string', 'why the deployment afterwards could not be read'),
  },
  secret_put: {
    ...common,
    name: o('string', 'the Worker'),
    key: o('string', 'the secret name'),
  },
  whoami: {
    ...common,
    logged_in: o('bool', 'the credentials work'),
    auth_type: o('string?', 'how they authenticate'),
    email: o('string?', 'whose they are'),
    accounts: o('list', 'accounts: id, name'),
  },
  tail: {
    stderr: PROCESS_OUTPUTS.stderr,
    exit_code: PROCESS_OUTPUTS.exit_code,
    events: o(
      'list',
      'invocations: timestamp, outcome, status, method, url, response_status, logs, exceptions, …',
    ),
    count: o('int', 'how many events'),
    error_count: o('int', 'events with status error'),
    truncated: o('bool', 'more events matched than max_events'),
    stopped_by: o('string', 'duration, max_events or exit'),
  },
};
