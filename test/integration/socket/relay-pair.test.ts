// relayPair, the one relay engine (socketkit relay, serve socks, serve http-proxy): bulk
// both ways without loss or reordering through the reused read buffers, half-close passed
// on each way, backpressure (a peer that does not read holds the other back, the relay
// holds a bounded amount), a reset passed on as a reset, the idle timeout, an abort, and
// a side that is not a socket. Real loopback sockets: the outer peers are plain
// net.Sockets, the relay's sides the library's Sockets.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';
import { PassThrough } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { ConnectionResetError, InvalidArgumentError } from '../../../src/errors.js';
import { readBuffersLent } from '../../../src/socket/read-buffer-pool.js';
import {
  type RelayEndpoint,
  relayPair,
  type RelayPairOptions,
  type RelayResult,
  type RelaySide,
  Socket,
} from '../../../src/socket/index.js';
import { deferred, watchChannel, within } from '../../helpers/wait.js';
import { listen, portOf } from './_helpers.js';

/**
 * A relay between two loopback connections: `client` (a net.Socket) ⇄ relay ⇄ the
 * server's net.Socket (`server()` resolves with it, handed to `onServer` first).
 */
async function relayed(
  t: TestContext,
  options: RelayPairOptions = {},
  onServer: (sock: net.Socket) => void = () => {},
): Promise<{
  client: net.Socket;
  server: net.Socket;
  a: Socket;
  b: Socket;
  result: Promise<RelayResult>;
}> {
  const accepted = deferred<net.Socket>();
  const backend = net.createServer({ allowHalfOpen: true }, (sock) => {
    onServer(sock);
    accepted.resolve(sock);
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  t.after(() => backend.close());
  const front = await listen(t);
  const client = net.connect({ port: portOf(front), host: '127.0.0.1', allowHalfOpen: true });
  client.on('error', () => {}); // a reset is what some tests expect; they check it themselves
  const { socket: a } = await front.accept();
  const b = await Socket.createConnection({
    host: '127.0.0.1',
    port: (backend.address() as net.AddressInfo).port,
  });
  const server = await within(accepted.promise, 'the backend accepts');
  t.after(() => {
    client.destroy();
    server.destroy();
    a.destroy();
    b.destroy();
  });
  return { client, server, a, b, result: relayPair(a, b, options) };
}

/** Everything `sock` reads until EOF: its length and SHA-256. */
function drain(sock: net.Socket): Promise<{ bytes: number; hash: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  sock.on('data', (c: Buffer) => {
    bytes += c.length;
    hash.update(c);
  });
  return new Promise((resolve, reject) => {
    sock.once('end', () => resolve({ bytes, hash: hash.digest('hex') }));
    sock.once('error', reject);
  });
}

/** Writes `total` random bytes in 64 KiB writes, respecting backpressure, then ends; resolves with their hash. */
async function send(sock: net.Socket, total: number): Promise<string> {
  const hash = createHash('sha256');
  const block = randomBytes(64 * 1024);
  for (let sent = 0; sent < total; sent += block.length) {
    hash.update(block);
    if (!sock.write(block)) await once(sock, 'drain');
  }
  sock.end();
  return hash.digest('hex');
}

test('bulk both ways at once arrives whole and in order; each EOF is passed on; done', async (t) => {
  const { client, server, a, b, result } = await relayed(t);
  const closed = Promise.all([once(a.raw, 'close'), once(b.raw, 'close')]);
  const total = 16 * 1024 * 1024;
  // Both directions run in bulk: each reads into its source connection's reused buffer.
  let lent = 0;
  client.on('data', () => (lent = Math.max(lent, readBuffersLent())));
  const [fromClient, fromServer, atServer, atClient] = await within(
    Promise.all([send(client, total), send(server, total), drain(server), drain(client)]),
    'both streams',
  );
  assert.deepEqual(atServer, { bytes: total, hash: fromClient });
  assert.deepEqual(atClient, { bytes: total, hash: fromServer });
  const r = await within(result, 'the relay to finish');
  assert.equal(r.end, 'done');
  assert.equal(r.error, null);
  assert.equal(r.forward, total);
  assert.equal(r.backward, total);
  assert.equal(lent, 2, 'both directions read into a reused buffer');
  // The reused read buffers go back to the pool once the relay's sockets are closed (in
  // their own 'close' listeners, which run after ours).
  await within(closed, "the relay's sockets to close");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(readBuffersLent(), 0);
});

test('half-close one way: the other direction goes on after the first EOF', async (t) => {
  const { client, server, result } = await relayed(t);
  client.end('question');
  const asked = await within(drain(server), "the client's bytes and EOF");
  assert.equal(asked.bytes, 8);
  const answered = drain(client);
  server.end('answer after your EOF');
  assert.equal((await within(answered, 'the answer')).bytes, 21);
  const r = await within(result, 'the relay to finish');
  assert.deepEqual([r.end, r.forward, r.backward], ['done', 8, 21]);
});

test('a peer that does not read holds the other back; the relay holds a bounded amount', async (t) => {
  const pauses = watchChannel<{ from: string; to: string; buffered: number }>(
    t,
    'socketkit:relay:pause',
  );
  const { client, server, result } = await relayed(t, { labels: ['front', 'back'] }, (s) =>
    s.pause(),
  );
  const total = 64 * 1024 * 1024;
  const sent = send(client, total);
  await pauses.waitFor((all) => all.some((p) => p.from === 'front' && p.to === 'back'));
  for (const p of pauses.messages) {
    assert.ok(p.buffered <= 1024 * 1024, `the relay held ${p.buffered} bytes`);
  }
  // Nothing is lost once the server reads.
  const got = drain(server);
  server.resume();
  const [hash, at] = await within(Promise.all([sent, got]), 'the whole stream');
  assert.deepEqual(at, { bytes: total, hash });
  server.end();
  assert.equal((await within(result, 'the relay to finish')).end, 'done');
});

test('a reset on one side is passed on as a reset, reported once', async (t) => {
  const { client, server, result } = await relayed(t);
  client.write('hello');
  await once(server, 'data');
  const reset = once(client, 'error');
  server.resetAndDestroy();
  const [err] = (await within(reset, "the client's reset")) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNRESET');
  const r = await within(result, 'the relay to finish');
  assert.equal(r.end, 'error');
  assert.equal(r.failed, 'b');
  assert.ok(r.error instanceof ConnectionResetError, String(r.error));
});

test('idleTimeout: no byte either way for that long closes both sides gracefully', async (t) => {
  const { client, server, result } = await relayed(t, { idleTimeout: 0.2 });
  client.write('once');
  await once(server, 'data');
  const [atClient, atServer] = await within(Promise.all([drain(client), drain(server)]), 'EOFs');
  assert.equal(atClient.bytes, 0);
  assert.equal(atServer.bytes, 0);
  const r = await within(result, 'the relay to finish');
  assert.deepEqual([r.end, r.forward, r.backward], ['idle', 4, 0]);
});

test('an abort resets both sides', async (t) => {
  const controller = new AbortController();
  const { client, server, result } = await relayed(t, { signal: controller.signal });
  const resets = Promise.all([once(client, 'error'), once(server, 'error')]);
  controller.abort();
  const r = await within(result, 'the relay to finish');
  assert.equal(r.end, 'aborted');
  const errors = (await within(resets, 'both resets')) as [
    [NodeJS.ErrnoException],
    [NodeJS.ErrnoException],
  ];
  assert.deepEqual(
    errors.map(([e]) => e.code),
    ['ECONNRESET', 'ECONNRESET'],
  );
});

/** A RelaySide over two in-memory streams: what it sends is `input`, what it receives lands in `output`. */
function memorySide(input: PassThrough, output: PassThrough): RelaySide {
  return {
    read: (consumer) =>
      new Promise((resolve, reject) => {
        input.on('data', consumer);
        input.once('end', resolve);
        input.once('error', reject);
      }),
    pauseReading: () => void input.pause(),
    resumeReading: () => void input.resume(),
    write: (chunk) => output.write(chunk),
    whenDrained: () =>
      output.writableNeedDrain ? once(output, 'drain').then(() => {}) : Promise.resolve(),
    end: () => new Promise((resolve) => output.end(resolve)),
    close: () => Promise.resolve(),
    reset: () => {
      input.destroy();
      output.destroy();
    },
    get bufferedAmount() {
      return output.writableLength;
    },
  };
}

test("a side that is not a socket: its chunks out, the socket's in, EOF both ways", async (t) => {
  const front = await listen(t);
  const client = net.connect({ port: portOf(front), host: '127.0.0.1', allowHalfOpen: true });
  const { socket } = await front.accept();
  t.after(() => {
    client.destroy();
    socket.destroy();
  });
  const input = new PassThrough();
  const output = new PassThrough();
  const side: RelayEndpoint = memorySide(input, output);
  const result = relayPair(socket, side);
  const collected: Buffer[] = [];
  output.on('data', (c: Buffer) => collected.push(c));
  const outputEnded = once(output, 'end');
  const atClient = drain(client);
  input.end('from memory');
  client.end('from the socket');
  assert.equal((await within(atClient, 'the side bytes')).bytes, 11);
  await within(outputEnded, "the socket's EOF passed on");
  assert.equal(Buffer.concat(collected).toString(), 'from the socket');
  const r = await within(result, 'the relay to finish');
  assert.deepEqual([r.end, r.forward, r.backward], ['done', 15, 11]);
});

test('bad options are refused before anything is read', () => {
  const a = new Socket();
  const b = new Socket();
  assert.throws(() => relayPair(a, b, { idleTimeout: -1 }), InvalidArgumentError);
  assert.throws(
    () => relayPair(a, b, { signal: {} as unknown as AbortSignal }),
    InvalidArgumentError,
  );
  assert.throws(() => relayPair(a, a), InvalidArgumentError);
});
