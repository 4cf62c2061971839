// A stream server's `proxyProtocol` on real loopback sockets: a trusted proxy's header
// (v1, v2, split, with data in the same chunk) makes ctx.remote the client it names;
// an untrusted peer's header is plain data; a bad or late header closes the connection
// with a published error; the per-address limits and access lists judge the real client.
// UdpServer: PROXY v2 (DGRAM) before every datagram from a trusted proxy, stripped; the
// answer goes back to the proxy; a datagram without a valid header is dropped.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import * as net from 'node:net';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import tls from 'node:tls';
import { InvalidArgumentError, ProxyHeaderError, SocketTimeoutError } from '../../../src/errors.js';
import { encodeProxyHeader } from '../../../src/framing/proxy-header.js';
import {
  type ConnectionContext,
  type RefusedMessage,
  type ServerErrorMessage,
  TcpServer,
  type TcpServerOptions,
  UdpServer,
  UnixStreamServer,
} from '../../../src/server/index.js';
import type { Socket } from '../../../src/socket/tcp-socket.js';
import { watchChannel } from '../../helpers/wait.js';
import { selfSignedPem } from '../../helpers/tls-cert.js';
import { tempDir } from './helpers/clients.js';

const tmp = tempDir();
after(tmp.cleanup);
const pem = selfSignedPem(tmp.dir);
const skipTls = pem === null ? 'openssl is not installed' : false;

const CLIENT = { family: 'IPv4' as const, address: '203.0.113.7', port: 40000 };
const FRONT = { family: 'IPv4' as const, address: '198.51.100.1', port: 443 };

/** Answers `remote=ADDR:PORT via=ADDR` and then echoes until EOF. */
async function reportPeer(conn: Socket, ctx: ConnectionContext): Promise<void> {
  const r = ctx.remote;
  const via = ctx.via === undefined ? '-' : 'address' in ctx.via ? ctx.via.address : ctx.via.path;
  await conn.sendAll(
    `remote=${'address' in r ? `${r.address}:${r.port}` : r.path} via=${via} v=${ctx.proxyHeader?.version ?? '-'}\n`,
  );
  for await (const chunk of conn) await conn.sendAll(chunk);
}

async function start(
  t: TestContext,
  options: Partial<TcpServerOptions> = {},
): Promise<{ server: TcpServer; port: number }> {
  const server = new TcpServer({
    host: '127.0.0.1',
    port: 0,
    handler: reportPeer,
    proxyProtocol: { trusted: ['127.0.0.1/32'] },
    ...options,
  });
  await server.listen();
  void server.serveForever();
  t.after(() => server.destroy());
  return { server, port: (server.address as { port: number }).port };
}

/**
 * Connects from `localAddress`, writes each part (one write each, in order), half-closes
 * and resolves with everything read until the server closed.
 */
function exchange(
  port: number,
  parts: (Buffer | string)[],
  localAddress = '127.0.0.1',
): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    sock.on('connect', () => {
      for (const p of parts) sock.write(p);
      sock.end();
    });
  });
}

