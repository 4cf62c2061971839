// `socketkit relay --proxy-protocol` from the listening addresses the haproxy test does
// not cover, into `socketkit serve echo --proxy-protocol 127.0.0.0/8` (what it logs is
// what it believed) and into a TcpServer that reports the header it got:
// - unix-listen: a Unix client has no IP address. v1 cannot name one and says
//   `PROXY UNKNOWN` (the server keeps the relay's address); v2 says what it is, AF_UNIX
//   STREAM with the client's path (empty: an unnamed client socket) and the listening
//   socket's path — the spec's family for a Unix connection.
// - tls-listen: the header names the TLS client, after the relay's handshake, and (v2)
//   the server name it asked for in an AUTHORITY TLV.
// - udp-listen → udp (v2 only): a DGRAM header before every datagram of a session; the
//   server strips it, sees the client, and answers the relay, which passes it back.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import * as net from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { TcpServer, UdpServer } from '../../../src/server/index.js';
import { startCli, tempDir } from '../../helpers/netcat.js';
import { trySelfSignedCert } from '../../helpers/tls-cert.js';
import { startServe } from '../services/helpers/serve-harness.js';

const CLIENT_HOST = '127.0.0.2';

/** What {@link headerReporter} answers. */
interface Report {
  remote: { family: string; address?: string; port?: number; path?: string };
  header: Record<string, unknown>;
}

/** A TcpServer trusting 127.0.0.0/8 that answers with the header it got, as JSON. */
async function headerReporter(t: TestContext): Promise<number> {
  const server = new TcpServer({
    host: '127.0.0.1',
    port: 0,
    proxyProtocol: { trusted: ['127.0.0.0/8'] },
    handler: async (conn, ctx) => {
      const { version, command, transport, source, destination, tlvs } = ctx.proxyHeader!;
      const authority = tlvs?.authority; // JSON leaves it out when undefined
      await conn.sendAll(
        `${JSON.stringify({ remote: ctx.remote, header: { version, command, transport, source, destination, authority } })}\n`,
      );
    },
  });
  await server.listen();
  void server.serveForever();
  t.after(() => server.destroy());
  return (server.address as { port: number }).port;
}

/** Connects `opts`, sends `text`, half-closes, resolves with all it read. */
function exchangeUnix(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ path, allowHalfOpen: true });
    let got = '';
    sock.on('connect', () => sock.end(text));
    sock.on('data', (d: Buffer) => (got += d.toString()));
    sock.on('error', reject);
    sock.on('close', () => resolve(got));
  });
}

async function relay(t: TestContext, argv: string[]): Promise<void> {
  const cli = startCli(t, ['relay', '-v', ...argv]);
  await cli.stderr.waitFor(/listening on /);
}

/** Connects from {@link CLIENT_HOST} over TLS, sends `text`, resolves with the reply. */
function exchangeTls(
  port: number,
  ca: string,
  text: string,
): Promise<{ out: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const raw = net.connect({ port, host: '127.0.0.1', localAddress: CLIENT_HOST });
    const sock = tls.connect({ socket: raw, ca, servername: 'localhost' }, () => sock.end(text));
    let out = '';
    let localPort = 0;
    raw.on('connect', () => (localPort = raw.localPort ?? 0));
    sock.on('data', (d: Buffer) => (out += d.toString()));
    sock.on('error', reject);
    sock.on('close', () => resolve({ out, localPort }));
  });
}

/** `serve echo` on TCP believing PROXY headers from 127.0.0.0/8; its port. */
async function serveEcho(t: TestContext): Promise<{ port: number; log: () => Promise<string> }> {
  const serve = await startServe([
    'echo',
    '--tcp',
    '--port',
    '0',
    '--proxy-protocol',
    '127.0.0.0/8',
  ]);
  let stopped: Promise<number> | undefined;
  t.after(() => stopped ?? serve.stop());
  return {
    port: serve.rows[0]!.port!,
    // Its log once it stopped: every connection line written.
    log: async () => {
      stopped ??= serve.stop();
      assert.equal(await stopped, 0);
      return serve.stderr();
    },
  };
}

