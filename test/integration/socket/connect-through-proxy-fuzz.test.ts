// A proxy that answers random bytes and closes: connectThroughProxy settles every time
// (no hang: each read is bounded and the proxy's close ends it), and a failure is always
// a socketkit error whose message holds no control character (what a proxy sends is
// quoted as printable ASCII only). Bounded: 40 runs per proxy type, a few ms each.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as net from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { SocketkitError } from '../../../src/errors.js';
import { connectThroughProxy, type ProxyType } from '../../../src/socket/connect-through-proxy.js';

test('proxy client: random replies from a proxy are typed errors with printable messages, never a hang', async (t) => {
  let reply = Buffer.alloc(0);
  const server = net.createServer((sock) => {
    sock.on('error', () => {});
    // Answer at the first bytes of the client (its greeting or request), then close.
    sock.once('data', () => sock.end(reply));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  for (const type of ['socks5', 'socks4', 'http'] as ProxyType[]) {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          // Near-valid starts, to get past the first checks now and then.
          fc.uint8Array({ maxLength: 24 }).map((b) => Uint8Array.from([5, 0, 5, 0, 0, ...b])),
          fc.uint8Array({ maxLength: 24 }).map((b) => Uint8Array.from([0, 90, ...b])),
          fc.string({ maxLength: 80 }).map((s) => Buffer.from(`HTTP/1.1 ${s}\r\n\r\n`, 'latin1')),
        ),
        async (bytes) => {
          reply = Buffer.from(bytes);
          try {
            const sock = await connectThroughProxy({
              proxy: { host: '127.0.0.1', port },
              type,
              host: 'x.test',
              port: 80,
              timeout: 30,
            });
            sock.destroy(); // the random bytes happened to be a valid grant
          } catch (err) {
            assert.ok(err instanceof SocketkitError, `${type}: ${String(err)}`);
            assert.doesNotMatch(err.message, /[\x00-\x1f\x7f]/, err.message);
          }
        },
      ),
      { numRuns: 40 },
    );
  }
});