describe('TcpServer proxyProtocol', () => {
  test('v1 from a trusted proxy: ctx.remote is the client, data in the same chunk kept', async (t) => {
    const { port } = await start(t);
    const header = encodeProxyHeader(1, { source: CLIENT, destination: FRONT });
    const out = await exchange(port, [Buffer.concat([header, Buffer.from('hello\n')])]);
    assert.equal(out, 'remote=203.0.113.7:40000 via=127.0.0.1 v=1\nhello\n');
  });

  test('v2 split byte by byte, then data in later writes', async (t) => {
    const { port } = await start(t);
    const v6 = {
      source: { family: 'IPv6' as const, address: '2001:db8::7', port: 5 },
      destination: { family: 'IPv6' as const, address: '2001:db8::1', port: 443 },
    };
    const header = encodeProxyHeader(2, v6);
    const parts = [...header].map((b) => Buffer.from([b]));
    const out = await exchange(port, [...parts, 'one\n', 'two\n']);
    assert.equal(out, 'remote=2001:db8::7:5 via=127.0.0.1 v=2\none\ntwo\n');
  });

  test('a header and EOF with no data: the handler sees the end (no hang)', async (t) => {
    const { port } = await start(t);
    const out = await exchange(port, [
      encodeProxyHeader(2, { source: CLIENT, destination: FRONT }),
    ]);
    assert.equal(out, 'remote=203.0.113.7:40000 via=127.0.0.1 v=2\n');
  });

  test('LOCAL (v2) and UNKNOWN (v1): the proxy itself is the remote', async (t) => {
    const { port } = await start(t);
    const local = await exchange(port, [encodeProxyHeader(2, { command: 'local' }), 'hc\n']);
    assert.match(local, /^remote=127\.0\.0\.1:\d+ via=127\.0\.0\.1 v=2\nhc\n$/);
    const unknown = await exchange(port, ['PROXY UNKNOWN\r\nx\n']);
    assert.match(unknown, /^remote=127\.0\.0\.1:\d+ via=127\.0\.0\.1 v=1\nx\n$/);
  });

  test('an untrusted peer: no header is read, its bytes are data', async (t) => {
    const { port } = await start(t, { proxyProtocol: { trusted: ['127.0.0.2'] } });
    const header = encodeProxyHeader(1, { source: CLIENT, destination: FRONT });
    const out = await exchange(port, [header, 'x\n'], '127.0.0.1');
    assert.match(out, /^remote=127\.0\.0\.1:\d+ via=- v=-\n/);
    assert.ok(out.endsWith(`\n${header.toString('latin1')}x\n`), out);
    // …while the trusted address (127.0.0.2) is believed.
    const trusted = await exchange(port, [header, 'y\n'], '127.0.0.2');
    assert.equal(trusted, 'remote=203.0.113.7:40000 via=127.0.0.2 v=1\ny\n');
  });

  test('garbage from a trusted proxy: closed, ProxyHeaderError published', async (t) => {
    const { server, port } = await start(t);
    const errors = watchChannel<ServerErrorMessage>(t, 'socketkit:server:error');
    const out = await exchange(port, ['GET / HTTP/1.1\r\nHost: x\r\n\r\n']);
    assert.equal(out, '', 'the handler never ran');
    const [m] = await errors.waitFor((all) => all.some((e) => e.server === server));
    assert.equal(m!.phase, 'proxy-header');
    assert.ok(m!.error instanceof ProxyHeaderError);
    assert.deepEqual(m!.remote && 'address' in m!.remote ? m!.remote.address : null, '127.0.0.1');
    // A v2 header announcing more than maxHeaderLength: refused before the bytes come.
    const big = Buffer.from('0d0a0d0a000d0a515549540a2111ffff', 'hex');
    assert.equal(await exchange(port, [big]), '');
    await errors.waitFor((all) => all.filter((e) => e.server === server).length === 2);
    assert.match(String(errors.messages.at(-1)!.error), /exceeds the limit of 4096 bytes/);
  });

  test('v2 TLVs reach the handler on ctx.proxyHeader; a bad CRC32C or a TLV past the end closes', async (t) => {
    const { server, port } = await start(t, {
      handler: async (conn, ctx) => {
        const tlvs = ctx.proxyHeader?.tlvs;
        await conn.sendAll(
          `remote=${'address' in ctx.remote ? ctx.remote.address : '-'} authority=${tlvs?.authority} alpn=${tlvs?.alpn} id=${tlvs?.uniqueId?.toString()} crc=${typeof tlvs?.crc32c}\n`,
        );
      },
    });
    const header = encodeProxyHeader(2, {
      source: CLIENT,
      destination: FRONT,
      tlvs: { authority: 'www.example', alpn: 'h2', uniqueId: Buffer.from('req-1'), crc32c: true },
    });
    assert.equal(
      await exchange(port, [header]),
      'remote=203.0.113.7 authority=www.example alpn=h2 id=req-1 crc=number\n',
    );
    const errors = watchChannel<ServerErrorMessage>(t, 'socketkit:server:error');
    const corrupt = Buffer.from(header);
    corrupt[19] = corrupt[19]! ^ 0xff; // the source address's last byte: the CRC32C no longer matches
    assert.equal(await exchange(port, [corrupt, 'data\n']), '', 'the handler never ran');
    const [m] = await errors.waitFor((all) => all.some((e) => e.server === server));
    assert.equal(m!.phase, 'proxy-header');
    assert.ok(m!.error instanceof ProxyHeaderError);
    assert.match(String(m!.error), /CRC32C/);
    // A TLV whose length runs past the header's: malformed, closed the same way.
    const past = Buffer.from(
      encodeProxyHeader(2, { source: CLIENT, destination: FRONT, tlvs: { alpn: 'h2' } }),
    );
    past.writeUInt16BE(40, 16 + 12 + 1);
    assert.equal(await exchange(port, [past, 'data\n']), '');
    await errors.waitFor((all) => all.filter((e) => e.server === server).length === 2);
    assert.match(String(errors.messages.at(-1)!.error), /runs \d+ bytes past/);
  });

  test('a header that does not come in time: closed after the timeout, published', async (t) => {
    const { server, port } = await start(t, {
      proxyProtocol: { trusted: ['127.0.0.1'], timeout: 0.2 },
    });
    const errors = watchChannel<ServerErrorMessage>(t, 'socketkit:server:error');
    const sock = net.connect({ port, host: '127.0.0.1' });
    sock.on('error', () => {});
    sock.write('PROXY TCP4 '); // and nothing more (the server's FIN closes it: no half-open)
    await once(sock, 'close');
    const [m] = await errors.waitFor((all) => all.some((e) => e.server === server));
    assert.equal(m!.phase, 'proxy-header');
    assert.ok(m!.error instanceof SocketTimeoutError);
    assert.equal(server.connections, 0);
  });

  test('per-address cap and deny list judge the client the header names', async (t) => {
    const { server, port } = await start(t, {
      maxConnectionsPerIp: 1,
      deny: ['203.0.113.99'],
      handler: async (conn, ctx) => {
        await reportPeer(conn, ctx);
      },
    });
    const refused = watchChannel<RefusedMessage>(t, 'socketkit:server:refused');
    // One connection from client A stays open…
    const held = net.connect({ port, host: '127.0.0.1' });
    held.write(encodeProxyHeader(1, { source: CLIENT, destination: FRONT }));
    const [first] = (await once(held, 'data')) as [Buffer];
    assert.match(first.toString(), /^remote=203\.0\.113\.7:40000 /);
    // …so a second one for A is refused (by its address, not the proxy's)…
    const again = await exchange(port, [
      encodeProxyHeader(2, { source: { ...CLIENT, port: 40001 }, destination: FRONT }),
    ]);
    assert.match(again, /too many connections from your address/);
    const [m] = await refused.waitFor((all) => all.some((r) => r.server === server));
    assert.equal(m!.reason, 'maxConnectionsPerIp');
    assert.deepEqual(m!.remote, { ...CLIENT, port: 40001 });
    // …while client B, through the same proxy, is served.
    const other = await exchange(port, [
      encodeProxyHeader(2, {
        source: { family: 'IPv4', address: '203.0.113.8', port: 1 },
        destination: FRONT,
      }),
    ]);
    assert.match(other, /^remote=203\.0\.113\.8:1 /);
    // A denied client is cut without a word.
    const denied = await exchange(port, [
      encodeProxyHeader(1, {
        source: { family: 'IPv4', address: '203.0.113.99', port: 2 },
        destination: FRONT,
      }),
    ]);
    assert.equal(denied, '');
    await refused.waitFor((all) => all.some((r) => r.reason === 'deny'));
    held.destroy();
  });

  test('required: false: a trusted peer without a header is a direct client, bytes intact', async (t) => {
    const { port } = await start(t, {
      proxyProtocol: { trusted: ['127.0.0.1'], required: false },
    });
    const plain = await exchange(port, ['PRO', 'XIMITY, not a header\n']);
    assert.match(plain, /^remote=127\.0\.0\.1:\d+ via=- v=-\nPROXIMITY, not a header\n$/);
    const proxied = await exchange(port, [
      encodeProxyHeader(1, { source: CLIENT, destination: FRONT }),
      'z\n',
    ]);
    assert.equal(proxied, 'remote=203.0.113.7:40000 via=127.0.0.1 v=1\nz\n');
  });

  test('a UnixStreamServer trusts every peer (the socket file decides who connects)', async (t) => {
    const path = join(tmp.dir, 'pp.sock');
    const server = new UnixStreamServer({
      path,
      handler: reportPeer,
      proxyProtocol: { trusted: ['127.0.0.1'] },
    });
    await server.listen();
    void server.serveForever();
    t.after(() => server.destroy());
    const out = await new Promise<string>((resolve, reject) => {
      const sock = net.connect({ path, allowHalfOpen: true }, () => {
        sock.end(
          Buffer.concat([
            encodeProxyHeader(2, { source: CLIENT, destination: FRONT }),
            Buffer.from('u\n'),
          ]),
        );
      });
      const chunks: Buffer[] = [];
      sock.on('data', (c: Buffer) => chunks.push(c));
      sock.on('close', () => resolve(Buffer.concat(chunks).toString()));
      sock.on('error', reject);
    });
    assert.match(out, /^remote=203\.0\.113\.7:40000 via=\S* v=2\nu\n$/);
  });

  test('options are checked', () => {
    const base = { handler: reportPeer };
    assert.throws(
      () => new TcpServer({ ...base, proxyProtocol: { trusted: [] } }),
      InvalidArgumentError,
    );
    assert.throws(
      () => new TcpServer({ ...base, proxyProtocol: { trusted: ['not-an-ip'] } }),
      InvalidArgumentError,
    );
    assert.throws(
      () => new TcpServer({ ...base, proxyProtocol: { trusted: ['127.0.0.1'], timeout: 0 } }),
      InvalidArgumentError,
    );
    assert.throws(
      () =>
        new TcpServer({
          ...base,
          proxyProtocol: { trusted: ['127.0.0.1'], maxHeaderLength: 70000 },
        }),
      InvalidArgumentError,
    );
  });
});

