import assert from 'node:assert/strict';
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { type TestContext, test } from 'node:test';
import {
  type RefusedMessage,
  UdpServer,
  type UdpServerOptions,
} from '../../../src/server/index.js';
import {
  createSntpHandler,
  decodeNtpPacket,
  encodeNtpPacket,
  type NtpPacket,
  ntpToUnixNanos,
  type SntpResponderOptions,
  sntpService,
  unixNanosToNtp,
} from '../../../src/services/sntp/index.js';
import { querySntp } from '../../../src/services/sntp/sntp-client.js';
import { datagramExchange, instanceOf, serve } from './helpers/service-harness.js';
import { needs } from '../../helpers/needs.js';
import { until, watchChannel } from '../../helpers/wait.js';

/** Starts an SNTP UdpServer on 127.0.0.1:0 with these responder options. */
async function sntpServer(
  t: TestContext,
  options: SntpResponderOptions = {},
  server: Partial<UdpServerOptions> = {},
) {
  const { handler, responder } = createSntpHandler(options);
  const s = await new UdpServer({ host: '127.0.0.1', port: 0, handler, ...server }).listen();
  t.after(() => s.destroy());
  void s.serveForever();
  const port = (s.address as { port: number }).port;
  return { port, responder };
}

function clientRequest(transmit: bigint, patch: Partial<NtpPacket> = {}): Buffer {
  return encodeNtpPacket({
    leap: 0,
    version: 4,
    mode: 3,
    stratum: 0,
    poll: 4,
    precision: 0,
    rootDelay: 0,
    rootDispersion: 0,
    referenceId: Buffer.alloc(4),
    referenceTimestamp: 0n,
    originTimestamp: 0n,
    receiveTimestamp: 0n,
    transmitTimestamp: transmit,
    ...patch,
  });
}

/** A UDP client socket bound to `address`, closed after the test; collects what it receives. */
async function client(
  t: TestContext,
  address = '127.0.0.1',
): Promise<{ sock: DgramSocket; got: Buffer[] }> {
  const sock = createSocket('udp4');
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, address, () => resolve());
  });
  t.after(() => sock.close());
  return { sock, got };
}

