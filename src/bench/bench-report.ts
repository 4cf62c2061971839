/**
 * What one worker reports after its share of a load, and how the main thread adds
 * the workers' reports into the {@link BenchResult} that the table and `--json` show.
 * @module
 */
import type { BenchMode, BenchOptions } from './bench-options.js';
import type { LatencySummary } from './latency-stats.js';

/** One worker's counters. Every field is a plain number, so reports add up. */
export interface WorkerCounters {
  /** Completed, verified operations (replies, echoed blocks, delivered lines, pings). */
  ops: number;
  /** Payload bytes sent. */
  bytesSent: number;
  /** Payload bytes received and verified. */
  bytesReceived: number;
  /** Failures: refused/reset connections, wrong replies, write errors. */
  errors: number;
  /** Replies whose content did not match what was sent (a subset of `errors`). */
  mismatches: number;
  /** Datagrams (or pings) never answered within the timeout. */
  lost: number;
  /** fanout: lines a receiver never got. */
  missing: number;
  /** fanout: lines that arrived out of their sender's order (or twice). */
  reordered: number;
  /** Requests sent (udp, sntp: datagrams; fanout: lines). */
  sent: number;
  /** conns: connections established; others: connections opened. */
  connected: number;
  /**
   * Signs that the server rate-limited the load: sntp, Kiss-o'-Death RATE replies (also
   * counted in `errors`); fanout, the server's "too many lines" / "rate limit" notices.
   */
  rateLimited: number;
}

/** A worker's final message: counters, the latency histograms, and error samples. */
export interface WorkerReport {
  /** The measuring phase's operations, plus every failure of the whole run. */
  counters: WorkerCounters;
  /** The warm-up's operations, sends, bytes and losses (its failures are in `counters`). */
  warmupCounters: WorkerCounters;
  /** Compressed HDR histogram of the main latency (µs). */
  latency: string;
  /** conns: compressed histogram of connect times (µs). */
  connectLatency?: string;
  /** Up to a few distinct error messages, for the user. */
  errorSamples: string[];
  /** Seconds the measuring phase lasted in this worker (the warm-up excluded). */
  elapsed: number;
}

/** The merged outcome of a load run. */
export interface BenchResult {
  mode: BenchMode;
  target: { host: string; address: string; port: number };
  options: BenchOptions;
  /**
   * Seconds of warm-up before the measuring phase (`options.warmup`; 0: none). Its load
   * is verified like the rest, but only counted in {@link warmupCounters}.
   */
  warmup: number;
  /** Wall-clock seconds of the measuring phase (the slowest worker's), warm-up excluded. */
  elapsed: number;
  /**
   * The measuring phase: operations, sends, bytes and losses of the operations issued in
   * it (one sent during the warm-up and answered later is the warm-up's), and every
   * failure of the whole run (errors, mismatches, missing, reordered: the warm-up is
   * verified too, and a failure there fails the run).
   */
  counters: WorkerCounters;
  /** What the warm-up did (ops, sent, bytes, lost); all zero without one. */
  warmupCounters: WorkerCounters;
  /** Operations per second (see {@link opsUnit}). */
  opsPerSec: number;
  /** What an operation is in this mode, e.g. "replies" or "lines". */
  opsUnit: string;
  /** Payload MB/s received (10^6 bytes). */
  mbPerSec: number;
  latency: LatencySummary;
  connectLatency?: LatencySummary;
  /** CPU used by the generator (all its threads), in seconds and % of one core. */
  cpu: { user: number; system: number; percentOfCore: number };
  workers: number;
  errorSamples: string[];
  /**
   * True when every reply was verified and nothing was lost (in either phase), missing
   * or reordered.
   */
  verified: boolean;
}

/** All-zero counters. */
export function emptyCounters(): WorkerCounters {
  return {
    ops: 0,
    bytesSent: 0,
    bytesReceived: 0,
    errors: 0,
    mismatches: 0,
    lost: 0,
    missing: 0,
    reordered: 0,
    sent: 0,
    connected: 0,
    rateLimited: 0,
  };
}

/** Adds `b` into `a` field by field. */
export function addCounters(a: WorkerCounters, b: WorkerCounters): WorkerCounters {
  for (const key of Object.keys(a) as (keyof WorkerCounters)[]) a[key] += b[key];
  return a;
}

/** The unit of `ops` in each mode. */
export function opsUnit(mode: BenchMode): string {
  switch (mode) {
    case 'rr':
      return 'replies';
    case 'stream':
      return 'blocks';
    case 'udp':
    case 'sntp':
      return 'replies';
    case 'conns':
      return 'pings';
    case 'connect':
      return 'connections';
    case 'fanout':
      return 'lines delivered';
  }
}

/** At most `max` distinct samples, in first-seen order. */
export function mergeSamples(lists: readonly string[][], max = 5): string[] {
  const out: string[] = [];
  for (const list of lists) {
    for (const s of list) {
      if (out.length >= max) return out;
      if (!out.includes(s)) out.push(s);
    }
  }
  return out;
}

/** How a server is started so that its own rate limit does not fail a benchmark. */
const UNLIMITED: Partial<Record<BenchMode, string>> = {
  fanout: 'socketkit serve chat --rate-limit 0 --history 0',
  sntp: 'socketkit serve sntp --rate 1000000 --burst 1000000',
};

/**
 * Why a run failed, when the counters tell: today, that the server rate-limited the
 * load (its limiter doing its job, not a defect), with how to start it for a benchmark.
 * @returns lines for the user (none when there is nothing to explain).
 */
export function explainFailure(r: BenchResult): string[] {
  const c = r.counters;
  if (c.rateLimited === 0) return [];
  const start = UNLIMITED[r.mode];
  if (r.mode === 'fanout') {
    const receivers = Math.max(1, r.options.connections - 1);
    const dropped = Math.ceil(c.missing / receivers);
    return [
      `the server rate-limited the senders (${c.rateLimited} "too many lines" notices; ` +
        `about ${dropped} lines dropped, ${c.missing} deliveries missing): ` +
        `start it with --rate-limit 0 for a benchmark${start ? ` (${start})` : ''}`,
    ];
  }
  if (r.mode === 'sntp') {
    return [
      `the server rate-limited the requests (${c.rateLimited} Kiss-o'-Death RATE replies` +
        `${c.lost + r.warmupCounters.lost > 0 ? `; the ${c.lost + r.warmupCounters.lost} lost requests were most likely dropped by the same limiter` : ''}): ` +
        `start it with a high --rate for a benchmark${start ? ` (${start})` : ''}`,
    ];
  }
  return [`the server rate-limited the load (${c.rateLimited} signs)`];
}
