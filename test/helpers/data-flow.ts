import { json, startServer, type TestServer } from './cli.js';

/** Steps that pass data to each other (capture → when → a templated command), with shell and
 * http steps against a real local HTTP server, and the journal that records them. */
export const DATA_FLOW_RUNBOOK = `
id: data-flow
title: Data flows between steps
service: orders
severity: P2
vars:
  base_url: { required: true }
  out_dir: { required: true }
detection:
  checks:
    - id: health
      uses: http.get
      with: { url: "\${{ vars.base_url }}/health" }
      expect: { status: 200 }
diagnosis:
  - id: queue
    uses: http.get
    with: { url: "\${{ vars.base_url }}/queue" }
    capture:
      depth: outputs.json.depth
      worker: outputs.json.workers[0].name
  - id: count-lines
    run: printf 'a\\nb\\nc\\n' | wc -l
    capture: { lines: int(outputs.stdout.trim()) }
resolution:
  - id: drain
    when: steps.queue.outputs.depth > 100
    run: echo "draining \${{ steps.queue.outputs.worker }}" > \${{ vars.out_dir }}/drained.txt
  - id: never
    when: steps.queue.outputs.depth < 0
    run: touch \${{ vars.out_dir }}/never.txt
  - id: notify
    uses: http.post
    with:
      url: "\${{ vars.base_url }}/events"
      body: { worker: "\${{ steps.queue.outputs.worker }}", depth: "\${{ steps.queue.outputs.depth }}", lines: "\${{ steps.count_lines.outputs.lines }}" }
verification:
  - id: drained
    run: cat \${{ vars.out_dir }}/drained.txt
    expect: { stdout: "draining worker-7; rm -rf /" }
`;

/** The orders API the runbook reads: unhealthy, with a queue `depth()` deep whose first worker has a
 * hostile name, and an events endpoint. */
export function startOrdersApi(depth: () => number): Promise<TestServer> {
  return startServer((request, response) => {
    if (request.url === '/health') return json(response, 503, { ok: false });
    if (request.url === '/queue')
      return json(response, 200, { depth: depth(), workers: [{ name: 'worker-7; rm -rf /' }] });
    if (request.url === '/events') return json(response, 201, { ok: true });
    json(response, 404, {});
  });
}
