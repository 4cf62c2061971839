// ServeMetrics reads only channel messages: these tests publish the messages the library
// publishes (their documented shapes) and read /metrics through a strict parser.
import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { OTHER_ROOM } from '../../../../../src/cli/serve/http/chat-room-metrics.js';
import {
  countsFrom,
  emptyCounts,
  type ListenerCounts,
  observeDuration,
} from '../../../../../src/cli/serve/http/listener-counts.js';
import { ServeMetrics } from '../../../../../src/cli/serve/http/serve-metrics.js';
import { parsePrometheusText, sampleValue } from '../../../../helpers/prometheus-text.js';

test('room labels are capped: the first N rooms are labelled, later ones are "other"', async (t) => {
  const metrics = new ServeMetrics({ maxRoomLabels: 2, chat: true });
  metrics.attach();
  t.after(() => metrics.detach());
  const room = channel('socketkit:chat:room');
  const message = channel('socketkit:chat:message');
  const slow = channel('socketkit:chat:slow-consumer');
  room.publish({ room: '#lobby', members: 3, node: 'n' });
  room.publish({ room: '#a', members: 1, node: 'n' });
  room.publish({ room: '#b', members: 2, node: 'n' });
  room.publish({ room: '#c', members: 4, node: 'n' });
  message.publish({ room: '#b', kind: 'msg', id: '0-1', node: 'n' });
  message.publish({ room: '#c', kind: 'msg', id: `${Date.now() - 50}-0`, node: 'n' });
  message.publish({ room: '#lobby', kind: 'action', id: '0-3', node: 'n' });
  slow.publish({ nick: 'x', remote: '', room: '#a', queued: 1, limit: 1, node: 'n' });
  const m = parsePrometheusText(await metrics.metrics());
  const rooms = m.get('socketkit_chat_room_members')?.samples.map((s) => s.labels.room);
  assert.deepEqual(rooms?.sort(), ['#a', '#lobby', OTHER_ROOM]);
  assert.equal(sampleValue(m, 'socketkit_chat_room_members', { room: OTHER_ROOM }), 6);
  assert.equal(sampleValue(m, 'socketkit_chat_messages_total', { room: OTHER_ROOM }), 2);
  assert.equal(sampleValue(m, 'socketkit_chat_messages_total', { room: '#lobby' }), 1);
  assert.equal(sampleValue(m, 'socketkit_chat_slow_consumer_cuts_total', { room: '#a' }), 1);
  assert.ok(sampleValue(m, 'socketkit_chat_bus_lag_seconds') > 0);
  // An unlabelled room that empties leaves "other".
  room.publish({ room: '#c', members: 0, node: 'n' });
  const after = parsePrometheusText(await metrics.metrics());
  assert.equal(sampleValue(after, 'socketkit_chat_room_members', { room: OTHER_ROOM }), 2);
  // The bus state feeds the gauge and readiness.
  channel('socketkit:chat:bus').publish({ status: 'down', reason: 'gone', node: 'n' });
  assert.deepEqual(metrics.notReady(), ['the chat bus is down']);
  const down = parsePrometheusText(await metrics.metrics());
  assert.equal(sampleValue(down, 'socketkit_chat_bus_up'), 0);
  assert.equal(metrics.recent.at(-1)?.detail, 'bus down: gone');
});

test('events of untracked servers are ignored; a tracked one is counted by transport', async (t) => {
  const metrics = new ServeMetrics({ maxRoomLabels: 2, chat: false });
  metrics.attach();
  t.after(() => metrics.detach());
  const server = {};
  metrics.track(server, { service: 'echo', transport: 'tcp' });
  assert.deepEqual(metrics.notReady(), ['echo/tcp is not listening']);
  const remote = { family: 'IPv4', address: '127.0.0.1', port: 5 };
  channel('socketkit:server:listening').publish({ server, address: remote, transport: 'tcp' });
  channel('socketkit:server:connection').publish({ id: 1, remote, transport: 'tcp', server: {} });
  channel('socketkit:server:connection').publish({ id: 2, remote, transport: 'tcp', server });
  channel('socketkit:server:refused').publish({ remote, reason: 'acceptRate', server });
  channel('socketkit:server:error').publish({
    error: new Error('<b>x</b>'),
    phase: 'handler',
    server,
  });
  const m = parsePrometheusText(await metrics.metrics());
  const labels = { service: 'echo', transport: 'tcp' };
  assert.equal(sampleValue(m, 'socketkit_connections_accepted_total', labels), 1);
  assert.equal(sampleValue(m, 'socketkit_connections_open', labels), 1);
  assert.equal(
    sampleValue(m, 'socketkit_connections_refused_total', { ...labels, reason: 'acceptRate' }),
    1,
  );
  assert.equal(
    sampleValue(m, 'socketkit_handler_errors_total', { ...labels, phase: 'handler' }),
    1,
  );
  assert.equal(m.has('socketkit_chat_room_members'), false, 'no chat metrics without a chat');
  assert.deepEqual(metrics.notReady(), []);
  assert.equal(metrics.listeners[0]?.address, '127.0.0.1:5');
  // The error text is kept as text (the page renders it with textContent).
  assert.equal(metrics.recent.at(-1)?.detail, 'handler: <b>x</b>');
});

