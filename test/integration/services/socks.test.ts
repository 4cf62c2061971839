import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Socket as NetSocket } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { echoService } from '../../../src/services/echo/index.js';
import { socksService } from '../../../src/services/socks/index.js';
import { needs } from '../../helpers/needs.js';
import { runPeer } from '../../helpers/peer.js';
import { waitForChannel, within } from '../../helpers/wait.js';
import { closedPort, rawClient, startOrigin, startProxy } from './helpers/proxy-harness.js';
import { instanceOf, readUntil, serve, tempDir } from './helpers/service-harness.js';

const LOOPBACK = { allowDestination: ['127.0.0.0/8', '::1'] };

/** A SOCKS5 CONNECT request for an IPv4, IPv6 or domain destination. */
function connectRequest(host: string, port: number, cmd = 1): Buffer {
  let addr: Buffer;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) addr = Buffer.from([1, ...host.split('.').map(Number)]);
  else if (host === '::1') addr = Buffer.from([4, ...Buffer.alloc(15), 1]);
  else addr = Buffer.concat([Buffer.from([3, host.length]), Buffer.from(host, 'latin1')]);
  const p = Buffer.alloc(2);
  p.writeUInt16BE(port);
  return Buffer.concat([Buffer.from([5, cmd, 0]), addr, p]);
}

/** Sends `bytes` and reads until the proxy closes: everything it answered. */
async function exchange(t: TestContext, port: number, ...bytes: Buffer[]): Promise<Buffer> {
  const sock = await rawClient(t, port);
  const reading = readUntil(sock, () => false);
  for (const b of bytes) sock.write(b);
  return reading;
}

const NO_AUTH = Buffer.from([5, 1, 0]);

test(
  'socks: curl --socks5-hostname and --socks5 fetch through the proxy (names resolved server-side)',
  { skip: needs('curl') },
  async (t) => {
    const origin = await startOrigin(t);
    const proxy = await startProxy(t, socksService, LOOPBACK);
    for (const [flag, host] of [
      ['--socks5-hostname', '127.0.0.1'],
      ['--socks5-hostname', 'localhost'],
      ['--socks5', '127.0.0.1'],
      ['--socks4a', 'localhost'],
    ] as const) {
      const r = await runPeer('curl', [
        '-sS',
        '--max-time',
        '30',
        flag,
        `127.0.0.1:${proxy.port}`,
        `http://${host}:${origin.port}/`,
      ]);
      assert.equal(r.code, 0, `${flag} ${host}: ${r.stderr}`);
      assert.equal(r.stdout.toString(), 'hello from origin\n');
    }
  },
);

test(
  'socks: ncat --proxy-type socks5 talks to an echo server through the proxy',
  { skip: needs('ncat') },
  async (t) => {
    const echo = await serve(t, await instanceOf(t, echoService), 'tcp');
    const proxy = await startProxy(t, socksService, LOOPBACK);
    const r = await runPeer(
      'ncat',
      [
        '--proxy',
        `127.0.0.1:${proxy.port}`,
        '--proxy-type',
        'socks5',
        '127.0.0.1',
        String((echo as { port: number }).port),
      ],
      {
        input: 'hello through socks\n',
        until: (out) => out.toString().includes('hello through socks\n'),
      },
    );
    assert.equal(r.stdout.toString(), 'hello through socks\n', r.stderr);
  },
);

