// The push-mode primitive every stream connection sits on (StreamConnection, which Socket
// extends): a synchronous consumer per chunk, reading held by the consumer or by our own
// backpressure (resumed only when neither holds), the end of input as one promise, and
// the switch from promise reads to push mode without losing or reordering a byte.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { ConnectionResetError, SocketClosedError } from '../../../src/errors.js';
import type { StreamConnection } from '../../../src/socket/stream-connection.js';
import { pair } from './_helpers.js';

/** Resolves once `conn`'s bytesRead reached `n`, checking on each 'data'. */
function received(conn: StreamConnection, n: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (conn.raw.bytesRead < n) return;
      conn.raw.off('data', check);
      resolve();
    };
    conn.raw.on('data', check);
    check();
  });
}

test('chunks reach the consumer synchronously and in order; the promise resolves at EOF', async (t) => {
  const [client, server] = await pair(t);
  const got: Buffer[] = [];
  const done = server.onData((chunk, conn) => {
    assert.equal(conn, server);
    got.push(chunk);
  });
  await client.sendAll('one ');
  await client.sendAll('two');
  await client.shutdown('write');
  await done;
  assert.equal(Buffer.concat(got).toString(), 'one two');
});

test('bytes already in the receive buffer come first when a reader switches to push mode', async (t) => {
  const [client, server] = await pair(t);
  await client.sendAll('HELLO\nqueued behind the hello');
  assert.equal((await server.recvUntil('\n')).toString(), 'HELLO');
  const got: Buffer[] = [];
  const done = server.onData((chunk) => got.push(chunk));
  assert.equal(Buffer.concat(got).toString(), 'queued behind the hello', 'handed over at once');
  await client.sendAll(' and after');
  await client.shutdown('write');
  await done;
  assert.equal(Buffer.concat(got).toString(), 'queued behind the hello and after');
});

test('a consumer that pauses while handling the replayed bytes stays paused', async (t) => {
  const [client, server] = await pair(t);
  await client.sendAll('HELLO\nqueued');
  assert.equal((await server.recvUntil('\n')).toString(), 'HELLO');
  const got: Buffer[] = [];
  const done = server.onData((chunk, conn) => {
    got.push(chunk);
    conn.pauseReading();
  });
  assert.equal(Buffer.concat(got).toString(), 'queued');
  assert.equal(server.raw.isPaused(), true, 'the hold taken during the replay holds');
  server.resumeReading();
  await client.shutdown('write');
  await done;
});

test('an echo that writes back pauses reading while the peer does not read, and loses nothing', async (t) => {
  const [client, server] = await pair(t);
  const done = server.onData((chunk, conn) => {
    if (!conn.write(chunk)) conn.pauseUntilDrained();
  });
  // Far more than the kernel buffers hold in both directions: the echo must stop reading.
  const total = 32 * 1024 * 1024;
  const block = Buffer.alloc(64 * 1024, 7);
  const sending = (async () => {
    for (let sent = 0; sent < total; sent += block.length) {
      if (!client.raw.write(block)) await once(client.raw, 'drain');
    }
    client.raw.end();
  })();
  await once(server.raw, 'pause');
  assert.ok(server.raw.isPaused(), 'reading held while our writes wait for drain');
  assert.ok(server.raw.bytesRead < total, 'the sender is held back');
  let echoed = 0;
  for await (const chunk of client) {
    echoed += chunk.length;
    if (echoed >= total) break;
  }
  await sending;
  await done;
  assert.equal(echoed, total);
});

test("reading resumes only once neither the consumer's hold nor the drain hold is left", async (t) => {
  const [client, server] = await pair(t);
  const done = server.onData((chunk, conn) => {
    if (!conn.write(chunk)) conn.pauseUntilDrained();
  });
  server.pauseReading();
  // Fill our send buffer (the client reads nothing yet) so that write() says full.
  while (server.write(Buffer.alloc(256 * 1024))) {
    /* until full */
  }
  server.pauseUntilDrained();
  const reading = (async () => {
    for await (const _ of client) {
      /* drain everything */
    }
  })();
  await once(server.raw, 'drain');
  assert.ok(server.raw.isPaused(), 'still held by the consumer');
  server.resumeReading();
  assert.equal(server.raw.isPaused(), false);
  await client.shutdown('write');
  await done;
  await server.close();
  await reading;
});