test('relay unix-listen --proxy-protocol v1: PROXY UNKNOWN, the server keeps the relay as the client', async (t) => {
  const port = await headerReporter(t);
  const path = join(tempDir(t), 'in.sock');
  await relay(t, ['--proxy-protocol', 'v1', `unix-listen:${path}`, `tcp:127.0.0.1:${port}`]);
  const out = JSON.parse(await exchangeUnix(path, '')) as Report;
  assert.deepEqual(out.header, {
    version: 1,
    command: 'proxy',
    transport: 'unspec',
    source: null,
    destination: null,
  });
  assert.equal(out.remote.address, '127.0.0.1');
});

test('relay unix-listen --proxy-protocol v2: AF_UNIX STREAM, the unnamed client and the listening path; judged as the relay', async (t) => {
  const port = await headerReporter(t);
  const path = join(tempDir(t), 'in.sock');
  await relay(t, ['--proxy-protocol', 'v2', `unix-listen:${path}`, `tcp:127.0.0.1:${port}`]);
  const out = JSON.parse(await exchangeUnix(path, '')) as Report;
  assert.deepEqual(out.header, {
    version: 2,
    command: 'proxy',
    transport: 'stream',
    source: { family: 'unix', path: '' },
    destination: { family: 'unix', path },
  });
  // On a TCP server a Unix client is judged as the relay that named it (no address of its
  // own for access lists or per-address caps to check); the header says what it was.
  assert.equal(out.remote.address, '127.0.0.1');
});

test('relay unix-listen --proxy-protocol v1|v2 → serve echo --proxy-protocol: echoed, logged as it believed', async (t) => {
  const echo = await serveEcho(t);
  const dir = tempDir(t);
  for (const version of ['v1', 'v2']) {
    const path = join(dir, `${version}.sock`);
    await relay(t, [
      '--proxy-protocol',
      version,
      `unix-listen:${path}`,
      `tcp:127.0.0.1:${echo.port}`,
    ]);
    assert.equal(await exchangeUnix(path, `hello ${version}\n`), `hello ${version}\n`);
  }
  const log = await echo.log();
  // v1 UNKNOWN and v2 AF_UNIX alike: the relay's own address. A Unix client has no
  // address a TCP server's access lists or per-address caps could judge, so the server
  // judges the proxy (test/regressions/a-proxied-unix-client-is-judged-by-the-proxy-address).
  const lines = log.match(/#\d+ connection from 127\.0\.0\.1:(\d+) via 127\.0\.0\.1:\1\n/g);
  assert.equal(lines?.length, 2, log);
});

test(
  'relay tls-listen --proxy-protocol v2 → serve echo --proxy-protocol: the TLS client is the one logged',
  { skip: trySelfSignedCert.length < 0 },
  async (t) => {
    const creds = trySelfSignedCert(tempDir(t));
    if (creds === null) return t.skip('openssl is not installed');
    const tlsArgs = ['--tls-cert', creds.cert, '--tls-key', creds.key];
    const ca = readFileSync(creds.cert, 'utf8');
    const echo = await serveEcho(t);
    const cli = startCli(t, [
      'relay',
      '-v',
      '--proxy-protocol',
      'v2',
      ...tlsArgs,
      'tls-listen:0',
      `tcp:127.0.0.1:${echo.port}`,
    ]);
    const m = await cli.stderr.waitFor(/listening on \S+:(\d+)/);
    const relayPort = Number(m[1]);
    const { out, localPort } = await exchangeTls(relayPort, ca, 'over tls\n');
    assert.equal(out, 'over tls\n');
    // …and the header itself: the client, and the relay's address it reached.
    const reporter = await headerReporter(t);
    const cli2 = startCli(t, [
      'relay',
      '-v',
      '--proxy-protocol',
      'v2',
      ...tlsArgs,
      'tls-listen:0',
      `tcp:127.0.0.1:${reporter}`,
    ]);
    const m2 = await cli2.stderr.waitFor(/listening on \S+:(\d+)/);
    const second = await exchangeTls(Number(m2[1]), ca, '');
    const got = JSON.parse(second.out) as Report;
    assert.deepEqual(got.header, {
      version: 2,
      command: 'proxy',
      transport: 'stream',
      source: { family: 'IPv4', address: CLIENT_HOST, port: second.localPort },
      destination: { family: 'IPv4', address: '127.0.0.1', port: Number(m2[1]) },
      authority: 'localhost', // the client's SNI, as a v2 AUTHORITY TLV
    });
    const log = await echo.log();
    assert.match(
      log,
      new RegExp(`#\\d+ connection from 127\\.0\\.0\\.2:${localPort} via 127\\.0\\.0\\.1:\\d+\n`),
    );
  },
);

/** A UDP socket on {@link CLIENT_HOST}: sends each of `texts`, resolves with the replies. */
async function udpExchange(
  t: TestContext,
  port: number,
  texts: string[],
): Promise<{ replies: string[]; localPort: number }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, CLIENT_HOST, resolve));
  t.after(() => sock.close());
  const replies: string[] = [];
  for (const text of texts) {
    const reply = once(sock, 'message');
    sock.send(text, port, '127.0.0.1');
    const [msg] = (await reply) as [Buffer];
    replies.push(msg.toString());
  }
  return { replies, localPort: sock.address().port };
}

