/**
 * `socketkit relay` against real peers: socat (and a Python client that shuts down its
 * write side and still reads) on the client side, real servers (Node's net/tls/dgram
 * in the test, socat, a Unix datagram socket) behind it. The relay runs in-process on
 * port 0 and tells its port with -v. Every wait is on an event (a log line, a channel
 * message, a peer's exit); none on a clock.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import tls from 'node:tls';
import { UnixDatagramSocket } from '../../../src/socket/unix-datagram.js';
import { runCli } from '../../helpers/cli.js';
import {
  exitOf,
  freePort,
  type InProcessCli,
  run,
  selfSignedCert,
  startCli,
  tempDir,
  within,
} from '../../helpers/netcat.js';
import { needs } from '../../helpers/needs.js';
import { deferred, until, watchChannel } from '../../helpers/wait.js';

const skipSocat = needs('socat');
const skipPython = needs('python3');

/** Starts `socketkit relay -v ARGS` in-process; resolves once it listens, with its port or path. */
async function relay(t: TestContext, args: string[]): Promise<{ cli: InProcessCli; port: string }> {
  const cli = startCli(t, ['relay', '-v', ...args]);
  const m = await cli.stderr.waitFor(/listening on (?:\S+:(\d+)|(\/\S+))/);
  return { cli, port: m[1] ?? m[2]! };
}

/** A TCP (or Unix) echo server in the test: what it receives it sends back, then our FIN after its EOF. */
async function echoServer(
  t: TestContext,
  path?: string,
): Promise<{ port: number; server: net.Server }> {
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    sock.on('error', () => {});
    sock.pipe(sock);
  });
  server.listen(path ?? { port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  t.after(() => server.close());
  return { port: path === undefined ? (server.address() as net.AddressInfo).port : 0, server };
}

/** Collects a socket's bytes until EOF; rejects on an error (a reset). */
function readAll(sock: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.once('end', () => resolve(Buffer.concat(chunks)));
    sock.once('error', reject);
  });
}

