/**
 * `stream`: bulk echo. Each connection keeps up to `window` blocks of S bytes in
 * flight and checks every byte that comes back against what was sent.
 *
 * The payload repeats one random block, so every write is the same immutable Buffer
 * (no copy, no allocation) and a received chunk is checked with one `memcmp` against
 * a doubled copy of the block at the current stream offset. The latency recorded is
 * a block's round trip: from its write to the arrival of its last byte.
 * @module
 */
import { randomFillSync } from 'node:crypto';
import type net from 'node:net';
import { shareOf } from '../bench-options.js';
import { recordMs } from '../latency-stats.js';
import { Claim, type LoadContext } from './load-control.js';
import { openConnection, openMany } from './open-connection.js';

interface StreamConn {
  sock: net.Socket | null;
  recv: Buffer;
  sentBlocks: number;
  echoedBlocks: number;
  received: number;
  sentAt: Float64Array;
  blocked: boolean;
  /** No more blocks to send (deadline, --count or stop). */
  exhausted: boolean;
  busy: boolean;
  /** The first block sent in the measuring phase (blocks before it are the warm-up's). */
  firstMeasured: number;
}

/** Runs this worker's share of a stream load. */
export async function streamLoad(ctx: LoadContext): Promise<void> {
  const { options, control, counters, warmupCounters } = ctx;
  const size = options.size;
  const window = options.window;
  const block = randomFillSync(Buffer.allocUnsafe(size));
  const doubled = Buffer.concat([block, block]);
  const n = shareOf(options.connections, ctx.workers, ctx.worker);
  let active = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => {
    finish = r;
  });

  const retire = (c: StreamConn): void => {
    if (!c.busy) return;
    c.busy = false;
    active--;
    if (active === 0) finish();
  };
  const fail = (c: StreamConn, message: string): void => {
    counters.errors++;
    ctx.note(new Error(message));
    c.sock?.destroy();
    c.sock = null;
    retire(c);
  };
  const pump = (c: StreamConn): void => {
    const sock = c.sock;
    if (sock === null || !c.busy) return;
    while (!c.blocked && !c.exhausted && c.sentBlocks - c.echoedBlocks < window) {
      const claim = control.claim();
      if (claim === Claim.none) {
        c.exhausted = true;
        break;
      }
      if (claim === Claim.measured && c.firstMeasured > c.sentBlocks) {
        c.firstMeasured = c.sentBlocks;
      }
      const k = claim === Claim.warmup ? warmupCounters : counters;
      c.sentAt[c.sentBlocks % window] = performance.now();
      c.sentBlocks++;
      k.sent++;
      k.bytesSent += size;
      if (!sock.write(block)) c.blocked = true;
    }
    // Nothing more to send and everything echoed: this connection is done.
    if (c.sentBlocks === c.echoedBlocks && (c.exhausted || !control.running)) retire(c);
  };

  const conns = await openMany(n, options.burst, async () => {
    const c: StreamConn = {
      sock: null,
      recv: Buffer.allocUnsafe(size),
      sentBlocks: 0,
      echoedBlocks: 0,
      received: 0,
      sentAt: new Float64Array(window),
      blocked: false,
      exhausted: false,
      busy: false,
      firstMeasured: Number.POSITIVE_INFINITY,
    };
    c.sock = await openConnection(ctx, c.recv, (bytes) => {
      if (!c.busy) return;
      if (c.received + bytes > c.sentBlocks * size) {
        counters.mismatches++;
        fail(c, 'the server sent more bytes than it was sent');
        return;
      }
      const at = c.received % size;
      if (c.recv.compare(doubled, at, at + bytes, 0, bytes) !== 0) {
        counters.mismatches++;
        fail(c, `echoed bytes differ from the sent ones at stream offset ${c.received}`);
        return;
      }
      // Bytes before the first measured block's offset belong to the warm-up.
      const warmBytes = Math.min(bytes, Math.max(0, c.firstMeasured * size - c.received));
      c.received += bytes;
      warmupCounters.bytesReceived += warmBytes;
      counters.bytesReceived += bytes - warmBytes;
      while (c.received >= (c.echoedBlocks + 1) * size) {
        if (c.echoedBlocks < c.firstMeasured) {
          warmupCounters.ops++;
        } else {
          recordMs(ctx.latency, performance.now() - (c.sentAt[c.echoedBlocks % window] ?? 0));
          counters.ops++;
          control.done();
        }
        c.echoedBlocks++;
      }
      pump(c);
    });
    if (c.sock === null) return null;
    const sock = c.sock;
    sock.on('drain', () => {
      c.blocked = false;
      pump(c);
    });
    sock.on('error', (err) => {
      if (c.busy) fail(c, err.message);
    });
    sock.on('end', () => {
      if (c.busy) fail(c, 'the server closed the connection');
    });
    return c;
  });

  await control.ready(options.timeout * 1000 + options.connections * 10);
  const live = conns.filter((c): c is StreamConn => c !== null);
  active = live.length;
  for (const c of live) c.busy = true;
  if (active === 0) finish();
  for (const c of live) pump(c);

  // After the deadline nothing triggers a pump on an idle connection: check once.
  const atDeadline = setTimeout(() => {
    control.end();
    for (const c of live) pump(c);
  }, control.remainingMs + 1);
  const guard = setTimeout(
    () => {
      for (const c of live)
        if (c.busy) {
          const warm = Math.max(0, Math.min(c.sentBlocks, c.firstMeasured) - c.echoedBlocks);
          warmupCounters.lost += warm;
          counters.lost += c.sentBlocks - c.echoedBlocks - warm;
          fail(c, `echo incomplete ${options.timeout} s after the end`);
        }
    },
    control.remainingMs + options.timeout * 1000,
  );
  await finished;
  clearTimeout(atDeadline);
  clearTimeout(guard);
  control.end();
  for (const c of live) c.sock?.destroy();
}