test('relay udp-listen → udp --proxy-protocol v2: a header before every datagram, the answers back', async (t) => {
  const server = new UdpServer({
    host: '127.0.0.1',
    port: 0,
    proxyProtocol: { trusted: ['127.0.0.0/8'] },
    handler: (packet, ctx) => {
      const r = ctx.remote as { address: string; port: number };
      const h = ctx.proxyHeader!;
      const d = h.destination as { address: string; port: number };
      ctx.send(
        `${packet.toString()} from ${r.address}:${r.port} to ${d.address}:${d.port} ${h.transport}`,
      );
    },
  });
  await server.listen();
  void server.serveForever();
  t.after(() => server.destroy());
  const port = (server.address as { port: number }).port;
  const cli = startCli(t, [
    'relay',
    '-v',
    '--proxy-protocol',
    'v2',
    'udp-listen:127.0.0.1:0',
    `udp:127.0.0.1:${port}`,
  ]);
  const m = await cli.stderr.waitFor(/listening on \S+:(\d+) \(UDP\)/);
  const relayPort = Number(m[1]);
  const { replies, localPort } = await udpExchange(t, relayPort, ['one', 'two']);
  assert.deepEqual(replies, [
    `one from ${CLIENT_HOST}:${localPort} to 127.0.0.1:${relayPort} dgram`,
    `two from ${CLIENT_HOST}:${localPort} to 127.0.0.1:${relayPort} dgram`,
  ]);
});

test('relay udp-listen → udp --proxy-protocol v2 → serve echo --proxy-protocol: echoed bare, logged as the client', async (t) => {
  const serve = await startServe([
    'echo',
    '--udp',
    '--port',
    '0',
    '-v',
    '--proxy-protocol',
    '127.0.0.0/8',
  ]);
  t.after(() => serve.stop());
  const echo = serve.rows[0]!.port!;
  const cli = startCli(t, [
    'relay',
    '-v',
    '--proxy-protocol',
    'v2',
    'udp-listen:127.0.0.1:0',
    `udp:127.0.0.1:${echo}`,
  ]);
  const m = await cli.stderr.waitFor(/listening on \S+:(\d+) \(UDP\)/);
  const { replies, localPort } = await udpExchange(t, Number(m[1]), ['ping']);
  assert.deepEqual(
    replies,
    ['ping'],
    'the header was stripped; the answer came back through the relay',
  );
  assert.equal(await serve.stop(), 0);
  assert.match(
    serve.stderr(),
    new RegExp(
      `echo/udp #\\d+ datagram from 127\\.0\\.0\\.2:${localPort} via 127\\.0\\.0\\.1:\\d+: 4 bytes`,
    ),
  );
});
