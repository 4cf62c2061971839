/**
 * `udp` and `sntp`: datagrams with a bounded window. Each socket keeps `window`
 * requests in flight, one per slot; a slot's buffer is reused only once its reply
 * came (or it was declared lost), so a send never races a later fill.
 *
 * A request carries its sequence number; slot `i` only ever uses sequence numbers
 * `≡ i (mod window)`, so a reply names its slot, and a late reply to a request
 * already declared lost is recognised and ignored. Loss is checked by one interval
 * timer per socket scanning the slots, not a timer per datagram.
 *
 * - udp: a request is S bytes (sequence number, then random bytes); the reply must
 *   be byte-identical (an echo server).
 * - sntp: a request is a 48-byte NTP mode-3 packet whose transmit timestamp carries
 *   the sequence number; the reply must be mode 4 and echo it as its origin timestamp
 *   (RFC 4330 §5). A Kiss-o'-Death (stratum 0) reply counts as an error; a KoD RATE
 *   is also counted as `rateLimited`, so the report can say the server's limiter did it.
 * @module
 */
import { randomFillSync } from 'node:crypto';
import dgram from 'node:dgram';
import { shareOf } from '../bench-options.js';
import { recordMs } from '../latency-stats.js';
import { Claim, type LoadContext } from './load-control.js';

/** How long an unanswered datagram waits before it counts as lost (at most). */
const MAX_LOSS_TIMEOUT_MS = 500;

/** The first byte of an SNTP client request: LI 0, version 4, mode 3 (client). */
const NTP_CLIENT_BYTE0 = (0 << 6) | (4 << 3) | 3;

/** A marker in the low half of the transmit timestamp, to recognise our own requests. */
const NTP_MARK = 0x736b6974; // "skit"

/** How requests are built and replies matched, per mode. */
interface DatagramProtocol {
  size: number;
  /** Writes sequence number `seq` into a slot's request buffer. */
  fill(buf: Buffer, seq: number): void;
  /**
   * Checks a reply against the request in `sent` (already known to be for `seq`).
   * @returns null when correct, or what is wrong.
   */
  check(reply: Buffer, sent: Buffer): string | null;
  /** The sequence number a reply answers, or -1 when it is not one of ours. */
  seqOf(reply: Buffer): number;
  /** True when the reply is the server's rate limiter speaking (sntp: a KoD RATE). */
  isRateLimit?(reply: Buffer): boolean;
}

const echoProtocol = (size: number): DatagramProtocol => ({
  size,
  fill: (buf, seq) => {
    buf.writeUInt32BE(seq, 0);
  },
  check: (reply, sent) =>
    reply.equals(sent) ? null : 'a datagram reply did not match its request',
  seqOf: (reply) => (reply.length >= 4 ? reply.readUInt32BE(0) : -1),
});

const sntpProtocol: DatagramProtocol = {
  size: 48,
  fill: (buf, seq) => {
    buf.fill(0);
    buf[0] = NTP_CLIENT_BYTE0;
    buf.writeUInt32BE(seq, 40);
    buf.writeUInt32BE(NTP_MARK, 44);
  },
  check: (reply) => {
    if (reply.length < 48) return `an SNTP reply of ${reply.length} bytes (expected >= 48)`;
    if (((reply[0] ?? 0) & 7) !== 4) return 'an SNTP reply that is not mode 4 (server)';
    if (reply[1] === 0) return `a Kiss-o'-Death reply (${reply.toString('latin1', 12, 16)})`;
    return null;
  },
  seqOf: (reply) =>
    reply.length >= 32 && reply.readUInt32BE(28) === NTP_MARK ? reply.readUInt32BE(24) : -1,
  isRateLimit: (reply) =>
    reply.length >= 16 && reply[1] === 0 && reply.toString('latin1', 12, 16) === 'RATE',
};

/**
 * One request of the mode, for the pre-flight check: an SNTP request (sequence number 0,
 * outside any load: the check's socket is its own) or `size` zero bytes for an echo.
 */
export function datagramProbe(mode: 'udp' | 'sntp', size: number): Buffer {
  const proto = mode === 'sntp' ? sntpProtocol : echoProtocol(size);
  const buf = Buffer.alloc(proto.size);
  proto.fill(buf, 0);
  return buf;
}