describe('TLS with proxyProtocol: the header precedes the ClientHello', { skip: skipTls }, () => {
  /** Writes `header` on a TCP connection, then speaks TLS over it; reads to the end. */
  function tlsAfterHeader(port: number, header: Buffer, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const raw = net.connect({ port, host: '127.0.0.1' }, () => {
        raw.write(header);
        const sock = tls.connect({ socket: raw, ca: pem!.cert, servername: 'localhost' }, () =>
          sock.end(text),
        );
        let got = '';
        sock.on('data', (d: Buffer) => (got += d.toString()));
        sock.on('end', () => resolve(got));
        sock.on('error', reject);
      });
      raw.on('error', reject);
    });
  }

  test('a trusted proxy: the handshake follows the header; ctx.remote is the client', async (t) => {
    const { server, port } = await start(t, { tls: { key: pem!.key, cert: pem!.cert } });
    assert.equal(server.transport, 'tls');
    const header = encodeProxyHeader(2, { source: CLIENT, destination: FRONT });
    assert.equal(
      await tlsAfterHeader(port, header, 'secret\n'),
      'remote=203.0.113.7:40000 via=127.0.0.1 v=2\nsecret\n',
    );
    // The header and the ClientHello in one write (one segment on loopback): a hop in
    // the middle takes the client's hello and sends it on behind the header.
    const hop = net.createServer({ allowHalfOpen: true }, (client) => {
      client.once('data', (hello: Buffer) => {
        const up = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => {
          up.write(Buffer.concat([header, hello]));
          client.pipe(up);
          up.pipe(client);
        });
        up.on('error', () => client.destroy());
      });
      client.on('error', () => {});
    });
    hop.listen(0, '127.0.0.1');
    await once(hop, 'listening');
    t.after(() => hop.close());
    const hopPort = (hop.address() as net.AddressInfo).port;
    const both = await new Promise<string>((resolve, reject) => {
      const sock = tls.connect(
        { host: '127.0.0.1', port: hopPort, ca: pem!.cert, servername: 'localhost' },
        () => sock.end('one segment\n'),
      );
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString()));
      sock.on('end', () => resolve(got));
      sock.on('error', reject);
    });
    assert.equal(both, 'remote=203.0.113.7:40000 via=127.0.0.1 v=2\none segment\n');
  });

  test('an untrusted peer speaks TLS directly; a bad header closes before any handshake', async (t) => {
    const { server, port } = await start(t, {
      tls: { key: pem!.key, cert: pem!.cert },
      proxyProtocol: { trusted: ['127.0.0.2'] },
    });
    const direct = await new Promise<string>((resolve, reject) => {
      const sock = tls.connect(
        { host: '127.0.0.1', port, ca: pem!.cert, servername: 'localhost' },
        () => sock.end('hi\n'),
      );
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString()));
      sock.on('end', () => resolve(got));
      sock.on('error', reject);
    });
    assert.match(direct, /^remote=127\.0\.0\.1:\d+ via=- v=-\nhi\n$/);
    const errors = watchChannel<ServerErrorMessage>(t, 'socketkit:server:error');
    const out = await exchange(port, ['\x16\x03\x01 not a header'], '127.0.0.2');
    assert.equal(out, '');
    const [m] = await errors.waitFor((all) => all.some((e) => e.server === server));
    assert.equal(m!.phase, 'proxy-header');
    assert.equal(server.connections, 0);
  });
});