test(
  'socks: a python3 client does the RFC 1929 handshake by hand; a wrong password is refused and closed',
  { skip: needs('python3') },
  async (t) => {
    const echo = (await serve(t, await instanceOf(t, echoService), 'tcp')) as { port: number };
    const users = join(tempDir(t), 'users');
    writeFileSync(users, '# proxy users\nalice:s3cret:with:colons\nbob:hunter2\n', { mode: 0o600 });
    const proxy = await startProxy(t, socksService, { ...LOOPBACK, socksUsers: users });
    const script = `
import socket, struct, sys
def talk(user, password):
    s = socket.create_connection(("127.0.0.1", ${proxy.port}), timeout=30)
    s.sendall(b"\\x05\\x01\\x02")
    assert s.recv(2) == b"\\x05\\x02", "method"
    u, p = user.encode(), password.encode()
    s.sendall(bytes([1, len(u)]) + u + bytes([len(p)]) + p)
    status = s.recv(2)
    if status != b"\\x01\\x00":
        rest = s.recv(10)
        return "refused %s eof=%s" % (status.hex(), rest == b"")
    s.sendall(b"\\x05\\x01\\x00\\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", ${echo.port}))
    reply = s.recv(10)
    assert reply[:4] == b"\\x05\\x00\\x00\\x01", reply.hex()
    assert reply[4:8] == socket.inet_aton("127.0.0.1") and struct.unpack("!H", reply[8:10])[0] > 0
    s.sendall(b"ping")
    return "ok " + s.recv(4).decode()
print(talk("alice", "s3cret:with:colons"))
print(talk("alice", "wrong"))
print(talk("mallory", "hunter2"))
`;
    const r = await runPeer('python3', ['-c', script]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.toString().trim().split('\n'), [
      'ok ping',
      'refused 0101 eof=True',
      'refused 0101 eof=True',
    ]);
    assert.ok(
      proxy.logs.some(
        (l) => l.startsWith('warn') && l.includes('authentication failed for "mallory"'),
      ),
    );
    // With users configured, a client offering only no-auth gets "no acceptable method".
    assert.deepEqual([...(await exchange(t, proxy.port, NO_AUTH))], [5, 0xff]);
  },
);

test('socks: malformed greetings and requests get the RFC reply (or none) and a close', async (t) => {
  const proxy = await startProxy(t, socksService, LOOPBACK);
  const origin = await startOrigin(t);
  // Wrong version: closed without a SOCKS5 reply.
  assert.equal((await exchange(t, proxy.port, Buffer.from([6, 1, 0]))).length, 0);
  assert.equal((await exchange(t, proxy.port, Buffer.from('GET / HTTP/1.1\r\n\r\n'))).length, 0);
  // Zero methods: no acceptable method.
  assert.deepEqual([...(await exchange(t, proxy.port, Buffer.from([5, 0])))], [5, 0xff]);
  // Oversized: 255 methods none of which is no-auth, then junk: the junk is never read.
  const methods = Buffer.alloc(255, 0x7f);
  assert.deepEqual(
    [
      ...(await exchange(
        t,
        proxy.port,
        Buffer.from([5, 255]),
        methods,
        Buffer.alloc(1 << 16, 0x41),
      )),
    ],
    [5, 0xff],
  );
  // Truncated greeting, then EOF: nothing to answer.
  const truncated = await rawClient(t, proxy.port);
  const got = readUntil(truncated, () => false);
  truncated.end(Buffer.from([5, 3, 0]));
  assert.equal((await got).length, 0);
  // Commands: BIND and UDP ASSOCIATE are not supported; an unknown address type neither.
  const reply = async (request: Buffer): Promise<number> =>
    (await exchange(t, proxy.port, NO_AUTH, request))[3]!;
  assert.equal(await reply(connectRequest('127.0.0.1', origin.port, 2)), 0x07);
  assert.equal(await reply(connectRequest('127.0.0.1', origin.port, 3)), 0x07);
  assert.equal(await reply(Buffer.from([5, 1, 0, 9, 1, 2, 3, 4, 0, 80])), 0x08);
  // A "name" with control bytes: host unreachable, and the log shows it escaped.
  assert.equal(await reply(connectRequest('\u001b[2Jevil', 80)), 0x04);
  assert.ok(
    proxy.logs.some((l) => l.includes('\\x1b[2Jevil')),
    proxy.logs.join('\n'),
  );
  assert.ok(!proxy.logs.some((l) => l.includes('\u001b')), 'a raw escape reached the log');
  // Connection refused and a name that does not resolve.
  assert.equal(await reply(connectRequest('127.0.0.1', await closedPort())), 0x05);
  assert.equal(await reply(connectRequest('no-such-host.invalid', 80)), 0x04);
});

