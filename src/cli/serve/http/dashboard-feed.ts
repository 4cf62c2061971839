/**
 * The dashboard's data: once a second, a sample of every listener's totals (rates are the
 * difference from the previous sample) and a bounded history of throughput and open
 * connections for the chart. What the page receives is plain JSON; it renders every
 * string with `textContent`.
 * @module
 */
import type { ServeMetrics } from './serve-metrics.js';

/** Seconds of history the chart shows (one point a second). */
export const HISTORY_SECONDS = 300;

/** One listener's row. */
export interface ListenerRow {
  service: string;
  transport: string;
  address: string;
  listening: boolean;
  processes?: number;
  open: number;
  accepted: number;
  requests: number;
  refused: number;
  dropped: number;
  errors: number;
  bytesIn: number;
  bytesOut: number;
  datagramsIn: number;
  datagramsOut: number;
  /** Per second, over the last sample. */
  rateIn: number;
  rateOut: number;
  requestRate: number;
}

/** One point of the chart. */
export interface HistoryPoint {
  t: number;
  bytesIn: number;
  bytesOut: number;
  requests: number;
  open: number;
}

/** What the page gets once a second. */
export interface DashboardSnapshot {
  time: number;
  uptime: number;
  pid: number;
  listeners: ListenerRow[];
  recent: ReadonlyArray<{ time: number; kind: string; where: string; detail: string }>;
  rooms: Array<{ room: string; members: number; messages: number }>;
  bus?: { up: boolean; lagSeconds: number };
  /** The latest chart point (the first message carries the whole history instead). */
  point?: HistoryPoint;
  history?: HistoryPoint[];
}

const sum = (o: Record<string, number>): number => {
  let n = 0;
  for (const v of Object.values(o)) n += v;
  return n;
};

/** Samples a {@link ServeMetrics} once a second. */
export class DashboardFeed {
  readonly #metrics: ServeMetrics;
  readonly #history: HistoryPoint[] = [];
  #previous = new Map<object, { bytesIn: number; bytesOut: number; requests: number }>();
  #previousTime = Date.now();
  #rows: ListenerRow[] = [];
  readonly #started = Date.now();

  constructor(metrics: ServeMetrics) {
    this.#metrics = metrics;
    this.sample();
  }

  /** Takes a sample (call once a second). */
  sample(): HistoryPoint {
    const now = Date.now();
    const seconds = Math.max(0.001, (now - this.#previousTime) / 1000);
    const next = new Map<object, { bytesIn: number; bytesOut: number; requests: number }>();
    const point: HistoryPoint = { t: now, bytesIn: 0, bytesOut: 0, requests: 0, open: 0 };
    // Open connections' bytes so far and the workers' latest reports join the totals.
    this.#metrics.refresh();
    this.#rows = this.#metrics.listeners.map((l) => {
      const before = this.#previous.get(l) ?? l;
      const row: ListenerRow = {
        service: l.service,
        transport: l.transport,
        address: l.address,
        listening: l.listening,
        ...(l.processes !== undefined ? { processes: l.processes } : {}),
        open: l.open,
        accepted: l.accepted,
        requests: l.requests,
        refused: sum(l.refused),
        dropped: sum(l.dropped),
        errors: l.errors,
        bytesIn: l.bytesIn,
        bytesOut: l.bytesOut,
        datagramsIn: l.datagramsIn,
        datagramsOut: l.datagramsOut,
        rateIn: (l.bytesIn - before.bytesIn) / seconds,
        rateOut: (l.bytesOut - before.bytesOut) / seconds,
        requestRate: (l.requests - before.requests) / seconds,
      };
      next.set(l, { bytesIn: l.bytesIn, bytesOut: l.bytesOut, requests: l.requests });
      point.bytesIn += row.rateIn;
      point.bytesOut += row.rateOut;
      point.requests += row.requestRate;
      point.open += l.open;
      return row;
    });
    this.#previous = next;
    this.#previousTime = now;
    this.#history.push(point);
    if (this.#history.length > HISTORY_SECONDS) this.#history.shift();
    return point;
  }

  /** The page's data; `withHistory` for a page that just connected. */
  snapshot(withHistory: boolean): DashboardSnapshot {
    const bus = this.#metrics.bus;
    const last = this.#history[this.#history.length - 1];
    return {
      time: Date.now(),
      uptime: Math.round((Date.now() - this.#started) / 1000),
      pid: process.pid,
      listeners: this.#rows,
      recent: this.#metrics.recent,
      rooms: this.#metrics.rooms(),
      ...(bus !== undefined ? { bus } : {}),
      ...(withHistory ? { history: this.#history } : last !== undefined ? { point: last } : {}),
    };
  }
}
