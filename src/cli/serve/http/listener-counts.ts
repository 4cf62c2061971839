/**
 * The counts one process keeps for one listener: plain numbers, so that a `--processes`
 * worker can send them to the primary as they are (structured-clone IPC) and the primary
 * can add them up. No prom-client here: a worker loads this, not the metrics registry.
 * @module
 */

/**
 * Upper bounds of the handler duration histogram, in seconds: from a datagram's handler
 * (tens of microseconds) to a long-lived connection (an hour).
 */
export const DURATION_BUCKETS: readonly number[] = [
  0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 3600,
];

/** A histogram's state: observations per bucket (not cumulative; the last is +Inf). */
export interface DurationCounts {
  buckets: number[];
  sum: number;
  count: number;
}

/** What one process counted for one listener. */
export interface ListenerCounts {
  open: number;
  accepted: number;
  requests: number;
  bytesIn: number;
  bytesOut: number;
  datagramsIn: number;
  datagramsOut: number;
  errors: number;
  refused: Record<string, number>;
  dropped: Record<string, number>;
  errorsByPhase: Record<string, number>;
  duration: DurationCounts;
}

/** Counts of nothing. */
export function emptyCounts(): ListenerCounts {
  return {
    open: 0,
    accepted: 0,
    requests: 0,
    bytesIn: 0,
    bytesOut: 0,
    datagramsIn: 0,
    datagramsOut: 0,
    errors: 0,
    refused: {},
    dropped: {},
    errorsByPhase: {},
    duration: { buckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), sum: 0, count: 0 },
  };
}

/** Counts one observation of `seconds` (a linear search: 15 buckets). */
export function observeDuration(d: DurationCounts, seconds: number): void {
  let i = 0;
  while (i < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[i] as number)) i++;
  d.buckets[i] = (d.buckets[i] ?? 0) + 1;
  d.sum += seconds;
  d.count += 1;
}

const NUMBER_FIELDS = [
  'open',
  'accepted',
  'requests',
  'bytesIn',
  'bytesOut',
  'datagramsIn',
  'datagramsOut',
  'errors',
] as const;
const REASON_FIELDS = ['refused', 'dropped', 'errorsByPhase'] as const;

/** Adds `from` into `into`. */
export function addCounts(into: ListenerCounts, from: ListenerCounts): void {
  for (const f of NUMBER_FIELDS) into[f] += from[f];
  for (const f of REASON_FIELDS) {
    for (const [k, n] of Object.entries(from[f])) into[f][k] = (into[f][k] ?? 0) + n;
  }
  const d = into.duration;
  from.duration.buckets.forEach((n, i) => {
    d.buckets[i] = (d.buckets[i] ?? 0) + n;
  });
  d.sum += from.duration.sum;
  d.count += from.duration.count;
}

/** A deep copy (what the primary keeps of a worker's report, what a worker sends). */
export function copyCounts(c: ListenerCounts): ListenerCounts {
  const copy = emptyCounts();
  addCounts(copy, c);
  return copy;
}

/** Reason keys a report may carry per field, at most (a worker is ours, but bounded anyway). */
const MAX_REASONS = 32;

const finite = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * Counts from an IPC message, field by field: anything that is not a finite number
 * counts 0, unknown fields are ignored, reason maps are bounded.
 */
export function countsFrom(value: unknown): ListenerCounts {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const c = emptyCounts();
  for (const f of NUMBER_FIELDS) c[f] = finite(v[f]);
  for (const f of REASON_FIELDS) {
    const m = v[f];
    if (typeof m !== 'object' || m === null) continue;
    for (const [k, n] of Object.entries(m).slice(0, MAX_REASONS)) c[f][k.slice(0, 64)] = finite(n);
  }
  const d = (typeof v.duration === 'object' && v.duration !== null ? v.duration : {}) as Record<
    string,
    unknown
  >;
  if (Array.isArray(d.buckets))
    for (let i = 0; i < c.duration.buckets.length; i++)
      c.duration.buckets[i] = finite(d.buckets[i]);
  c.duration.sum = finite(d.sum);
  c.duration.count = finite(d.count);
  return c;
}