test('exec: refused without --allow-exec (usage error), and never through a shell', async (t) => {
  const refused = await runCli(['relay', 'tcp-listen:0', 'exec:cat']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--allow-exec/);
  const r = await runCli(['relay', '--allow-exec', 'stdio', 'exec:echo a;b ; c $HOME'], {
    stdin: '',
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'a;b ; c $HOME\n');
  void t;
});

test('usage errors: unknown kind, two listeners, bad port, unbracketed IPv6', async () => {
  for (const args of [
    ['relay', 'tcpx:1', 'stdio'],
    ['relay', 'tcp-listen:1', 'udp-listen:2'],
    ['relay', 'tcp:127.0.0.1:99999', 'stdio'],
    ['relay', 'tcp:::1:7', 'stdio'],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
});

test(
  'tcp-listen → tcp: socat both ways, half-close client → server',
  { skip: skipSocat },
  async (t) => {
    const echo = await echoServer(t);
    const { cli, port } = await relay(t, ['tcp-listen:0', `tcp:127.0.0.1:${echo.port}`]);
    // socat sends stdin, shuts down its write side, and reads the echo to the end.
    const so = run(
      t,
      'socat',
      ['-t', '30', '-', `TCP:127.0.0.1:${port}`],
      'hello through the relay\n',
    );
    assert.equal(await exitOf(so), 0);
    assert.equal(so.stdout.text, 'hello through the relay\n');
    await cli.stderr.waitFor(/relay #1 done: 24 bytes →, 24 bytes ←/);
  },
);

test(
  'half-close both ways: Python shuts down write and still reads; the server half-closes first and still reads',
  { skip: skipPython },
  async (t) => {
    // The server: reads to EOF, answers with what it counted, then closes.
    const server = net.createServer({ allowHalfOpen: true }, (sock) => {
      let n = 0;
      sock.on('data', (c: Buffer) => (n += c.length));
      sock.on('end', () => sock.end(`got ${n}\n`));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const { port } = await relay(t, [
      'tcp-listen:0',
      `tcp:127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    ]);
    const py = run(t, 'python3', [
      '-c',
      `import socket
s = socket.create_connection(("127.0.0.1", ${port}))
s.sendall(b"x" * 100000)
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    b = s.recv(65536)
    if not b: break
    data += b
print(data.decode().strip())`,
    ]);
    assert.equal(await exitOf(py), 0, py.stderr.text);
    assert.equal(py.stdout.text, 'got 100000\n');

    // The other way: the server speaks first and half-closes; the client answers after
    // the server's EOF, and the server still reads the answer.
    const answered = deferred<string>();
    const greeter = net.createServer({ allowHalfOpen: true }, (sock) => {
      sock.end('hello, then EOF\n');
      void readAll(sock).then((b) => answered.resolve(b.toString()), answered.resolve);
    });
    greeter.listen(0, '127.0.0.1');
    await once(greeter, 'listening');
    t.after(() => greeter.close());
    const r2 = await relay(t, [
      'tcp-listen:0',
      `tcp:127.0.0.1:${(greeter.address() as net.AddressInfo).port}`,
    ]);
    const client = net.connect({ port: Number(r2.port), host: '127.0.0.1', allowHalfOpen: true });
    const heard = await within(readAll(client), 'the greeting and EOF');
    assert.equal(heard.toString(), 'hello, then EOF\n');
    client.end('answer after your EOF\n');
    assert.equal(await within(answered.promise, 'the answer'), 'answer after your EOF\n');
    await r2.cli.stderr.waitFor(/relay #1 done: 22 bytes →, 16 bytes ←/);
  },
);

test('backpressure: a server that never reads pauses the sender; the relay holds a bounded amount', async (t) => {
  const pauses = watchChannel<{ buffered: number }>(t, 'socketkit:relay:pause');
  let serverSock: net.Socket | null = null;
  const accepted = deferred<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    sock.pause(); // never reads (until the test says so)
    serverSock = sock;
    accepted.resolve(sock);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const { cli, port } = await relay(t, [
    'tcp-listen:0',
    `tcp:127.0.0.1:${(server.address() as net.AddressInfo).port}`,
  ]);
  const total = 64 * 1024 * 1024;
  const payload = randomBytes(1024 * 1024);
  const client = net.connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true });
  client.on('error', () => {});
  await once(client, 'connect');
  let written = 0;
  let waiting = false;
  const writerState = new EventEmitter();
  const writer = (async (): Promise<void> => {
    while (written < total) {
      written += payload.length;
      if (!client.write(payload)) {
        waiting = true;
        writerState.emit('state');
        await once(client, 'drain');
        waiting = false;
      }
    }
    client.end();
  })();
  await within(accepted.promise, 'the relay connects to the server');
  // The relay pauses its read from the client once the server's side is full…
  await pauses.waitFor((all) => all.length >= 1);
  // …holding no more than the socket's buffer plus one chunk (never the 64 MiB).
  for (const p of pauses.messages)
    assert.ok(p.buffered <= 1024 * 1024, `relay buffered ${p.buffered} bytes`);
  // The sender is held back too: once the relay paused, its writes wait for 'drain'
  // with most of its data unsent.
  await until(() => waiting, writerState, 'state', { what: 'the sender to wait for drain' });
  assert.ok(written < total, 'the sender could not write everything while the server did not read');
  // Now the server reads: every byte arrives, in order.
  const hash = createHash('sha256');
  let received = 0;
  const sock = serverSock as unknown as net.Socket;
  const done = new Promise<void>((resolve) => sock.once('end', resolve));
  sock.on('data', (c: Buffer) => {
    received += c.length;
    hash.update(c);
  });
  sock.resume();
  await within(writer, 'the sender to finish');
  await within(done, "the server's EOF");
  assert.equal(received, total);
  const expected = createHash('sha256');
  for (let i = 0; i < total / payload.length; i++) expected.update(payload);
  assert.equal(hash.digest('hex'), expected.digest('hex'));
  sock.end();
  await cli.stderr.waitFor(/relay #1 done/);
});

test('a reset on either side reaches the other side as a reset, not an EOF', async (t) => {
  const serverSide = deferred<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    sock.on('error', () => {});
    serverSide.resolve(sock);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const { cli, port } = await relay(t, [
    'tcp-listen:0',
    `tcp:127.0.0.1:${(server.address() as net.AddressInfo).port}`,
  ]);

  // The server resets: the client's read fails with ECONNRESET.
  const client = net.connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true });
  const clientRead = readAll(client);
  client.write('x');
  const s1 = await within(serverSide.promise, 'the relayed connection');
  await within(once(s1, 'data'), 'the first byte relayed');
  s1.resetAndDestroy();
  await assert.rejects(within(clientRead, 'the client to see the reset'), { code: 'ECONNRESET' });
  await cli.stderr.waitFor(
    /relay #1 failed \(tcp:127\.0\.0\.1:\d+: [^)]*\); the other side was reset/,
  );

  // The client resets: the server's read fails with ECONNRESET.
  const second = deferred<net.Socket>();
  server.removeAllListeners('connection');
  server.on('connection', (sock: net.Socket) => {
    sock.on('error', () => {});
    second.resolve(sock);
  });
  const c2 = net.connect({ port: Number(port), host: '127.0.0.1', allowHalfOpen: true });
  c2.on('error', () => {});
  await once(c2, 'connect');
  const s2 = await within(second.promise, 'the second relayed connection');
  const serverRead = readAll(s2);
  c2.resetAndDestroy();
  await assert.rejects(within(serverRead, 'the server to see the reset'), { code: 'ECONNRESET' });
  await cli.stderr.waitFor(/relay #2 failed/);
});

test('the second address cannot be opened: the client is reset and the reason logged', async (t) => {
  const closedPort = await freePort();
  const { cli, port } = await relay(t, ['tcp-listen:0', `tcp:127.0.0.1:${closedPort}`]);
  const client = net.connect({ port: Number(port), host: '127.0.0.1' });
  await assert.rejects(within(readAll(client), 'the client to be reset'), { code: 'ECONNRESET' });
  await cli.stderr.waitFor(/relay #1: 127\.0\.0\.1:\d+: cannot open the other address: .*refused/i);
});

test('--deny wins over --allow; --max-connections refuses the extra client', async (t) => {
  const echo = await echoServer(t);
  const denied = await relay(t, [
    '--allow',
    '127.0.0.0/8',
    '--deny',
    '127.0.0.1',
    'tcp-listen:0',
    `tcp:127.0.0.1:${echo.port}`,
  ]);
  const c = net.connect({ port: Number(denied.port), host: '127.0.0.1' });
  c.on('error', () => {});
  await denied.cli.stderr.waitFor(/connection from 127\.0\.0\.1:\d+ denied/);
  c.destroy();

  const limited = await relay(t, [
    '--max-connections',
    '1',
    'tcp-listen:0',
    `tcp:127.0.0.1:${echo.port}`,
  ]);
  const first = net.connect({ port: Number(limited.port), host: '127.0.0.1', allowHalfOpen: true });
  await limited.cli.stderr.waitFor(/relay #1: /);
  const extra = net.connect({ port: Number(limited.port), host: '127.0.0.1' });
  await assert.rejects(within(readAll(extra), 'the extra client to be refused'), {
    code: 'ECONNRESET',
  });
  await limited.cli.stderr.waitFor(/refused: --max-connections 1 reached/);
  first.end('bye');
  assert.equal((await within(readAll(first), 'the echo')).toString(), 'bye');
});

test('IPv6: tcp-listen:[::1]:0 → tcp:[::1]:PORT', { skip: skipSocat }, async (t) => {
  const server = net.createServer({ allowHalfOpen: true }, (sock) => sock.pipe(sock));
  server.listen(0, '::1');
  try {
    await once(server, 'listening');
  } catch {
    return t.skip('no IPv6 loopback');
  }
  t.after(() => server.close());
  const { cli, port } = await relay(t, [
    'tcp-listen:[::1]:0',
    `tcp:[::1]:${(server.address() as net.AddressInfo).port}`,
  ]);
  const so = run(t, 'socat', ['-t', '30', '-', `TCP6:[::1]:${port}`], 'six\n');
  assert.equal(await exitOf(so), 0);
  assert.equal(so.stdout.text, 'six\n');
  await cli.stderr.waitFor(/relay #1 done/);
});

test(
  'Unix ↔ TCP: unix-listen → tcp and tcp-listen → unix (socat on both ends)',
  { skip: skipSocat },
  async (t) => {
    const dir = tempDir(t);
    const echo = await echoServer(t);
    const path = join(dir, 'front.sock');
    const a = await relay(t, [`unix-listen:${path}`, `tcp:127.0.0.1:${echo.port}`]);
    const so = run(t, 'socat', ['-t', '30', '-', `UNIX-CONNECT:${path}`], 'over unix\n');
    assert.equal(await exitOf(so), 0);
    assert.equal(so.stdout.text, 'over unix\n');
    await a.cli.stderr.waitFor(/relay #1 done/);

    // Expose a Unix socket (a socat echo server) on loopback TCP.
    const back = join(dir, 'back.sock');
    const server = run(t, 'socat', [`UNIX-LISTEN:${back},fork`, 'EXEC:cat']);
    await within(
      new Promise<void>((resolve) => {
        const probe = (): void => {
          const s = net.connect(back);
          s.on('connect', () => {
            s.destroy();
            resolve();
          });
          s.on('error', () => setImmediate(probe));
        };
        probe();
      }),
      'socat to listen on its Unix socket',
    );
    const b = await relay(t, ['tcp-listen:0', `unix:${back}`]);
    const so2 = run(t, 'socat', ['-t', '30', '-', `TCP:127.0.0.1:${b.port}`], 'to unix\n');
    assert.equal(await exitOf(so2), 0);
    assert.equal(so2.stdout.text, 'to unix\n');
    await b.cli.stderr.waitFor(/relay #1 done/);
    server.child.kill();
  },
);

test(
  'TLS termination (tls-listen → tcp) and origination (tcp-listen → tls), verified',
  { skip: skipSocat },
  async (t) => {
    const dir = tempDir(t);
    const { cert, key } = selfSignedCert(dir);
    const echo = await echoServer(t);
    const term = await relay(t, [
      '--tls-cert',
      cert,
      '--tls-key',
      key,
      'tls-listen:0',
      `tcp:127.0.0.1:${echo.port}`,
    ]);
    // socat verifies the relay's certificate against the CA file (verify=1 is its default).
    const so = run(
      t,
      'socat',
      ['-t', '30', '-', `OPENSSL:127.0.0.1:${term.port},cafile=${cert}`],
      'secret\n',
    );
    assert.equal(await exitOf(so), 0, so.stderr.text);
    assert.equal(so.stdout.text, 'secret\n');
    await term.cli.stderr.waitFor(/relay #1 done/);

    // Origination: a TLS echo server; the relay verifies it with --tls-ca.
    const tlsServer = tls.createServer(
      { cert: readFileSync(cert), key: readFileSync(key), allowHalfOpen: true },
      (s) => s.pipe(s),
    );
    tlsServer.listen(0, '127.0.0.1');
    await once(tlsServer, 'listening');
    t.after(() => tlsServer.close());
    const tlsPort = (tlsServer.address() as net.AddressInfo).port;
    const orig = await relay(t, ['--tls-ca', cert, 'tcp-listen:0', `tls:localhost:${tlsPort}`]);
    const so2 = run(
      t,
      'socat',
      ['-t', '30', '-', `TCP:127.0.0.1:${orig.port}`],
      'plain in, TLS out\n',
    );
    assert.equal(await exitOf(so2), 0);
    assert.equal(so2.stdout.text, 'plain in, TLS out\n');
    await orig.cli.stderr.waitFor(/relay #1 done/);

    // Without the CA the certificate is refused: the client is reset, the reason logged.
    const strict = await relay(t, ['tcp-listen:0', `tls:localhost:${tlsPort}`]);
    const c = net.connect({ port: Number(strict.port), host: '127.0.0.1' });
    await assert.rejects(within(readAll(c), 'the client to be reset'), { code: 'ECONNRESET' });
    await strict.cli.stderr.waitFor(/cannot open the other address: .*not trusted/);
  },
);

test(
  'UDP: udp-listen → udp (socat), sessions per client, their timeout and table bound',
  { skip: skipSocat },
  async (t) => {
    const backend = dgram.createSocket('udp4');
    backend.on('message', (msg, from) =>
      backend.send(Buffer.concat([Buffer.from('echo:'), msg]), from.port, from.address),
    );
    backend.bind(0, '127.0.0.1');
    await once(backend, 'listening');
    t.after(() => backend.close());
    const { cli, port } = await relay(t, [
      '--udp-timeout',
      '300ms',
      '--max-connections',
      '1',
      'udp-listen:0',
      `udp:127.0.0.1:${backend.address().port}`,
    ]);
    const client = dgram.createSocket('udp4');
    t.after(() => client.close());
    client.bind(0, '127.0.0.1');
    await once(client, 'listening');
    const reply = once(client, 'message');
    client.send('one', Number(port), '127.0.0.1');
    assert.equal(String((await within(reply, 'the echo'))[0]), 'echo:one');
    // A second client while the table (of 1) is full: dropped, and said so.
    const other = dgram.createSocket('udp4');
    t.after(() => other.close());
    other.send('two', Number(port), '127.0.0.1');
    await cli.stderr.waitFor(/dropped: --max-connections 1 sessions/);
    // The session ends after --udp-timeout without traffic…
    await cli.stderr.waitFor(/relay #1 closed: idle timeout; 3 bytes →, 8 bytes ←/);
    // …and socat, a new client, gets a session of its own.
    const so = run(t, 'socat', ['-t', '30', '-', `UDP:127.0.0.1:${port}`], 'from socat\n');
    await so.stdout.waitFor(/echo:from socat\n/);
    so.child.kill();
    await cli.stderr.waitFor(/relay #2: /);
  },
);

test('unix-dgram: udp-listen → unix-dgram:PATH', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'dgram.sock');
  const backend = new UnixDatagramSocket();
  await backend.bind({ path });
  t.after(() => backend.close());
  void (async () => {
    for await (const { data, address } of backend)
      await backend.sendTo(Buffer.concat([Buffer.from('u:'), data]), {
        path: (address as { path: string }).path,
      });
  })().catch(() => {});
  const { port } = await relay(t, ['udp-listen:0', `unix-dgram:${path}`]);
  const client = dgram.createSocket('udp4');
  t.after(() => client.close());
  const reply = once(client, 'message');
  client.send('hi', Number(port), '127.0.0.1');
  assert.equal(String((await within(reply, 'the echo'))[0]), 'u:hi');
});

test(
  'file: the first address is read and sent; the second is appended to',
  { skip: skipSocat },
  async (t) => {
    const dir = tempDir(t);
    const source = join(dir, 'in.txt');
    writeFileSync(source, 'file contents\n');
    const got = deferred<string>();
    const server = net.createServer({ allowHalfOpen: true }, (sock) => {
      void readAll(sock).then((b) => {
        got.resolve(b.toString());
        sock.end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const r = await runCli([
      'relay',
      `file:${source}`,
      `tcp:127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await within(got.promise, 'the file at the server'), 'file contents\n');

    const sink = join(dir, 'out.txt');
    writeFileSync(sink, 'before\n');
    const { cli, port } = await relay(t, ['tcp-listen:0', `file:${sink}`]);
    const so = run(t, 'socat', ['-t', '30', '-', `TCP:127.0.0.1:${port}`], 'appended\n');
    assert.equal(await exitOf(so), 0);
    await cli.stderr.waitFor(/relay #1 done: 9 bytes →/);
    assert.equal(readFileSync(sink, 'utf8'), 'before\nappended\n');
  },
);

test('exec: with --allow-exec, one child per client (socat)', { skip: skipSocat }, async (t) => {
  const { cli, port } = await relay(t, ['--allow-exec', 'tcp-listen:0', 'exec:tr a-z A-Z']);
  const so = run(t, 'socat', ['-t', '30', '-', `TCP:127.0.0.1:${port}`], 'shout\n');
  assert.equal(await exitOf(so), 0);
  assert.equal(so.stdout.text, 'SHOUT\n');
  await cli.stderr.waitFor(/relay #1 done/);
});

test('stdio ⇄ tcp, like connect', async (t) => {
  const echo = await echoServer(t);
  const r = await runCli(['relay', 'stdio', `tcp:127.0.0.1:${echo.port}`], { stdin: 'ping\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'ping\n');
});

test(
  'http-connect: through ncat -l --proxy-type http (Python client), and a refused CONNECT',
  { skip: needs('ncat', 'python3') },
  async (t) => {
    const echo = await echoServer(t);
    const proxyPort = await freePort();
    const proxy = run(t, 'ncat', ['-l', '--proxy-type', 'http', '127.0.0.1', String(proxyPort)]);
    await within(
      new Promise<void>((resolve) => {
        const probe = (): void => {
          const s = net.connect(proxyPort, '127.0.0.1');
          s.on('connect', () => {
            s.destroy();
            resolve();
          });
          s.on('error', () => setImmediate(probe));
        };
        probe();
      }),
      'ncat to listen',
    );
    const { cli, port } = await relay(t, [
      'tcp-listen:0',
      `http-connect:127.0.0.1:${proxyPort}:127.0.0.1:${echo.port}`,
    ]);
    // ncat's proxy closes the tunnel at the client's EOF (no half-close): the client
    // reads its answer before closing.
    const py = run(t, 'python3', [
      '-c',
      `import socket
s = socket.create_connection(("127.0.0.1", ${port}))
s.sendall(b"through the proxy\\n")
data = b""
while not data.endswith(b"\\n"):
    data += s.recv(100)
print(data.decode(), end="")
s.close()`,
    ]);
    assert.equal(await exitOf(py), 0, py.stderr.text);
    assert.equal(py.stdout.text, 'through the proxy\n');
    await cli.stderr.waitFor(/relay #1 done: 18 bytes →, 18 bytes ←/);

    const closed = await freePort();
    const r = await runCli(
      ['relay', 'stdio', `http-connect:127.0.0.1:${proxyPort}:127.0.0.1:${closed}`],
      {
        stdin: 'x',
      },
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refused CONNECT 127\.0\.0\.1:\d+: HTTP\/1\.[01] 5\d\d/);
    proxy.child.kill();
  },
);
