// ServeMetrics reads only channel messages: these tests publish the messages the library
// publishes (their documented shapes) and read /metrics through a strict parser.
import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { OTHER_ROOM } from '../../../../../src/cli/serve/http/chat-room-metrics.js';
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
