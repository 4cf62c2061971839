/**
 * Regression (issue 10, defect 2, review): the per-address cap on unauthenticated exec
 * connections counted every IPv6 address apart, so one host — which has a whole /64 of
 * addresses — could take every unauthenticated slot (`--max-unauthenticated`) and lock
 * everybody else out. It now counts an IPv6 client by its /64, like the server's own
 * per-address limits (`--max-connections-per-ip`).
 *
 * Loopback has one IPv6 address, so the exec stream handler is driven directly: real
 * loopback TCP connections, each given a context naming a different address of one /64.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import type { ConnectionContext } from '../../src/server/handler-types.js';
import { decodeReplyPayload } from '../../src/services/exec/index.js';
import { Socket } from '../../src/socket/tcp-socket.js';
import { instanceOf } from '../integration/services/helpers/service-harness.js';
import { execService } from '../../src/services/exec/index.js';
import { SECRET } from '../integration/services/exec-harness.js';

test('exec: unauthenticated connections from one IPv6 /64 share one per-address cap', async (t) => {
  const instance = await instanceOf(t, execService, {
    secret: SECRET,
    allowCommand: ['echo=/bin/echo'],
    replayStore: 'memory',
    maxUnauthenticatedPerIp: 2,
    authTimeout: 60,
  });
  const stream = instance.stream;
  assert.ok(stream);
  const controller = new AbortController();
  const accepted: net.Socket[] = [];
  const server = net.createServer((raw) => accepted.push(raw));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const clients: net.Socket[] = [];
  const handlers: Promise<void>[] = [];
  t.after(async () => {
    controller.abort();
    for (const c of clients) c.destroy();
    for (const r of accepted) r.destroy();
    await Promise.allSettled(handlers);
    server.close();
  });
  const port = (server.address() as net.AddressInfo).port;

  /** Connects, and runs the handler on the server side as if the client were `address`. */
  const connectAs = async (address: string): Promise<net.Socket> => {
    const serverSide = once(server, 'connection') as Promise<[net.Socket]>;
    const client = net.connect(port, '127.0.0.1');
    client.on('error', () => {});
    clients.push(client);
    await once(client, 'connect');
    const [raw] = await serverSide;
    const conn = Socket.fromNetSocket(raw);
    const ctx: ConnectionContext = {
      remote: { family: 'IPv6', address, port: 40000 + clients.length },
      local: { family: 'IPv6', address: '2001:db8::ffff', port: 7512 },
      transport: 'tcp',
      signal: controller.signal,
      id: clients.length,
    };
    handlers.push(
      Promise.resolve(stream(conn, ctx)).finally(() => conn.close({ wait: false }).catch(() => {})),
    );
    return client;
  };

  /** The first reply frame the server sends `client`, as `CODE: message`. */
  const firstReply = async (client: net.Socket): Promise<string> => {
    let buf = Buffer.alloc(0);
    for await (const chunk of client) {
      buf = Buffer.concat([buf, chunk as Buffer]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) break;
    }
    assert.ok(buf.length >= 4, 'the server closed without a reply');
    const frame = decodeReplyPayload(buf.subarray(4, 4 + buf.readUInt32BE(0)));
    return frame.type === 'error' ? `${frame.error.code}: ${frame.error.message}` : frame.type;
  };

  await connectAs('2001:db8:0:1::a');
  await connectAs('2001:db8:0:1::b');
  // A third address of the same /64. It sends a header length over the limit: admitted, it
  // would be told ERR_EXEC_BAD_REQUEST; over the cap, it is told ERR_EXEC_BUSY at once.
  const third = await connectAs('2001:db8:0:1:ffff:ffff:ffff:fffe');
  third.write(Buffer.from([0, 0, 0xff, 0xff]));
  assert.match(
    await firstReply(third),
    /^ERR_EXEC_BUSY: too many unauthenticated connections from your address \(2\)/,
  );
  // Another /64 is another address: admitted (and refused only for its bad header).
  const other = await connectAs('2001:db8:0:2::a');
  other.write(Buffer.from([0, 0, 0xff, 0xff]));
  assert.match(await firstReply(other), /^ERR_EXEC_BAD_REQUEST: /);
});