describe('UdpServer proxyProtocol (PROXY v2 over datagrams)', () => {
  const DGRAM_CLIENT = { family: 'IPv4' as const, address: '203.0.113.9', port: 5353 };
  const DGRAM_FRONT = { family: 'IPv4' as const, address: '198.51.100.1', port: 53 };
  const dgramHeader = (): Buffer =>
    encodeProxyHeader(2, { source: DGRAM_CLIENT, destination: DGRAM_FRONT, transport: 'dgram' });

  /** A UdpServer answering `remote=… via=… packet=…`, trusting 127.0.0.1. */
  async function startUdp(t: TestContext): Promise<{ server: UdpServer; port: number }> {
    const server = new UdpServer({
      host: '127.0.0.1',
      port: 0,
      proxyProtocol: { trusted: ['127.0.0.1'] },
      handler: (packet, ctx) => {
        const r = ctx.remote;
        const via = ctx.via === undefined ? '-' : 'address' in ctx.via ? ctx.via.address : '?';
        // Raw bytes back: the packet may hold a header's bytes (an untrusted sender's).
        const text = `remote=${'address' in r ? `${r.address}:${r.port}` : r.path} via=${via} transport=${ctx.proxyHeader?.transport ?? '-'} packet=`;
        ctx.send(Buffer.concat([Buffer.from(text), packet]));
      },
    });
    await server.listen();
    void server.serveForever();
    t.after(() => server.destroy());
    return { server, port: (server.address as { port: number }).port };
  }

  /** A UDP socket bound to `host`, closed after the test. */
  async function udpClient(t: TestContext, host: string): Promise<dgram.Socket> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, host, resolve));
    t.after(() => sock.close());
    return sock;
  }

  async function ask(sock: dgram.Socket, port: number, data: Buffer): Promise<string> {
    const reply = once(sock, 'message');
    sock.send(data, port, '127.0.0.1');
    const [msg] = (await reply) as [Buffer];
    return msg.toString('latin1');
  }

  test('a trusted proxy: header stripped, ctx.remote the client, the answer back to the proxy', async (t) => {
    const { port } = await startUdp(t);
    const proxy = await udpClient(t, '127.0.0.1');
    for (const payload of ['one', 'two']) {
      const out = await ask(proxy, port, Buffer.concat([dgramHeader(), Buffer.from(payload)]));
      assert.equal(out, `remote=203.0.113.9:5353 via=127.0.0.1 transport=dgram packet=${payload}`);
    }
    // LOCAL: the proxy's own datagram (a health check), its address kept.
    const local = await ask(
      proxy,
      port,
      Buffer.concat([encodeProxyHeader(2, { command: 'local' }), Buffer.from('hc')]),
    );
    assert.match(local, /^remote=127\.0\.0\.1:\d+ via=127\.0\.0\.1 transport=unspec packet=hc$/);
  });

  test('a trusted proxy without a valid v2 DGRAM header: dropped and counted; others served as is', async (t) => {
    const { server, port } = await startUdp(t);
    const refused = watchChannel<RefusedMessage>(t, 'socketkit:server:refused');
    const proxy = await udpClient(t, '127.0.0.1');
    const bad = [
      Buffer.from('no header'),
      Buffer.concat([
        encodeProxyHeader(1, { source: CLIENT, destination: FRONT }),
        Buffer.from('x'),
      ]),
      Buffer.concat([
        encodeProxyHeader(2, { source: CLIENT, destination: FRONT }),
        Buffer.from('x'),
      ]), // STREAM
      dgramHeader().subarray(0, 20), // cut short
    ];
    for (const d of bad) proxy.send(d, port, '127.0.0.1');
    const drops = await refused.waitFor(
      (all) =>
        all.filter((m) => m.server === server && m.reason === 'proxyHeader').length === bad.length,
    );
    for (const m of drops.filter((d) => d.server === server)) {
      assert.equal('address' in m.remote ? m.remote.address : '', '127.0.0.1');
    }
    // The proxy still gets served after the drops (each datagram stands alone).
    const after = await ask(proxy, port, Buffer.concat([dgramHeader(), Buffer.from('ok')]));
    assert.equal(after, 'remote=203.0.113.9:5353 via=127.0.0.1 transport=dgram packet=ok');
    // An untrusted sender: its datagram is data, header bytes and all.
    const direct = await udpClient(t, '127.0.0.2');
    const header = dgramHeader();
    const out = await ask(direct, port, Buffer.concat([header, Buffer.from('d')]));
    assert.ok(out.startsWith('remote=127.0.0.2:'), out);
    assert.ok(out.endsWith(` via=- transport=- packet=${header.toString('latin1')}d`), out);
  });

  test('options: timeout and required do not apply to datagrams', () => {
    const base = { handler: () => {} };
    assert.throws(
      () => new UdpServer({ ...base, proxyProtocol: { trusted: [] } }),
      InvalidArgumentError,
    );
    assert.throws(
      () =>
        new UdpServer({
          ...base,
          proxyProtocol: { trusted: ['127.0.0.1'], timeout: 1 } as never,
        }),
      /does not apply to datagrams/,
    );
  });
});