test('the promise rejects with the mapped error when the peer resets', async (t) => {
  const [client, server] = await pair(t);
  const done = server.onData(() => {});
  await client.sendAll('x');
  await received(server, 1);
  client.reset();
  await assert.rejects(done, ConnectionResetError);
});

test('the promise rejects with SocketClosedError when we close before the peer ends', async (t) => {
  const [, server] = await pair(t);
  const done = server.onData(() => {});
  server.destroy();
  await assert.rejects(done, SocketClosedError);
  await assert.rejects(
    server.onData(() => {}),
    SocketClosedError,
  );
});

test('after a local close, late bytes are discarded, never handed to the consumer', async (t) => {
  const [client, server] = await pair(t);
  let after = 0;
  let closed = false;
  const done = server.onData((chunk) => {
    if (closed) after += chunk.length;
  });
  const closing = server.close({ wait: true });
  closed = true;
  await client.sendAll('late');
  await client.shutdown('write');
  await closing;
  await done.catch(() => {});
  assert.equal(after, 0);
});

test("a drain hold taken before our side ends is lifted by 'finish'; none is taken after", async (t) => {
  const [client, server] = await pair(t);
  const got: Buffer[] = [];
  const done = server.onData((chunk) => got.push(chunk));
  // Fill our send buffer (the client reads nothing yet), hold reading until it drains,
  // then end our side: Node emits no 'drain' after end(), only 'finish' once flushed.
  while (server.write(Buffer.alloc(256 * 1024))) {
    /* until full */
  }
  server.pauseUntilDrained();
  assert.equal(server.raw.isPaused(), true);
  const finished = once(server.raw, 'finish');
  server.raw.end();
  server.pauseUntilDrained();
  const reading = (async () => {
    for await (const _ of client) {
      /* drain everything, up to our FIN */
    }
  })();
  await finished;
  assert.equal(server.raw.isPaused(), false, "'finish' lifted the hold");
  assert.equal(server.write('late'), false, 'nothing is written once our side ended');
  server.pauseUntilDrained();
  assert.equal(server.raw.isPaused(), false, 'no hold is taken once our side ended');
  await reading;
  await client.sendAll('after our FIN');
  await client.shutdown('write');
  await done;
  assert.equal(Buffer.concat(got).toString(), 'after our FIN', 'the peer is still heard');
});

test('endWriting: our FIN follows the data written, its callback says when it is out', async (t) => {
  const [client, server] = await pair(t);
  const payload = Buffer.alloc(4 << 20, 7); // more than the kernel takes at once
  assert.equal(server.write(payload), false, 'the send buffer is full');
  const ended = new Promise<Error | null | undefined>((resolve) => {
    assert.equal(server.endWriting(resolve), true);
  });
  assert.equal(
    server.endWriting(() => assert.fail('called')),
    false,
    'our side is shut already',
  );
  let got = 0;
  await client.onData((chunk) => {
    got += chunk.length;
  });
  assert.equal(got, payload.length, 'every byte came before the EOF');
  assert.equal((await ended) ?? null, null, 'no error');
  assert.equal(server.canWrite, false);
});

test('endWriting: a connection destroyed before the FIN went out calls back with the error', async (t) => {
  const [client, server] = await pair(t);
  client.pauseReading();
  void client.onData(() => {});
  server.write(Buffer.alloc(16 << 20, 1)); // the peer reads nothing: this stays queued
  const ended = new Promise<Error | null | undefined>((resolve) => server.endWriting(resolve));
  server.destroy();
  const err = await ended;
  assert.ok(err instanceof Error, 'called with the error, not as if the FIN were out');
});