const send = (sock: DgramSocket, data: Buffer, port: number) =>
  new Promise<void>((resolve, reject) =>
    sock.send(data, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
  );

/** Waits until `cond()` holds, re-checked on each datagram `sock` receives. */
function waitFor(sock: DgramSocket, cond: () => boolean): Promise<void> {
  return until(cond, sock, 'message', { what: 'SNTP replies' });
}

test('sntp/udp (service definition): our client gets a sane reply from the default service', async (t) => {
  const where = await serve(t, await instanceOf(t, sntpService), 'udp');
  assert.ok('port' in where);
  const r = await querySntp('127.0.0.1', { port: where.port, timeout: 5 });
  assert.equal(r.problem, undefined);
  assert.equal(r.stratum, 1);
  assert.equal(r.refId, 'LOCL');
  assert.equal(r.version, 4);
  assert.equal(r.leap, 0);
  // Same host, same clock: the offset can only be the path asymmetry, at most half the delay.
  assert.ok(Math.abs(r.offset) <= r.delay / 2 + 0.002, `offset ${r.offset}, delay ${r.delay}`);
  assert.ok(r.delay >= -0.001 && r.delay < 1, `delay ${r.delay}`);
  assert.ok(Math.abs(r.serverTimeMs - Date.now()) < 2000);
});

test('sntp/udp: v3 echoed, origin = our transmit timestamp, T1 <= T2 <= T3 <= T4 in wall time', async (t) => {
  const { port } = await sntpServer(t);
  const { sock, got } = await client(t);
  // Our side in Date.now() milliseconds: T1 rounded down before the send, T4 rounded up
  // after the reply, so [T1, T4] holds the whole exchange whatever the sub-ms truth.
  const t1Ms = Date.now();
  const t1 = unixNanosToNtp(BigInt(t1Ms) * 1_000_000n);
  await send(sock, clientRequest(t1, { version: 3, poll: 10 }), port);
  await waitFor(sock, () => got.length > 0);
  const t4Ms = Date.now() + 1;
  const reply = decodeNtpPacket(got[0] ?? Buffer.alloc(0));
  assert.equal(reply.version, 3);
  assert.equal(reply.mode, 4);
  assert.equal(reply.poll, 10);
  assert.equal(reply.originTimestamp, t1);
  // The server's clock (hrtime anchored to the same system clock) may be off by as much as
  // it says: its root dispersion.
  const slackNs = BigInt(Math.ceil(reply.rootDispersion * 1e9));
  const pivot = BigInt(t1Ms) * 1_000_000n;
  const [ref, t2, t3] = [reply.referenceTimestamp, reply.receiveTimestamp, reply.transmitTimestamp];
  const what = `T1 ${t1Ms} ms, ref/T2/T3 ${[ref, t2, t3].map((x) => ntpToUnixNanos(x, pivot))} ns, T4 ${t4Ms} ms`;
  assert.ok(ntpToUnixNanos(t2, pivot) >= pivot - slackNs, `T1 <= T2: ${what}`);
  assert.ok(t2 <= t3, `T2 <= T3: ${what}`);
  assert.ok(ntpToUnixNanos(t3, pivot) <= BigInt(t4Ms) * 1_000_000n + slackNs, `T3 <= T4: ${what}`);
  assert.ok(ref <= t2, `reference <= T2: ${what}`);
});

test('sntp/udp: garbage, short, server-mode and control packets get no answer; the server keeps serving', async (t) => {
  const { port, responder } = await sntpServer(t);
  const { sock, got } = await client(t);
  const junk = [
    Buffer.alloc(0),
    Buffer.from('hello'),
    clientRequest(1n).subarray(0, 47),
    clientRequest(1n, { mode: 4 }),
    clientRequest(1n, { mode: 6 }),
    clientRequest(1n, { mode: 7 }),
    clientRequest(1n, { version: 0 }),
    Buffer.alloc(1500, 0xff),
  ];
  for (const j of junk) await send(sock, j, port);
  await send(sock, clientRequest(42n), port);
  // A second request after the junk: its reply comes after everything before it was handled.
  await send(sock, clientRequest(43n), port);
  await waitFor(sock, () => got.some((g) => decodeNtpPacket(g).originTimestamp === 43n));
  assert.equal(got.length, 2);
  assert.equal(decodeNtpPacket(got[0] ?? Buffer.alloc(0)).originTimestamp, 42n);
  const d = responder.stats.dropped;
  assert.equal(d.malformed + d['not-a-client-request'] + d['bad-version'], junk.length);
});

test("sntp/udp: a flood of 2000 requests gets the burst, a RATE Kiss-o'-Death, then silence", async (t) => {
  const { port, responder } = await sntpServer(t, { rate: 1, burst: 8 });
  const { sock, got } = await client(t);
  const started = Date.now();
  for (let i = 0; i < 2000; i++) {
    await send(sock, clientRequest(BigInt(i + 1)), port);
    // Let the server's loop breathe now and then, so the flood reaches the limiter rather
    // than the server's own queue bound (which would also shed it, unanswered).
    if (i % 20 === 19) await new Promise((r) => setImmediate(r));
  }
  // A barrier: one request from another address (its own bucket) sent after the flood. The
  // server handles datagrams in arrival order, so once it is answered the flood was handled.
  const marker = await client(t, '127.0.0.2');
  // The marker may be lost while the flood fills the server's socket buffer: send it again
  // until one is answered (bounded: 10 tries of up to 3 s).
  for (let i = 0; i < 10 && marker.got.length === 0; i++) {
    await send(marker.sock, clientRequest(1_000_000n + BigInt(i)), port);
    await until(() => marker.got.length > 0, marker.sock, 'message', { timeout: 3000 }).catch(
      () => {},
    );
  }
  assert.ok(marker.got.length > 0, 'the marker was answered');
  const elapsed = (Date.now() - started) / 1000;
  const markers = marker.got.length;
  const total = () =>
    responder.stats.answered - markers + responder.stats.kissed + responder.stats.dropped.rate;
  // Every reply sent to the flooding client has arrived.
  await waitFor(
    sock,
    () => got.length === responder.stats.answered - markers + responder.stats.kissed,
  );
  const replies = got.map((b) => decodeNtpPacket(b));
  const kisses = replies.filter((p) => p.stratum === 0);
  const answers = replies.filter((p) => p.stratum !== 0);
  assert.ok(kisses.length >= 1, 'at least one KoD');
  for (const k of kisses) {
    assert.equal(k.referenceId.toString('latin1'), 'RATE');
    assert.equal(k.leap, 3);
    assert.equal(k.transmitTimestamp, k.originTimestamp); // no usable time in a KoD
  }
  // The burst, plus what the 1/s rate refilled while the flood lasted.
  assert.ok(
    answers.length >= 8 && answers.length <= 8 + Math.ceil(elapsed) + 1,
    `${answers.length} answers in ${elapsed}s`,
  );
  assert.ok(kisses.length <= Math.ceil(elapsed) + 1, `${kisses.length} kisses in ${elapsed}s`);
  // Every request the limiter saw beyond those was dropped without a reply.
  assert.ok(total() >= 1000, `${total()} requests reached the limiter`);
  assert.equal(responder.stats.dropped.rate, total() - answers.length - kisses.length);
  assert.equal(got.length, answers.length + kisses.length);
  assert.equal(responder.limiter.size, 2); // the flooder and the marker
});

test('sntp/udp: the rate limiter table stays bounded across many client addresses', async (t) => {
  const { port, responder } = await sntpServer(t, { maxClients: 16 });
  for (let i = 2; i < 66; i++) {
    const { sock, got } = await client(t, `127.0.0.${i}`);
    await send(sock, clientRequest(BigInt(i)), port);
    await waitFor(sock, () => got.length > 0);
    assert.equal(got.length, 1, `client 127.0.0.${i} answered`);
    assert.ok(responder.limiter.size <= 16);
  }
  assert.equal(responder.limiter.size, 16);
  assert.equal(responder.limiter.evictions, 64 - 16);
});

test("sntp/udp: the server's deny list silences a client; allow lets only the listed ones in", async (t) => {
  const denied = await sntpServer(t, {}, { deny: ['127.0.0.0/8'] });
  const allowed = await sntpServer(t, {}, { allow: ['127.0.0.1'] });
  const a = await client(t, '127.0.0.1');
  const b = await client(t, '127.0.0.2');
  const refused = watchChannel<RefusedMessage>(t, 'socketkit:server:refused');
  const portOf = (m: RefusedMessage): number | undefined =>
    (m.server.address as { port?: number }).port;
  await send(a.sock, clientRequest(1n), denied.port);
  await send(a.sock, clientRequest(2n), allowed.port);
  await send(b.sock, clientRequest(3n), allowed.port);
  await waitFor(a.sock, () => a.got.length > 0);
  // Both refusals happened (so no late reply can come).
  await refused.waitFor(
    (all) =>
      all.some((m) => portOf(m) === denied.port) && all.some((m) => portOf(m) === allowed.port),
  );
  assert.deepEqual(
    a.got.map((g) => decodeNtpPacket(g).originTimestamp),
    [2n],
  );
  assert.equal(b.got.length, 0);
  assert.equal(denied.responder.stats.answered, 0);
});

test('sntp/unix-dgram: also served over Unix datagrams (rate-limited per socket path)', async (t) => {
  const why = needs('python3');
  if (why) return t.skip(`${why}: unix-dgram not tested`);
  const where = await serve(t, await instanceOf(t, sntpService), 'unix-dgram');
  const reply = await datagramExchange(where, clientRequest(77n));
  assert.ok(reply);
  const p = decodeNtpPacket(reply);
  assert.deepEqual([p.mode, p.stratum, p.originTimestamp], [4, 1, 77n]);
});

test('sntp client: a reply that does not echo our transmit timestamp is ignored (anti-spoofing)', async (t) => {
  // A rogue "server" that first sends a forged reply, then the real one.
  const { handler } = createSntpHandler();
  const s = await new UdpServer({
    host: '127.0.0.1',
    port: 0,
    handler: async (packet, ctx) => {
      const forged = decodeNtpPacket(
        encodeNtpPacket({ ...decodeNtpPacket(packet), mode: 4, stratum: 2 }),
      );
      forged.originTimestamp ^= 1n;
      forged.transmitTimestamp = 0n;
      await ctx.reply(encodeNtpPacket(forged));
      await handler(packet, ctx);
    },
  }).listen();
  t.after(() => s.destroy());
  void s.serveForever();
  const r = await querySntp('127.0.0.1', {
    port: (s.address as { port: number }).port,
    timeout: 5,
  });
  assert.equal(r.stratum, 1); // the genuine reply, not the forged stratum-2 one
  assert.equal(r.problem, undefined);
});