/** Runs this worker's share of a udp or sntp load. */
export async function datagramLoad(ctx: LoadContext): Promise<void> {
  const { options, control, counters, warmupCounters } = ctx;
  const proto = options.mode === 'sntp' ? sntpProtocol : echoProtocol(options.size);
  const window = options.window;
  const lossMs = Math.min(options.timeout * 1000, MAX_LOSS_TIMEOUT_MS);
  const n = shareOf(options.connections, ctx.workers, ctx.worker);
  const sockets: dgram.Socket[] = [];
  // One callback for every send (not a closure per datagram).
  const onSent = (err: Error | null): void => {
    if (err) ctx.note(err);
  };
  const runs: Promise<void>[] = [];

  for (let i = 0; i < n; i++) {
    const sock = dgram.createSocket({ type: ctx.family === 6 ? 'udp6' : 'udp4' });
    sockets.push(sock);
    const ok = await new Promise<boolean>((resolve) => {
      sock.once('error', (err) => {
        counters.errors++;
        ctx.note(err);
        resolve(false);
      });
      sock.connect(options.port, ctx.address, () => resolve(true));
    });
    if (ok) counters.connected++;
  }

  await control.ready(options.timeout * 1000);

  for (const sock of sockets) {
    if (counters.connected === 0) break;
    const bufs = Array.from({ length: window }, () =>
      randomFillSync(Buffer.allocUnsafe(proto.size)),
    );
    const seqs = new Float64Array(window).fill(-1);
    const sentAt = new Float64Array(window);
    // 1: the slot's request was sent during the warm-up (its reply or loss counts there).
    const warm = new Uint8Array(window);
    let inFlight = 0;
    let exhausted = false;
    let done: () => void = () => {};
    const finished = new Promise<void>((r) => {
      done = r;
    });

    const issue = (slot: number): void => {
      const claim = exhausted ? Claim.none : control.claim();
      if (claim === Claim.none) {
        exhausted = true;
        seqs[slot] = -1;
        if (inFlight === 0) done();
        return;
      }
      const k = claim === Claim.warmup ? warmupCounters : counters;
      warm[slot] = claim === Claim.warmup ? 1 : 0;
      const prev = seqs[slot] ?? -1;
      const seq = prev < 0 ? slot : (prev + window) % 0x1_0000_0000;
      const buf = bufs[slot] as Buffer;
      seqs[slot] = seq;
      proto.fill(buf, seq);
      sentAt[slot] = performance.now();
      inFlight++;
      k.sent++;
      k.bytesSent += proto.size;
      sock.send(buf, onSent);
    };

    sock.on('message', (reply) => {
      const seq = proto.seqOf(reply);
      if (seq < 0) return;
      const slot = seq % window;
      if (seqs[slot] !== seq) return; // late: already counted as lost
      inFlight--;
      const problem = proto.check(reply, bufs[slot] as Buffer);
      if (problem === null) {
        if (warm[slot] === 1) {
          warmupCounters.ops++;
          warmupCounters.bytesReceived += reply.length;
        } else {
          recordMs(ctx.latency, performance.now() - (sentAt[slot] ?? 0));
          counters.ops++;
          counters.bytesReceived += reply.length;
          control.done();
        }
      } else if (proto.isRateLimit?.(reply) === true) {
        // The server's limiter answering: an error for the run, but not a wrong reply.
        counters.errors++;
        counters.rateLimited++;
        ctx.note(new Error(problem));
      } else {
        counters.errors++;
        counters.mismatches++;
        ctx.note(new Error(problem));
      }
      issue(slot);
    });
    sock.on('error', (err) => {
      counters.errors++;
      ctx.note(err);
    });

    const scan = setInterval(
      () => {
        const now = performance.now();
        for (let slot = 0; slot < window; slot++) {
          if ((seqs[slot] ?? -1) >= 0 && now - (sentAt[slot] ?? 0) > lossMs) {
            (warm[slot] === 1 ? warmupCounters : counters).lost++;
            inFlight--;
            issue(slot);
          }
        }
      },
      Math.max(10, lossMs / 4),
    );
    runs.push(
      finished.finally(() => {
        clearInterval(scan);
      }),
    );
    for (let slot = 0; slot < window; slot++) issue(slot);
  }

  await Promise.all(runs);
  control.end();
  for (const sock of sockets) sock.close();
}
