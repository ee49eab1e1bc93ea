import { o } from '../outputs.js';

/** What runCurl (run.ts) gives; a transfer that failed before an answer gives only exit_code. */
export const CURL_OUTPUTS = {
  status: o('int', 'the HTTP status code (0 when there was no answer)'),
  dns_ms: o('int', 'name lookup time'),
  connect_ms: o('int', 'TCP connect time, after the lookup'),
  tls_ms: o('int', 'TLS handshake time (0 for http)'),
  ttfb_ms: o('int', 'time to the first byte of the answer'),
  server_ms: o('int', 'time the server took, from the request sent to the first byte'),
  total_ms: o('int', 'the whole transfer'),
  latency_ms: o('int', 'the whole transfer (as http.* names it)'),
  size_bytes: o('int', 'bytes of body downloaded'),
  remote_ip: o('string', 'the address connected to'),
  http_version: o('string', 'the HTTP version of the answer'),
  content_type: o('string?', 'the Content-Type of the answer'),
  url: o('string', 'the URL last fetched (after redirects), without credentials'),
  redirects: o('int', 'how many redirects were followed'),
  headers: o('map', 'response headers'),
  body: o('string', 'the response body (empty for HEAD)'),
  json: o('dyn', 'the body parsed as JSON, when it parses'),
  exit_code: o('int?', "curl's exit code (0, 6 no such host, 7 refused, 28 timeout, …)"),
};
