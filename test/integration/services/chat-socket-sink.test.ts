import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { socketSink } from '../../../src/services/chat/connection.js';

/** A connected loopback pair: `server` is the accepted side, `client` the connecting one. */
async function pair(t: TestContext): Promise<{ server: net.Socket; client: net.Socket }> {
  const listener = net.createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as net.AddressInfo;
  const accepted = once(listener, 'connection') as Promise<[net.Socket]>;
  const client = net.connect(port, '127.0.0.1');
  const [server] = await accepted;
  t.after(() => {
    client.destroy();
    server.destroy();
    listener.close();
  });
  return { server, client };
}

/** Reads from `sock` until EOF (bounded by the test's timeout). */
async function readAll(sock: net.Socket): Promise<string> {
  let text = '';
  sock.setEncoding('utf8');
  for await (const chunk of sock) text += chunk as string;
  return text;
}

describe('chat socketSink', { timeout: 10_000 }, () => {
  it('hands the lines of one event-loop turn to the socket in one write, in order', async (t) => {
    const { server, client } = await pair(t);
    const writes: string[] = [];
    const write = server.write.bind(server);
    // A spy on a real socket: counts the writes, the bytes still go over loopback.
    server.write = (chunk: string, ...rest: never[]) => {
      writes.push(chunk);
      return write(chunk, ...rest);
    };
    const sink = socketSink(server);
    const received = readAll(client);
    for (let i = 0; i < 100; i += 1) sink.write(`line ${i}\r\n`);
    assert.equal(writes.length, 0, 'nothing written before the turn ends');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(writes.length, 1);
    sink.write('last\r\n');
    sink.end(); // flushes what is pending before the FIN
    const expected = Array.from({ length: 100 }, (_, i) => `line ${i}\r\n`).join('') + 'last\r\n';
    assert.equal(await received, expected);
  });

  it('writes a big batch at once so the queue cap sees the socket as it is', async (t) => {
    const { server, client } = await pair(t);
    const sink = socketSink(server);
    const received = readAll(client);
    const line = 'x'.repeat(998) + '\r\n';
    for (let i = 0; i < 40; i += 1) sink.write(line);
    // 40 kB exceeds the batch limit: handed to the socket without waiting for the turn.
    assert.equal(server.bytesWritten + server.writableLength > 0, true);
    sink.end();
    assert.equal(await received, line.repeat(40));
  });

  it('sockets that get the same lines in one turn share one encoded buffer', async (t) => {
    const pairs = await Promise.all([pair(t), pair(t), pair(t), pair(t)]);
    const chunks: (string | Buffer)[][] = pairs.map(() => []);
    const sinks = pairs.map(({ server }, i) => {
      const write = server.write.bind(server);
      server.write = (chunk: string | Buffer, ...rest: never[]) => {
        chunks[i]?.push(chunk);
        return write(chunk, ...rest);
      };
      return socketSink(server);
    });
    const received = pairs.map(({ client }) => readAll(client));
    // What a hub does: one string per event, handed to every member.
    const e1 = '<a> one\r\n';
    const e2 = '<b> two é\r\n';
    const [s0, s1, s2, s3] = sinks;
    s0?.write(e1);
    s0?.write(e2);
    s1?.write(e1);
    s1?.write(e2);
    s2?.write(e2); // its own e1 is not echoed: another list
    s3?.write(e1);
    s3?.write(e2);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      chunks.map((c) => c.length),
      [1, 1, 1, 1],
    );
    assert.equal(typeof chunks[0]?.[0], 'string', 'the first of a kind is written as text');
    assert.ok(Buffer.isBuffer(chunks[1]?.[0]), 'the next ones share an encoded buffer');
    assert.equal(chunks[1]?.[0], chunks[3]?.[0], 'one buffer, not a copy per socket');
    // The next turn starts afresh, with the part lists reused.
    for (const sink of sinks) sink.write('<c> three\r\n');
    await new Promise((resolve) => setImmediate(resolve));
    for (const sink of sinks) sink.end();
    const texts = await Promise.all(received);
    assert.deepEqual(texts, [
      e1 + e2 + '<c> three\r\n',
      e1 + e2 + '<c> three\r\n',
      e2 + '<c> three\r\n',
      e1 + e2 + '<c> three\r\n',
    ]);
  });

  it('drops writes after destroy without throwing', async (t) => {
    const { server } = await pair(t);
    const sink = socketSink(server);
    sink.write('lost\r\n');
    sink.destroy();
    sink.write('also lost\r\n');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(server.destroyed, true);
    assert.equal(sink.bufferedAmount, 0);
  });
});
