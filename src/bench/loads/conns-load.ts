/**
 * `conns`: open N connections (at most `burst` connecting at once; a large burst
 * tests the server's accept queue), hold them idle for `hold` seconds, then ping each
 * with one byte and wait for it back (an echo server answers; the round trip is the
 * latency). Connect times go to the connect histogram.
 *
 * While the connections are held the main thread prints "holding N connections" (the
 * benchmark suite reads the server's memory then).
 * @module
 */
import type net from 'node:net';
import { shareOf } from '../bench-options.js';
import { recordMs } from '../latency-stats.js';
import { type LoadContext, waitFor } from './load-control.js';
import { openConnection, openMany } from './open-connection.js';

/** The ping byte. */
const PING = Buffer.from('p');

/** Runs this worker's share of a conns load. */
export async function connsLoad(ctx: LoadContext): Promise<void> {
  const { options, control, counters } = ctx;
  const n = shareOf(options.connections, ctx.workers, ctx.worker);
  const parallel = Math.max(1, Math.ceil(options.burst / ctx.workers));
  // Idle connections share one read buffer: only pings are read, one byte each.
  const recv = Buffer.allocUnsafe(64);
  const pending = new Map<net.Socket, (ok: boolean) => void>();

  await control.ready(options.timeout * 1000);
  let skipped = 0;
  const socks = await openMany(n, parallel, async () => {
    if (!control.running) {
      skipped++;
      return null;
    }
    let sock: net.Socket | null = null;
    sock = await openConnection(ctx, recv, (bytes) => {
      const settle = sock === null ? undefined : pending.get(sock);
      if (settle === undefined) return;
      settle(bytes === 1 && recv[0] === PING[0]);
    });
    sock?.on('error', (err) => {
      ctx.note(err);
      if (sock !== null) pending.get(sock)?.(false);
    });
    return sock;
  });
  const live = socks.filter((s): s is net.Socket => s !== null);
  if (skipped > 0) {
    // Not opening them all is a failed run, not a smaller one: the figures would describe
    // fewer connections than asked for.
    counters.errors += skipped;
    ctx.note(
      new Error(
        `${skipped} of ${n} connections were never opened: the run ended first (raise --duration)`,
      ),
    );
  }

  control.holding();
  await waitFor(() => control.stopRequested, options.hold * 1000, 20);

  // Ping every held connection, `parallel` at a time.
  const pingTimeout = options.timeout * 1000;
  await openMany(live.length, parallel, async (i) => {
    const sock = live[i] as net.Socket;
    if (sock.destroyed) {
      counters.errors++;
      ctx.note(new Error('a held connection was closed by the server'));
      return null;
    }
    const t0 = performance.now();
    const ok = await new Promise<boolean | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), pingTimeout);
      pending.set(sock, (good) => {
        clearTimeout(timer);
        resolve(good);
      });
      counters.sent++;
      counters.bytesSent += 1;
      sock.write(PING);
    });
    pending.delete(sock);
    if (ok === true) {
      recordMs(ctx.latency, performance.now() - t0);
      counters.ops++;
      counters.bytesReceived += 1;
      control.done();
    } else if (ok === null) {
      counters.lost++;
      counters.errors++;
      ctx.note(new Error(`no ping reply within ${options.timeout} s`));
    } else {
      counters.errors++;
      counters.mismatches++;
      ctx.note(new Error('a ping reply was not the byte sent'));
    }
    return null;
  });
  control.end();
  for (const sock of live) sock.destroy();
}
