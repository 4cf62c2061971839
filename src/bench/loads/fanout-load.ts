/**
 * `fanout`: C clients join a line-based chat server (socketkit chat, ncat --chat, the
 * tutorials' chat room); the first K send numbered lines and every client checks that
 * it gets every other sender's lines, complete and in order.
 *
 * A line carries the run id, its sender, its number and its send time in µs since the
 * epoch (the same clock in every worker thread), anywhere in the line, so servers that
 * prefix `<nick> ` or `<user1> ` work unchanged:
 *
 * ```
 * sk<run> <sender> <seq> <send-time-µs>\n
 * ```
 *
 * Senders run closed loop (at most `window` lines not yet delivered to every receiver,
 * counted across threads in shared memory) or, with `rate`, at a fixed total rate.
 * Parsing and sending use per-client buffers: no allocation per line.
 *
 * Shared Int32 layout: `[0, K)` lines sent per sender, `[K, 2K)` lines delivered per
 * sender (summed over receivers), `2K` clients that received a join probe, `[2K + 1,
 * 3K + 1)` each sender's first line of the measuring phase (lines numbered below it are
 * the warm-up's; `NOT_YET` until the sender sent one). The order and completeness checks
 * do not care about phases: they run over the whole run.
 * @module
 */
import type net from 'node:net';
import { shareOf, shareStart } from '../bench-options.js';
import { Claim, type LoadContext } from './load-control.js';
import { openConnection, openMany } from './open-connection.js';

/** Longest line kept across reads; longer partial lines are dropped. */
const MAX_LINE = 4096;
/** Lines written in one batch at most. */
const BATCH = 64;
/** Bytes a line takes at most: "sk" + run(8) + 3 numbers + spaces + newline. */
const LINE_MAX_BYTES = 2 + 8 + 1 + 10 + 1 + 10 + 1 + 17 + 1;

/**
 * A server notice that it dropped a sender's lines for its rate: socketkit chat's
 * "too many lines (limit N/s): dropped", and the usual words of other servers.
 */
const RATE_NOTICE = /too many lines|rate.?limit|flood/i;

/** A sender's first measured line number before it sent one: every line is the warm-up's. */
const NOT_YET = 0x7fff_ffff;

/**
 * The shared buffer a fanout load needs for `senders`. With a warm-up, every sender's
 * first measured line starts at {@link NOT_YET}; without, at 0 (every line measured).
 */
export function createFanoutShared(senders: number, warmup = false): SharedArrayBuffer {
  const sab = new SharedArrayBuffer((senders * 3 + 1) * 4);
  if (warmup) new Int32Array(sab).fill(NOT_YET, senders * 2 + 1);
  return sab;
}

interface Client {
  id: number;
  sock: net.Socket | null;
  recv: Buffer;
  carry: Buffer;
  carryLen: number;
  /** Next line number expected from each sender. */
  expected: Int32Array;
  /** Sender state (null for a pure receiver). */
  out: Buffer | null;
  seq: number;
  /** Sender: its first line of the measuring phase, -1 until it sent one. */
  firstMeasured: number;
  writing: boolean;
  /** Got a join probe: the server has registered this client. */
  probed: boolean;
  /** The write callback of this sender's batches (one function, made once). */
  onWritten: () => void;
}

