/**
 * `connect`: connection setup rate. Each of N lanes opens a connection, sends S bytes,
 * waits for exactly those S bytes back (checked byte by byte), half-closes, waits for
 * the server's EOF, and opens the next one: a closed loop of whole connection lifetimes,
 * what a relay or a forking server pays per client (`socat …,fork` forks a process for
 * each). The latency is one lifetime, connect to EOF.
 *
 * The client closes first, so the TIME_WAIT states are the client's; on loopback Linux
 * reuses them for new connections (`net.ipv4.tcp_tw_reuse` = 2, the default).
 * @module
 */
import { randomFillSync } from 'node:crypto';
import type net from 'node:net';
import { shareOf } from '../bench-options.js';
import { recordMs } from '../latency-stats.js';
import { Claim, type LoadContext } from './load-control.js';
import { openConnection } from './open-connection.js';

/** Runs this worker's share of a connect load. */
export async function connectLoad(ctx: LoadContext): Promise<void> {
  const { options, control, counters, warmupCounters } = ctx;
  const size = options.size;
  const lanes = shareOf(options.connections, ctx.workers, ctx.worker);
  const request = randomFillSync(Buffer.allocUnsafe(size));

  /** One connection's life: resolves true when the echo came back whole and the server closed. */
  const once = async (recv: Buffer): Promise<boolean> => {
    let got = 0;
    let settle: (ok: boolean) => void = () => {};
    const done = new Promise<boolean>((resolve) => {
      settle = resolve;
    });
    let sock: net.Socket | null = null;
    sock = await openConnection(ctx, recv, (bytes) => {
      if (got + bytes > size || recv.compare(request, got, got + bytes, 0, bytes) !== 0) {
        counters.mismatches++;
        settle(false);
        return;
      }
      got += bytes;
      if (got === size) sock?.end();
    });
    if (sock === null) return false;
    const timer = setTimeout(() => {
      ctx.note(new Error(`no reply and EOF within ${options.timeout} s`));
      settle(false);
    }, options.timeout * 1000);
    sock.on('error', (err) => {
      ctx.note(err);
      settle(false);
    });
    sock.on('end', () => settle(got === size));
    sock.write(request);
    const ok = await done;
    clearTimeout(timer);
    sock.destroy();
    return ok;
  };

  const lane = async (): Promise<void> => {
    const recv = Buffer.allocUnsafe(Math.max(size, 16 * 1024));
    for (;;) {
      const claim = control.claim();
      if (claim === Claim.none) return;
      const k = claim === Claim.warmup ? warmupCounters : counters;
      const t0 = performance.now();
      k.sent++;
      k.bytesSent += size;
      if (!(await once(recv))) {
        counters.errors++;
        continue;
      }
      k.ops++;
      k.bytesReceived += size;
      if (claim === Claim.measured) {
        recordMs(ctx.latency, performance.now() - t0);
        control.done();
      }
    }
  };

  await control.ready(options.timeout * 1000 + 1000);
  await Promise.all(Array.from({ length: lanes }, lane));
  control.end();
}
