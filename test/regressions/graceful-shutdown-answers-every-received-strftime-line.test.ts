/**
 * Regression (issue 10, defect 5, the same class in strftime): on shutdown, strftime over
 * TCP stopped reading at once (`shutdown('read')`): the lines the client had sent and the
 * kernel had accepted were thrown away unanswered, and the client got a clean end with
 * replies missing. Now reading stops between requests, once the client is quiet
 * (stopWhenQuiet: nothing arriving, nothing unanswered, no reply waiting to be sent).
 *
 * The client writes all its lines, reads the first reply (the server is answering), then
 * stops reading while the server shuts down: the replies back up, and lines are still
 * on their way. Then it reads everything: one reply per line, then EOF.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import { TcpServer } from '../../src/server/tcp-server.js';
import { createStrftimeHandlers } from '../../src/services/strftime/index.js';

const LINES = 6000;
// 250-byte lines (under the 256-byte format limit) and replies: 1.5 MB each way, more than
// the socket buffers hold while the client does not read — lines are still on their way
// when shutdown starts.
const FORMAT = 'x'.repeat(250);

test('strftime answers every line it received before stopping on shutdown', async (t) => {
  const { stream } = createStrftimeHandlers({ utc: true });
  const server = new TcpServer({ host: '127.0.0.1', port: 0, handler: stream });
  await server.listen();
  const serving = server.serveForever();
  t.after(() => server.destroy());
  const port = server.address.family === 'unix' ? 0 : server.address.port;

  const client = connect(port, '127.0.0.1');
  t.after(() => client.destroy());
  await once(client, 'connect');
  await new Promise<void>((resolve, reject) =>
    client.write(`${FORMAT}\n`.repeat(LINES), (err) => (err ? reject(err) : resolve())),
  );
  const chunks: Buffer[] = [];
  const [first] = (await once(client, 'data')) as [Buffer];
  chunks.push(first);
  client.pause(); // the replies back up now, lines still waiting in the server

  const stopping = server.shutdown({ drainTimeout: 60 });
  client.on('data', (c: Buffer) => chunks.push(c));
  client.resume();
  await once(client, 'end');
  await stopping;
  await serving;
  const replies = Buffer.concat(chunks).toString().split('\n');
  assert.equal(replies.pop(), '', 'ends with a whole line');
  assert.equal(replies.length, LINES, 'one reply per line sent');
  assert.ok(replies.every((r) => r === FORMAT));
});