test('socks: by default loopback is refused — as an IPv4 or IPv6 literal, and as a name that resolves to it', async (t) => {
  const origin = await startOrigin(t);
  const proxy = await startProxy(t, socksService);
  for (const host of ['127.0.0.1', '::1', 'localhost']) {
    const answer = await exchange(t, proxy.port, NO_AUTH, connectRequest(host, origin.port));
    assert.deepEqual([...answer.subarray(0, 4)], [5, 0, 5, 0x02], host);
  }
  assert.equal(origin.requests.length, 0);
  assert.equal(proxy.logs.filter((l) => l.startsWith('warn') && l.includes('refused')).length, 3);
  // An explicit --deny-destination wins over --allow-destination; --allow-port limits ports.
  const strict = await startProxy(t, socksService, {
    ...LOOPBACK,
    denyDestination: ['127.0.0.2'],
    allowPort: [String(origin.port)],
  });
  const code = async (host: string, port: number): Promise<number> =>
    (await exchange(t, strict.port, NO_AUTH, connectRequest(host, port)))[3]!;
  assert.equal(await code('127.0.0.2', origin.port), 0x02);
  assert.equal(await code('127.0.0.1', origin.port + 1 === 65536 ? 1 : origin.port + 1), 0x02);
});

test('socks: half-close goes through both ways, and bytes sent before the reply are not lost', async (t) => {
  const echo = (await serve(t, await instanceOf(t, echoService), 'tcp')) as { port: number };
  const proxy = await startProxy(t, socksService, LOOPBACK);
  const sock = await rawClient(t, proxy.port);
  const payload = Buffer.alloc(3 << 20, 7);
  const reading = readUntil(sock, () => false);
  // Greeting, request and payload in one go (optimistic client), then our FIN:
  // echo closes only after it saw EOF, so the end we read proves both FINs went through.
  sock.write(Buffer.concat([NO_AUTH, connectRequest('127.0.0.1', echo.port)]));
  sock.end(payload);
  const got = await reading;
  assert.deepEqual([...got.subarray(0, 3)], [5, 0, 5]);
  assert.equal(got[3], 0);
  const data = got.subarray(2 + 10);
  assert.equal(data.length, payload.length);
  assert.ok(data.equals(payload));
});

test('socks: a destination reset reaches the client as a reset', async (t) => {
  const server = createServer((s) => s.once('data', () => s.resetAndDestroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const proxy = await startProxy(t, socksService, LOOPBACK);
  const sock = await rawClient(t, proxy.port);
  const failed = new Promise<NodeJS.ErrnoException>((resolve) => sock.once('error', resolve));
  sock.write(
    Buffer.concat([
      NO_AUTH,
      connectRequest('127.0.0.1', (server.address() as { port: number }).port),
    ]),
  );
  await readUntil(sock, (b) => b.length >= 12);
  sock.write('trigger');
  assert.equal((await within(failed, 'the client reset')).code, 'ECONNRESET');
});

test('socks: a client reset reaches the destination as a reset', async (t) => {
  const proxy = await startProxy(t, socksService, LOOPBACK);
  const client = await rawClient(t, proxy.port);
  client.on('error', () => {});
  const destinationFailed = new Promise<NodeJS.ErrnoException>((resolve) => {
    const server = createServer((s) => {
      s.once('error', resolve);
      // The tunnel is open once our byte arrived: now the client aborts.
      s.once('data', () => client.resetAndDestroy());
    });
    t.after(() => server.close());
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      client.write(Buffer.concat([NO_AUTH, connectRequest('127.0.0.1', port), Buffer.from('x')]));
    });
  });
  assert.equal((await within(destinationFailed, 'the destination reset')).code, 'ECONNRESET');
});

