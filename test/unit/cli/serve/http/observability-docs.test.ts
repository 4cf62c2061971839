/**
 * docs/observability.md lists every metric `serve --http` registers (with its type and
 * labels): a metric added without a line in the docs fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ServeMetrics } from '../../../../../src/cli/serve/http/serve-metrics.js';

test('docs/observability.md lists every socketkit metric with its type and labels', () => {
  const docs = readFileSync('docs/observability.md', 'utf8');
  const metrics = new ServeMetrics({ maxRoomLabels: 5, chat: true });
  const listed = new Map<string, [string, string]>();
  for (const line of docs.split('\n')) {
    const m = /^\| `(socketkit_\w+)` \| (\w+) \| ([^|]*) \|/.exec(line);
    if (m) listed.set(m[1] ?? '', [m[2] ?? '', (m[3] ?? '').trim()]);
  }
  const registered = metrics.registry.getMetricsAsArray();
  const ours = registered.filter((m) => m.name.startsWith('socketkit_'));
  assert.ok(ours.length >= 15, `${ours.length} socketkit metrics`);
  for (const metric of ours) {
    const row = listed.get(metric.name);
    assert.ok(row, `${metric.name} is not listed in docs/observability.md`);
    assert.equal(row[0], String(metric.type), `${metric.name}: type`);
    const labels = (metric as unknown as { labelNames?: string[] }).labelNames ?? [];
    const docLabels = row[1] === '—' ? [] : row[1].split(/,\s*/);
    assert.deepEqual([...docLabels].sort(), [...labels].sort(), `${metric.name}: labels`);
  }
  // …and lists none that does not exist.
  for (const name of listed.keys())
    assert.ok(
      ours.some((m) => m.name === name),
      `docs/observability.md lists ${name}, which is not registered`,
    );
  // The process metrics the issue names come from prom-client's defaults.
  for (const name of [
    'process_resident_memory_bytes',
    'process_cpu_seconds_total',
    'process_open_fds',
    'nodejs_eventloop_lag_seconds',
  ]) {
    assert.ok(
      registered.some((m) => m.name === name),
      `${name} is registered`,
    );
    assert.ok(docs.includes(name), `${name} is in the docs`);
  }
});