/** Writes `n` (a non-negative integer) in decimal at `at`; returns the end offset. */
export function writeDecimal(buf: Buffer, at: number, n: number): number {
  let digits = 1;
  for (let v = n; v >= 10; v = Math.floor(v / 10)) digits++;
  let v = n;
  for (let i = at + digits - 1; i >= at; i--) {
    buf[i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
  return at + digits;
}

/** What {@link parseFanoutLine} found. */
export const LineKind = { other: 0, data: 1, probe: 2 } as const;

/**
 * Finds `marker` (e.g. "skab12cd ") in buf[start, end) and parses the three numbers
 * after it into `out`.
 * @returns {@link LineKind}: `data` (numbers in `out`), `probe` (the marker then "p"),
 * or `other` (not one of this run's lines).
 */
export function parseFanoutLine(
  buf: Buffer,
  start: number,
  end: number,
  marker: Buffer,
  out: Float64Array,
): number {
  const at = buf.indexOf(marker, start);
  if (at < 0 || at + marker.length > end) return LineKind.other;
  let i = at + marker.length;
  if (buf[i] === 112) return LineKind.probe;
  for (let f = 0; f < 3; f++) {
    let v = 0;
    let digits = 0;
    while (i < end) {
      const b = buf[i] ?? 0;
      if (b < 48 || b > 57) break;
      v = v * 10 + (b - 48);
      digits++;
      i++;
    }
    if (digits === 0) return LineKind.other;
    out[f] = v;
    if (f < 2) {
      if (buf[i] !== 32) return LineKind.other;
      i++;
    }
  }
  return LineKind.data;
}

/** Runs this worker's share of a fanout load. */
export async function fanoutLoad(ctx: LoadContext, runId: string): Promise<void> {
  const { options, control, counters, warmupCounters } = ctx;
  const K = options.senders;
  const shared = new Int32Array(ctx.fanoutShared ?? createFanoutShared(K, options.warmup > 0));
  const FIRST = 2 * K + 1;
  const receivers = options.connections - 1;
  const marker = Buffer.from(`sk${runId} `, 'latin1');
  const fields = new Float64Array(3);
  const probe = Buffer.from(`sk${runId} p\n`, 'latin1');
  const n = shareOf(options.connections, ctx.workers, ctx.worker);
  const first = shareStart(options.connections, ctx.workers, ctx.worker);
  let finishing = false;
  // Set once every client has joined; until then nothing is sent but probes.
  let senders: Client[] = [];
  const closedLoop = options.rate === 0;
  const perSenderRate = options.rate / K;
  let exhausted = false;
  let startedAt = 0;
  const nowUs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

  const onLine = (c: Client, buf: Buffer, start: number, end: number): void => {
    const kind = parseFanoutLine(buf, start, end, marker, fields);
    if (kind === LineKind.probe) {
      if (!c.probed) {
        c.probed = true;
        Atomics.add(shared, 2 * K, 1);
      }
      return;
    }
    if (kind !== LineKind.data) {
      // Not one of ours: a server notice. Count the ones saying it rate-limited a sender.
      if (RATE_NOTICE.test(buf.toString('latin1', start, Math.min(end, start + 200)))) {
        counters.rateLimited++;
      }
      return;
    }
    const sender = fields[0] ?? -1;
    const seq = fields[1] ?? 0;
    if (sender === c.id || sender >= K) return;
    const expected = c.expected[sender] ?? 0;
    if (seq === expected) c.expected[sender] = expected + 1;
    else if (seq > expected) {
      counters.missing += seq - expected;
      c.expected[sender] = seq + 1;
    } else {
      counters.reordered++;
      return;
    }
    Atomics.add(shared, K + sender, 1);
    // The sender publishes its first measured line number before writing that line.
    if (seq < Atomics.load(shared, FIRST + sender)) {
      warmupCounters.ops++;
      warmupCounters.bytesReceived += end - start + 1;
      return;
    }
    const latencyUs = nowUs() - (fields[2] ?? 0);
    ctx.latency.recordValue(Math.max(latencyUs, 1));
    counters.ops++;
    counters.bytesReceived += end - start + 1;
    control.done();
  };

  const onBytes = (c: Client, bytes: number): void => {
    const recv = c.recv;
    let pos = 0;
    if (c.carryLen > 0) {
      const nl = recv.indexOf(10, 0);
      if (nl < 0 || nl >= bytes) {
        appendCarry(c, recv, 0, bytes);
        return;
      }
      appendCarry(c, recv, 0, nl);
      onLine(c, c.carry, 0, c.carryLen);
      c.carryLen = 0;
      pos = nl + 1;
    }
    while (pos < bytes) {
      const nl = recv.indexOf(10, pos);
      if (nl < 0 || nl >= bytes) {
        appendCarry(c, recv, pos, bytes);
        break;
      }
      onLine(c, recv, pos, nl);
      pos = nl + 1;
    }
    if (closedLoop) pumpAll();
  };

  const clients = await openMany(n, options.burst, async (i) => {
    const id = first + i;
    const c: Client = {
      id,
      sock: null,
      recv: Buffer.allocUnsafe(64 * 1024),
      carry: Buffer.allocUnsafe(MAX_LINE),
      carryLen: 0,
      expected: new Int32Array(K),
      out: id < K ? Buffer.allocUnsafe(BATCH * LINE_MAX_BYTES) : null,
      seq: 0,
      firstMeasured: -1,
      writing: false,
      probed: false,
      onWritten: () => {
        c.writing = false;
        if (closedLoop) pump(c);
      },
    };
    c.sock = await openConnection(ctx, c.recv, (bytes) => onBytes(c, bytes));
    if (c.sock === null) return null;
    c.sock.on('error', (err) => ctx.note(err));
    c.sock.on('close', () => {
      if (finishing) return;
      counters.errors++;
      ctx.note(new Error('the server closed a client connection during the run'));
    });
    return c;
  });
  const live = clients.filter((c): c is Client => c !== null);

  // Joins are asynchronous in most chat servers: client 0 sends probe lines until every
  // other client got one, so no data line goes to a client the server does not know yet.
  const probeUntil = performance.now() + options.timeout * 1000;
  const prober = live.find((c) => c.id === 0);
  while (Atomics.load(shared, 2 * K) < receivers && performance.now() < probeUntil) {
    prober?.sock?.write(probe);
    await new Promise((r) => setTimeout(r, 50));
  }
  const joined = Atomics.load(shared, 2 * K);
  if (prober !== undefined && joined < receivers) {
    ctx.note(
      new Error(
        `only ${joined} of ${receivers} clients received a line from another client within ` +
          `${options.timeout} s: is this a chat (broadcast) server?`,
      ),
    );
  }
  await control.ready(options.timeout * 1000 + options.connections * 10);
  startedAt = performance.now();
  senders = live.filter((c) => c.out !== null);

  function pump(c: Client): void {
    const sock = c.sock;
    const out = c.out;
    if (sock === null || out === null || c.writing || sock.destroyed) return;
    let allowed: number;
    if (closedLoop) {
      const undelivered = c.seq * receivers - Atomics.load(shared, K + c.id);
      allowed = Math.floor((options.window * receivers - undelivered) / receivers);
    } else {
      allowed = Math.floor(((performance.now() - startedAt) / 1000) * perSenderRate) - c.seq;
    }
    if (allowed <= 0) return;
    let len = 0;
    const t = nowUs();
    for (let k = 0; k < allowed && k < BATCH; k++) {
      const claim = control.claim();
      if (claim === Claim.none) {
        exhausted = true;
        break;
      }
      if (claim === Claim.measured && c.firstMeasured < 0) {
        c.firstMeasured = c.seq;
        Atomics.store(shared, FIRST + c.id, c.seq);
      }
      const phase = claim === Claim.warmup ? warmupCounters : counters;
      const lineStart = len;
      len += marker.copy(out, len);
      len = writeDecimal(out, len, c.id);
      out[len++] = 32;
      len = writeDecimal(out, len, c.seq);
      out[len++] = 32;
      len = writeDecimal(out, len, t);
      out[len++] = 10;
      c.seq++;
      phase.sent++;
      phase.bytesSent += len - lineStart;
    }
    if (len === 0) return;
    Atomics.store(shared, c.id, c.seq);
    c.writing = true;
    // The batch buffer is reused: the next batch waits for this write's callback.
    sock.write(out.subarray(0, len), c.onWritten);
  }
  function pumpAll(): void {
    for (const c of senders) pump(c);
  }

  const ticker = setInterval(pumpAll, 1);
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (!control.running || exhausted) {
        clearInterval(check);
        resolve();
      }
    }, 5);
    pumpAll();
  });
  clearInterval(ticker);
  control.end();
  // Senders in other threads stop at the same deadline; give their last batch a moment
  // to be counted before measuring what is still missing.
  await new Promise((r) => setTimeout(r, 50));
  const outstanding = (): number => {
    let missing = 0;
    for (const c of live) {
      for (let s = 0; s < K; s++) {
        if (s === c.id) continue;
        missing += Math.max(0, Atomics.load(shared, s) - (c.expected[s] ?? 0));
      }
    }
    return missing;
  };
  const drainUntil = performance.now() + options.timeout * 1000;
  while (outstanding() > 0 && performance.now() < drainUntil) {
    await new Promise((r) => setTimeout(r, 10));
  }
  counters.missing += outstanding();
  finishing = true;
  for (const c of live) c.sock?.destroy();
}

function appendCarry(c: Client, src: Buffer, start: number, end: number): void {
  const room = MAX_LINE - c.carryLen;
  if (end - start > room) {
    // A line longer than any of ours: not a fanout line; drop it.
    c.carryLen = 0;
    return;
  }
  src.copy(c.carry, c.carryLen, start, end);
  c.carryLen += end - start;
}
