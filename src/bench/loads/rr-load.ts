/**
 * `rr`: request/response. Each connection sends S bytes, waits for exactly those S
 * bytes back (checked byte by byte, so an echo server that drops, reorders or
 * corrupts fails the run), records the round trip, and sends the next request.
 *
 * Closed loop, one request in flight per connection: throughput is connections ÷
 * latency, which is what a request/response protocol sees.
 * @module
 */

import { randomFillSync } from 'node:crypto';
import type net from 'node:net';
import { shareOf } from '../bench-options.js';
import { recordMs } from '../latency-stats.js';
import { Claim, type LoadContext } from './load-control.js';
import { openConnection, openMany } from './open-connection.js';

/** One connection's reusable state: no allocation per request. */
interface RrConn {
  sock: net.Socket | null;
  request: Buffer;
  recv: Buffer;
  got: number;
  sentAt: number;
  seq: number;
  busy: boolean;
  /** The request in flight was sent during the warm-up: counted there, not measured. */
  warm: boolean;
}

/** Runs this worker's share of an rr load. */
export async function rrLoad(ctx: LoadContext): Promise<void> {
  const { options, control, counters, warmupCounters } = ctx;
  const size = options.size;
  const n = shareOf(options.connections, ctx.workers, ctx.worker);
  let active = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => {
    finish = r;
  });

  const retire = (c: RrConn): void => {
    if (!c.busy) return;
    c.busy = false;
    active--;
    if (active === 0) finish();
  };
  const send = (c: RrConn): void => {
    const sock = c.sock;
    const claim = sock === null ? Claim.none : control.claim();
    if (sock === null || claim === Claim.none) {
      retire(c);
      return;
    }
    c.warm = claim === Claim.warmup;
    c.seq = (c.seq + 1) >>> 0;
    c.request.writeUInt32BE(c.seq, 0);
    c.got = 0;
    c.sentAt = performance.now();
    const k = c.warm ? warmupCounters : counters;
    k.sent++;
    k.bytesSent += size;
    sock.write(c.request);
  };
  const fail = (c: RrConn, message: string): void => {
    counters.errors++;
    ctx.note(new Error(message));
    c.sock?.destroy();
    c.sock = null;
    retire(c);
  };

  const conns = await openMany(n, options.burst, async () => {
    const c: RrConn = {
      sock: null,
      request: randomFillSync(Buffer.allocUnsafe(size)),
      recv: Buffer.allocUnsafe(Math.max(size, 16 * 1024)),
      got: 0,
      sentAt: 0,
      seq: 0,
      busy: false,
      warm: false,
    };
    c.sock = await openConnection(ctx, c.recv, (bytes) => {
      if (!c.busy) return;
      if (c.got + bytes > size) {
        counters.mismatches++;
        fail(c, `received ${c.got + bytes} bytes for a ${size}-byte request`);
        return;
      }
      if (c.recv.compare(c.request, c.got, c.got + bytes, 0, bytes) !== 0) {
        counters.mismatches++;
        fail(c, 'a reply did not match its request');
        return;
      }
      c.got += bytes;
      const k = c.warm ? warmupCounters : counters;
      k.bytesReceived += bytes;
      if (c.got === size) {
        k.ops++;
        if (!c.warm) {
          recordMs(ctx.latency, performance.now() - c.sentAt);
          control.done();
        }
        send(c);
      }
    });
    if (c.sock === null) return null;
    c.sock.on('error', (err) => {
      ctx.note(err);
      if (c.busy) fail(c, err.message);
    });
    c.sock.on('end', () => {
      if (c.busy) fail(c, 'the server closed the connection');
    });
    return c;
  });

  await control.ready(options.timeout * 1000 + options.connections * 10);
  const live = conns.filter((c): c is RrConn => c !== null);
  active = live.length;
  for (const c of live) c.busy = true;
  if (active === 0) finish();
  for (const c of live) send(c);

  // The bound: a server that stops answering must not hang the run.
  const guard = setTimeout(
    () => {
      for (const c of live)
        if (c.busy) {
          (c.warm ? warmupCounters : counters).lost++;
          fail(c, `no reply within ${options.timeout} s`);
        }
    },
    control.remainingMs + options.timeout * 1000,
  );
  await finished;
  clearTimeout(guard);
  control.end();
  for (const c of live) c.sock?.destroy();
}
