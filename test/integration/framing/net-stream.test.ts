// decodeStream / writeFrame / FrameDecoderTransform over real loopback TCP sockets.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  decodeStream,
  LengthPrefixedCodec,
  LineCodec,
  writeFrame,
} from '../../../src/framing/index.js';
import { FrameDecoderTransform } from '../../../src/framing/stream.js';

async function listen(
  onConnection: (sock: net.Socket) => void | Promise<void>,
): Promise<net.Server> {
  // A failure in the handler is an unhandled rejection, which fails this file's tests.
  const server = net.createServer((sock) => void onConnection(sock));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

function portOf(server: net.Server): number {
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

test('a line echo server: frames survive TCP merging and splitting', async (t) => {
  const server = await listen(async (sock) => {
    sock.on('error', () => {});
    const codec = new LineCodec();
    for await (const line of decodeStream(sock, new LineCodec())) {
      await writeFrame(sock, codec, line.toUpperCase());
    }
    sock.end();
  });
  t.after(() => server.close());
  const client = net.connect(portOf(server), '127.0.0.1');
  t.after(() => client.destroy());
  await once(client, 'connect');
  const lines = Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(i * 7)}`);
  // One write with every line (they merge), then a line cut in three writes.
  client.write(lines.map((l) => `${l}\r\n`).join(''));
  client.write('ta');
  await sleep(10);
  client.write('il');
  await sleep(10);
  client.end('\n');
  const got: string[] = [];
  for await (const line of decodeStream(client, new LineCodec())) got.push(line);
  assert.deepEqual(
    got,
    [...lines, 'tail'].map((l) => l.toUpperCase()),
  );
});

test('writeFrame waits for drain on a peer that does not read, then completes', async (t) => {
  let serverSide: net.Socket | undefined;
  const server = await listen((sock) => {
    serverSide = sock;
    sock.pause();
  });
  t.after(() => server.close());
  const client = net.connect(portOf(server), '127.0.0.1');
  t.after(() => client.destroy());
  await once(client, 'connect');
  const codec = new LengthPrefixedCodec();
  const payload = Buffer.alloc(1024 * 1024, 0x61);
  let settled = 0;
  const writes: Promise<void>[] = [];
  // Kernel buffers hold a few MiB at most: 32 MiB must leave some writes waiting.
  for (let i = 0; i < 32; i++) {
    writes.push(
      writeFrame(client, codec, payload).then(() => {
        settled++;
      }),
    );
  }
  await sleep(50);
  assert.ok(settled < 32, 'some writes wait for the peer');
  assert.ok(serverSide);
  const frames = decodeStream(serverSide, new LengthPrefixedCodec());
  let received = 0;
  for await (const frame of frames) {
    assert.equal(frame.length, payload.length);
    if (++received === 32) break;
  }
  await Promise.all(writes);
  assert.equal(settled, 32);
});

test('FrameDecoderTransform in a pipeline from a socket', async (t) => {
  const server = await listen((sock) => {
    sock.end('a\nbb\nccc\n');
  });
  t.after(() => server.close());
  const client = net.connect(portOf(server), '127.0.0.1');
  t.after(() => client.destroy());
  const got: string[] = [];
  await pipeline(client, new FrameDecoderTransform(new LineCodec()), async (lines) => {
    for await (const line of lines) got.push(line as string);
  });
  assert.deepEqual(got, ['a', 'bb', 'ccc']);
});

test('after the peer half-closes, the server still answers its last, unterminated line', async (t) => {
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    // A failure here is an unhandled rejection, which fails this file's tests.
    void (async () => {
      sock.on('error', () => {});
      const out = new LineCodec();
      for await (const line of decodeStream(sock, new LineCodec())) {
        await writeFrame(sock, out, line.toUpperCase());
      }
      assert.equal(sock.destroyed, false, 'a stream that ended normally is not destroyed');
      sock.end();
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const client = net.connect(portOf(server), '127.0.0.1');
  t.after(() => client.destroy());
  client.end('hello\r\nsticky\npack');
  const got: string[] = [];
  for await (const line of decodeStream(client, new LineCodec())) got.push(line);
  assert.deepEqual(got, ['HELLO', 'STICKY', 'PACK']);
});
