/**
 * The options of a load run (`socketkit bench`), their defaults per mode, and their
 * checks. Every load is bounded: by `duration` always, and by `count` when given.
 * @module
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from '../errors.js';
import { checkInteger, checkSecondsBetween } from '../internal/check-option.js';

/** The load shapes `socketkit bench` can generate. */
export const BENCH_MODES = ['rr', 'stream', 'udp', 'conns', 'connect', 'fanout', 'sntp'] as const;

/** One of {@link BENCH_MODES}. */
export type BenchMode = (typeof BENCH_MODES)[number];

/** A fully checked load description, as the workers receive it. */
export interface BenchOptions {
  mode: BenchMode;
  /** Target host as given (resolved separately by {@link resolveTarget}). */
  host: string;
  port: number;
  /**
   * TCP connections (rr, stream, conns, fanout clients), connections opened at once
   * (connect) or UDP sockets (udp, sntp).
   */
  connections: number;
  /** Request size (rr, udp, connect), write size (stream). Ignored by conns, fanout, sntp. */
  size: number;
  /** Seconds the load runs (the measuring phase; connecting and draining come on top). */
  duration: number;
  /**
   * Seconds of load before the measuring phase (0: none). The warm-up runs the same load
   * (same connections, same rate) and verifies every reply, but its operations are not
   * counted in throughput, latency or `counters` (see `warmupCounters`): a cold JIT in the
   * server and the generator only shows in the first moments, and would otherwise set the
   * tail percentiles. Not in conns mode, which has no steady load to warm up.
   */
  warmup: number;
  /**
   * Stop after this many measured operations in total (0: only the duration bounds the
   * run). Operations of the warm-up do not count.
   */
  count: number;
  /** Worker threads generating the load. */
  workers: number;
  /** Datagrams in flight per socket (udp, sntp); lines in flight per sender (fanout). */
  window: number;
  /** fanout: clients among `connections` that send. */
  senders: number;
  /** fanout: total lines/s over all senders (0: closed loop, as fast as `window` allows). */
  rate: number;
  /** conns: seconds every connection is held idle before it is pinged. */
  hold: number;
  /** conns: connects in flight at once (a burst when large). */
  burst: number;
  /** Seconds to wait for a connect, a reply, or the final drain. */
  timeout: number;
  /** Allow targets outside 127.0.0.0/8 and ::1. */
  allowRemote: boolean;
}

/** Defaults shared by every mode. */
const COMMON = {
  host: '127.0.0.1',
  duration: 10,
  warmup: 0,
  count: 0,
  workers: Math.max(1, availableParallelism()),
  hold: 1,
  burst: 512,
  timeout: 5,
  allowRemote: false,
  senders: 10,
  rate: 0,
} as const;

/** Per-mode defaults: what "a typical load" of that shape means. */
export const MODE_DEFAULTS: Record<
  BenchMode,
  Pick<BenchOptions, 'connections' | 'size' | 'window'>
> = {
  rr: { connections: 10, size: 64, window: 1 },
  stream: { connections: 4, size: 64 * 1024, window: 4 },
  udp: { connections: 2, size: 64, window: 64 },
  conns: { connections: 1000, size: 1, window: 1 },
  connect: { connections: 16, size: 64, window: 1 },
  fanout: { connections: 100, size: 0, window: 32 },
  sntp: { connections: 2, size: 48, window: 16 },
};

/** Upper bounds: a typo must not open a million sockets. */
const LIMITS = {
  connections: 100_000,
  size: 16 * 1024 * 1024,
  duration: 3600,
  workers: 256,
  window: 65_536,
} as const;

/**
 * Fills in the mode's defaults and checks every option.
 * @throws {InvalidArgumentError} naming the option and its allowed range.
 */
export function resolveBenchOptions(
  input: Partial<BenchOptions> & { mode: string; port: number },
): BenchOptions {
  if (!(BENCH_MODES as readonly string[]).includes(input.mode)) {
    throw new InvalidArgumentError(
      `unknown mode "${input.mode}" (expected one of ${BENCH_MODES.join(', ')})`,
    );
  }
  const mode = input.mode;
  const o: BenchOptions = {
    ...COMMON,
    ...MODE_DEFAULTS[mode],
    ...stripUndefined(input),
    mode,
    port: input.port,
  };
  checkInteger(o.port, '--port', 1, 65535);
  if (o.host.length === 0) throw new InvalidArgumentError('the target host cannot be empty');
  checkInteger(o.connections, '--connections', 1, LIMITS.connections);
  checkInteger(o.size, '--size', mode === 'fanout' ? 0 : 1, LIMITS.size);
  checkSecondsBetween(o.duration, '--duration', 0.05, LIMITS.duration);
  checkSecondsBetween(o.warmup, '--warmup', 0, LIMITS.duration);
  if (mode === 'conns' && o.warmup > 0) {
    // conns opens, holds and pings each connection once: there is no steady load to warm
    // up, and a silently ignored flag would make a reader believe the figures exclude one.
    throw new InvalidArgumentError(
      '--warmup does not apply to conns mode (every connection is opened and pinged once)',
    );
  }
  checkInteger(o.count, '--count', 0, Number.MAX_SAFE_INTEGER);
  checkInteger(o.workers, '--workers', 1, LIMITS.workers);
  checkInteger(o.window, '--window', 1, LIMITS.window);
  checkInteger(o.senders, '--senders', 1, LIMITS.connections);
  checkInteger(o.rate, '--rate', 0, 10_000_000);
  checkSecondsBetween(o.hold, '--hold', 0, LIMITS.duration);
  checkInteger(o.burst, '--burst', 1, LIMITS.connections);
  checkSecondsBetween(o.timeout, '--timeout', 0.01, 600);
  if (mode === 'udp' && o.size < 4)
    throw new InvalidArgumentError('--size must be >= 4 in udp mode');
  if (mode === 'udp' && o.size > 65_507) {
    throw new InvalidArgumentError('--size must be <= 65507 in udp mode (one IPv4 datagram)');
  }
  if (mode === 'rr' && o.size < 4) throw new InvalidArgumentError('--size must be >= 4 in rr mode');
  if (mode === 'fanout') {
    if (o.connections < 2) throw new InvalidArgumentError('fanout needs --connections >= 2');
    if (o.senders > o.connections) {
      throw new InvalidArgumentError(
        `--senders (${o.senders}) cannot exceed --connections (${o.connections})`,
      );
    }
  }
  // More workers than connections would leave workers idle: cap them.
  o.workers = Math.min(o.workers, o.connections);
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/**
 * Splits `total` items over `parts` as evenly as possible.
 * @returns part `index`'s share (the first `total % parts` parts get one more).
 */
export function shareOf(total: number, parts: number, index: number): number {
  const base = Math.floor(total / parts);
  return base + (index < total % parts ? 1 : 0);
}

/** The first global index of part `index` under {@link shareOf}. */
export function shareStart(total: number, parts: number, index: number): number {
  let start = 0;
  for (let i = 0; i < index; i++) start += shareOf(total, parts, i);
  return start;
}
