import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { TruncatedFrameError } from '../../../src/errors.js';
import type { ByteQueue, Decoder, Encoder } from '../../../src/framing/codec.js';
import { Socket } from '../../../src/socket/index.js';
import { listen, pair, portOf } from './_helpers.js';

/** A minimal '\n' line decoder (the real ones live in src/framing). */
const lines: Decoder<string> = {
  decode(buf: ByteQueue): string | null {
    const at = buf.indexOf(0x0a);
    if (at === -1) return null;
    const line = buf.take(at + 1);
    return line.subarray(0, at).toString();
  },
};

/** A 2-byte big-endian length prefix. */
const u16: Encoder<string> & Decoder<string> = {
  encode(s) {
    const body = Buffer.from(s);
    const head = Buffer.alloc(2);
    head.writeUInt16BE(body.length);
    return [head, body];
  },
  decode(buf) {
    if (buf.length < 2) return null;
    const n = buf.readUInt(0, 2);
    if (buf.length < 2 + n) return null;
    buf.skip(2);
    return buf.take(n).toString();
  },
};

test('frames() shares the receive buffer with recv: switching loses nothing', async (t) => {
  const [client, server] = await pair(t);
  await client.sendAll('HEAD');
  await client.sendAll('one\ntwo\nthree\nraw tail');
  assert.equal((await server.recvExactly(4)).toString(), 'HEAD');
  const got: string[] = [];
  for await (const line of server.frames(lines)) {
    got.push(line);
    if (got.length === 2) break;
  }
  assert.deepEqual(got, ['one', 'two']);
  assert.equal((await server.recvUntil('\n')).toString(), 'three');
  assert.equal((await server.recvExactly(8)).toString(), 'raw tail');
});

test('sendFrame/frames round-trip; a frame cut by EOF rejects with TruncatedFrameError', async (t) => {
  const [client, server] = await pair(t);
  await client.sendFrame(u16, 'alpha');
  await client.sendFrame(u16, '');
  await client.sendFrame(u16, 'ω'.repeat(1000));
  await client.sendAll(Buffer.from([0, 9, 0x61]));
  await client.close();
  const got: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const frame of server.frames(u16)) got.push(frame);
    })(),
    TruncatedFrameError,
  );
  assert.deepEqual(got, ['alpha', '', 'ω'.repeat(1000)]);
});

test('frames end cleanly at EOF on a frame boundary', async (t) => {
  const [client, server] = await pair(t);
  await client.sendAll('a\nb\n');
  await client.shutdown('write');
  const got: string[] = [];
  for await (const line of server.frames(lines)) got.push(line);
  assert.deepEqual(got, ['a', 'b']);
});

test(
  'high-water mark: a peer sending 8 MiB to a slow reader is paused; all bytes arrive in order',
  {
    timeout: 30_000,
  },
  async (t) => {
    const highWaterMark = 64 * 1024;
    const listener = await listen(t, '127.0.0.1', { socketOptions: { highWaterMark } });
    const [client, { socket: server }] = await Promise.all([
      Socket.createConnection({ host: '127.0.0.1', port: portOf(listener) }),
      listener.accept(),
    ]);
    t.after(() => {
      client.destroy();
      server.destroy();
    });
    const total = 8 * 1024 * 1024;
    const payload = Buffer.alloc(total);
    for (let i = 0; i < total; i += 4) payload.writeUInt32BE(i / 4, i);
    const sending = client.sendAll(payload).then(() => client.shutdown('write'));
    const hash = createHash('sha256');
    let received = 0;
    let maxQueued = 0;
    let pausedSeen = false;
    for (let i = 0; i < 100_000; i++) {
      // Read slowly: let data pile up before each read.
      await new Promise((r) => setTimeout(r, 2));
      maxQueued = Math.max(maxQueued, server.receivedAmount);
      if (server.raw.isPaused()) pausedSeen = true;
      const chunk = await server.recv(32 * 1024);
      if (chunk.length === 0) break;
      hash.update(chunk);
      received += chunk.length;
    }
    await sending;
    assert.equal(received, total);
    assert.equal(hash.digest('hex'), createHash('sha256').update(payload).digest('hex'));
    assert.ok(pausedSeen, 'the socket was paused at the high-water mark');
    // One read from the kernel (at most 64 KiB) can land after the mark is reached.
    assert.ok(maxQueued <= highWaterMark + 128 * 1024, `queue peaked at ${maxQueued} bytes`);
  },
);

test(
  'recvExactly larger than the high-water mark still completes',
  {
    timeout: 30_000,
  },
  async (t) => {
    const listener = await listen(t, '127.0.0.1', { socketOptions: { highWaterMark: 1024 } });
    const [client, { socket: server }] = await Promise.all([
      Socket.createConnection({ host: '127.0.0.1', port: portOf(listener) }),
      listener.accept(),
    ]);
    t.after(() => {
      client.destroy();
      server.destroy();
    });
    const data = Buffer.alloc(200_000, 7);
    await client.sendAll(data);
    assert.deepEqual(await server.recvExactly(200_000), data);
    assert.throws(() => Socket.fromNetSocket(server.raw), /already wrapped/);
  },
);

test('concurrent reads complete in call order', async (t) => {
  const [client, server] = await pair(t);
  const reads = [
    server.recvExactly(3),
    server.recvUntil(','),
    server.recv(100),
    server.recvExactly(2),
  ] as const;
  await client.sendAll('abc');
  await client.sendAll('de,f');
  await new Promise((r) => setTimeout(r, 20));
  await client.sendAll('gh');
  const [a, b, c, d] = await Promise.all(reads);
  assert.equal(a.toString(), 'abc');
  assert.equal(b.toString(), 'de');
  assert.equal(c.toString(), 'f');
  assert.equal(d.toString(), 'gh');
});

test('readable()/writable() stream views share the socket buffers', async (t) => {
  const [client, server] = await pair(t);
  await client.sendAll('first|');
  assert.equal((await server.recvUntil('|')).toString(), 'first');
  const w = client.writable();
  w.write('through ');
  w.end('the stream');
  const chunks: Buffer[] = [];
  await pipeline(server.readable(), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) chunks.push(chunk);
  });
  assert.equal(Buffer.concat(chunks).toString(), 'through the stream');
});