test("workers' reports add up per key; an exited worker keeps its counts, not its open connections", async (t) => {
  const metrics = new ServeMetrics({ maxRoomLabels: 2, chat: false });
  metrics.attach();
  t.after(() => metrics.detach());
  const primaryCopy = {};
  metrics.track(primaryCopy, { service: 'echo', transport: 'tcp', key: 'echo/tcp' });
  const worker = (requests: number, open: number, fast: number): ListenerCounts => {
    const c = emptyCounts();
    Object.assign(c, { open, accepted: requests, requests, bytesIn: 10 * requests });
    c.refused = { acceptRate: 1 };
    for (let i = 0; i < fast; i++) observeDuration(c.duration, 0.0002);
    observeDuration(c.duration, 7200);
    return c;
  };
  metrics.workerReport(1, 'echo/tcp', worker(100, 2, 3));
  metrics.workerReport(2, 'echo/tcp', worker(50, 1, 1));
  metrics.workerReport(2, 'no-such-key', worker(1000, 1, 1));
  const labels = { service: 'echo', transport: 'tcp' };
  let m = parsePrometheusText(await metrics.metrics());
  assert.equal(sampleValue(m, 'socketkit_requests_total', labels), 150);
  assert.equal(sampleValue(m, 'socketkit_received_bytes_total', labels), 1500);
  assert.equal(sampleValue(m, 'socketkit_connections_open', labels), 3);
  assert.equal(
    sampleValue(m, 'socketkit_connections_refused_total', { ...labels, reason: 'acceptRate' }),
    2,
  );
  // The histogram: cumulative buckets, +Inf = count, sum of the observations.
  assert.equal(sampleValue(m, 'socketkit_handler_duration_seconds_count', labels), 6);
  assert.equal(
    sampleValue(m, 'socketkit_handler_duration_seconds_bucket', { ...labels, le: '0.0005' }),
    4,
  );
  assert.equal(
    sampleValue(m, 'socketkit_handler_duration_seconds_bucket', { ...labels, le: '3600' }),
    4,
  );
  assert.equal(
    sampleValue(m, 'socketkit_handler_duration_seconds_bucket', { ...labels, le: '+Inf' }),
    6,
  );
  // Worker 1 reports more, then exits: its last counts stay, its open connections go.
  metrics.workerReport(1, 'echo/tcp', worker(120, 2, 3));
  metrics.workerGone(1);
  m = parsePrometheusText(await metrics.metrics());
  assert.equal(sampleValue(m, 'socketkit_requests_total', labels), 170);
  assert.equal(sampleValue(m, 'socketkit_connections_open', labels), 1);
  // A report that went backwards (a worker's state lost) never moves a counter back.
  metrics.workerReport(2, 'echo/tcp', worker(10, 0, 0));
  m = parsePrometheusText(await metrics.metrics());
  assert.equal(sampleValue(m, 'socketkit_requests_total', labels), 170);
  assert.equal(sampleValue(m, 'socketkit_connections_open', labels), 0);
});

test('countsFrom takes only finite numbers and bounded reason maps from an IPC message', () => {
  const c = countsFrom({
    requests: 5,
    bytesIn: 'x',
    open: Infinity,
    refused: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`r${i}`, 1])),
    duration: { buckets: [1, 'no'], sum: 2, count: 1 },
  });
  assert.equal(c.requests, 5);
  assert.equal(c.bytesIn, 0);
  assert.equal(c.open, 0);
  assert.ok(Object.keys(c.refused).length <= 32);
  assert.equal(c.duration.buckets[0], 1);
  assert.equal(c.duration.buckets[1], 0);
  assert.equal(c.duration.count, 1);
});