test('socks: a client that never reads stops the proxy reading the destination (bounded memory), and loses nothing', async (t) => {
  const total = 32 << 20;
  const block = Buffer.alloc(64 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = i % 251;
  const sent = createHash('sha256');
  let written = 0;
  // The destination writes `total` bytes, respecting backpressure, then ends.
  const server = createServer((s: NetSocket) => {
    const pump = (): void => {
      while (written < total) {
        written += block.length;
        sent.update(block);
        if (!s.write(block)) {
          s.once('drain', pump);
          return;
        }
      }
      s.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const proxy = await startProxy(t, socksService, LOOPBACK);
  const sock = await rawClient(t, proxy.port);
  const held = waitForChannel<{ from: string; to: string; buffered: number }>(
    'socketkit:relay:pause',
    (m) => m.from === 'destination' && m.to === 'client',
  );
  sock.pause(); // our client does not read
  sock.write(
    Buffer.concat([
      NO_AUTH,
      connectRequest('127.0.0.1', (server.address() as { port: number }).port),
    ]),
  );
  const hold = await held;
  // What the proxy holds for the client is one send buffer's worth, not the destination's 32 MiB.
  assert.ok(hold.buffered < 1 << 20, `the proxy buffered ${hold.buffered} bytes`);
  assert.ok(written < total, 'the destination was held back before it wrote everything');
  // Reading again drains it all, in order.
  const got = createHash('sha256');
  let received = 0;
  let header = 12; // the method choice and the CONNECT reply
  sock.on('data', (c: Buffer) => {
    const skip = Math.min(header, c.length);
    header -= skip;
    got.update(c.subarray(skip));
    received += c.length - skip;
  });
  sock.resume();
  await within(new Promise((resolve) => sock.once('end', resolve)), 'the whole stream');
  assert.equal(received, total);
  assert.equal(got.digest('hex'), sent.digest('hex'));
});

test('socks: a tunnel with no traffic either way is closed after --tunnel-idle-timeout', async (t) => {
  const echo = (await serve(t, await instanceOf(t, echoService), 'tcp')) as { port: number };
  const proxy = await startProxy(t, socksService, { ...LOOPBACK, tunnelIdleTimeout: 0.3 });
  const sock = await rawClient(t, proxy.port);
  const reading = readUntil(sock, () => false);
  sock.write(Buffer.concat([NO_AUTH, connectRequest('127.0.0.1', echo.port), Buffer.from('once')]));
  // The echo comes back, then nothing moves: the proxy closes the tunnel (our read sees EOF).
  const got = await reading;
  assert.equal(got.subarray(12).toString(), 'once');
});

test(
  "socks: UDP ASSOCIATE (--socks-udp) relays a python3 client's datagrams to a UDP echo server and back; refused destinations are dropped and logged",
  { skip: needs('python3') },
  async (t) => {
    const echo = (await serve(t, await instanceOf(t, echoService), 'udp')) as { port: number };
    const proxy = await startProxy(t, socksService, { ...LOOPBACK, socksUdp: true });
    const closed = await startProxy(t, socksService, { socksUdp: true });
    const script = `
import socket, struct, sys
def associate(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"\\x05\\x01\\x00")
    assert s.recv(2) == b"\\x05\\x00"
    s.sendall(b"\\x05\\x03\\x00\\x01" + bytes(4) + bytes(2))
    r = s.recv(10)
    assert r[:4] == b"\\x05\\x00\\x00\\x01", r.hex()
    return s, (socket.inet_ntoa(r[4:8]), struct.unpack("!H", r[8:10])[0])
tcp, relay = associate(${proxy.port})
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(30)
header = b"\\x00\\x00\\x00\\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", ${echo.port})
u.sendto(header + b"ping over udp", relay)
data, src = u.recvfrom(2048)
assert src == relay, src
assert data[:10] == header, data[:10].hex()
print(data[10:].decode(), flush=True)
# A name works too (resolved by the proxy).
u.sendto(b"\\x00\\x00\\x00\\x03\\x09localhost" + struct.pack("!H", ${echo.port}) + b"by name", relay)
data, src = u.recvfrom(2048)
print(data[10:].decode(), flush=True)
tcp2, relay2 = associate(${closed.port})
u.sendto(header + b"to loopback", relay2)
print("sent", flush=True)
# Hold the association open until the test saw the refusal (it then stops us).
tcp2.recv(1)
`;
    const refused = closed.logs.waitFor((l) =>
      l.some((x) => x.startsWith('warn') && x.includes('(udp)') && x.includes('refused')),
    );
    const r = await runPeer('python3', ['-c', script], { stop: refused });
    assert.ok(r.stopped, `python3 ended by itself: ${r.stderr}`);
    assert.deepEqual(r.stdout.toString().trim().split('\n'), ['ping over udp', 'by name', 'sent']);
  },
);
