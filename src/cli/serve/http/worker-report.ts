/**
 * `serve --processes N --http`: the HTTP side runs in the primary, the traffic in the
 * workers. Each worker counts its own servers' events (the same `ListenerCounter` as a
 * single process) and sends the totals to the primary once a second over the cluster IPC
 * channel; the primary adds up the latest report of every worker, per listener key
 * (`ServeMetrics.workerReport`), and keeps what a worker that exited had counted.
 *
 * ```
 * worker: channels ─► ListenerCounter ─► every 1 s: {socketkitServe: 'metrics', listeners, events}
 * primary: cluster 'message' ─► ServeMetrics.workerReport(worker.id, key, counts)
 *          cluster 'exit'    ─► ServeMetrics.workerGone(worker.id)
 * ```
 * Not aggregated: the process metrics (`process_*`, `nodejs_*`: the primary's own) and the
 * chat metrics (the primary's own chat members, its browser users; workers' chat users
 * show in the per-listener counts). docs/observability.md.
 *
 * Nothing here loads prom-client: a worker imports this module and listener-counter.ts only.
 * @module
 */
import cluster from 'node:cluster';
import { ignored } from '../../../internal/ignore-error.js';
import type { ServerObserver } from '../start-services.js';
import { ListenerCounter } from './listener-counter.js';
import { countsFrom, type ListenerCounts } from './listener-counts.js';
import type { ServeMetrics } from './serve-metrics.js';

/** How often a worker reports. */
export const REPORT_INTERVAL_MS = 1000;

/** Refusals and errors a worker forwards per report at most (the rest are only counted). */
const MAX_EVENTS_PER_REPORT = 20;

/** Exited workers remembered (their late reports ignored) at most. */
const MAX_GONE = 1024;

/** Listeners one report may name at most (a worker is ours, but the primary bounds it). */
const MAX_LISTENERS_PER_REPORT = 1024;

type EventKind = 'refused' | 'dropped' | 'error';

/** What a worker sends. */
interface MetricsReport {
  socketkitServe: 'metrics';
  listeners: Array<{ key: string; counts: ListenerCounts }>;
  events: Array<{ kind: EventKind; key: string; detail: string }>;
}

/** The worker side: what to hand `startServices`, and how to stop reporting. */
export interface WorkerReporter {
  observe: ServerObserver;
  stop(): void;
}

/** In a worker: counts the servers it is handed and reports to the primary once a second. */
export function reportToPrimary(): WorkerReporter {
  const keys = new Map<object, string>();
  let events: MetricsReport['events'] = [];
  const counter = new ListenerCounter((kind, server, detail) => {
    const key = keys.get(server);
    if (key !== undefined && events.length < MAX_EVENTS_PER_REPORT)
      events.push({ kind, key, detail: detail() });
  });
  counter.attach();
  const send = (): void => {
    if (process.send === undefined || !process.connected) return;
    const listeners: MetricsReport['listeners'] = [];
    for (const [server, key] of keys) {
      const counts = counter.snapshot(server);
      if (counts !== undefined) listeners.push({ key, counts });
    }
    const report: MetricsReport = { socketkitServe: 'metrics', listeners, events };
    events = [];
    // The primary may be gone (its 'disconnect' ends this worker): nothing to do then.
    process.send(report, undefined, undefined, (error) => {
      if (error !== null) ignored('serve:worker-report', error);
    });
  };
  const timer = setInterval(send, REPORT_INTERVAL_MS);
  timer.unref();
  return {
    observe: (server, label) => {
      if (label.key === undefined) return;
      keys.set(server, label.key);
      counter.track(server, label);
    },
    stop: () => {
      clearInterval(timer);
      counter.detach();
    },
  };
}

function isReport(
  m: unknown,
): m is { socketkitServe: 'metrics'; listeners: unknown; events: unknown } {
  return (
    typeof m === 'object' &&
    m !== null &&
    (m as { socketkitServe?: unknown }).socketkitServe === 'metrics'
  );
}

/**
 * In the primary: adds the workers' reports into `metrics`. Returns the function that
 * stops listening.
 */
export function receiveWorkerReports(metrics: ServeMetrics): () => void {
  // A report that arrives after its worker's exit must not bring it back.
  const gone = new Set<number>();
  const onMessage = (worker: { id: number }, message: unknown): void => {
    if (!isReport(message) || gone.has(worker.id)) return;
    if (Array.isArray(message.listeners)) {
      for (const entry of message.listeners.slice(0, MAX_LISTENERS_PER_REPORT)) {
        const e = entry as { key?: unknown; counts?: unknown } | null;
        if (typeof e?.key === 'string')
          metrics.workerReport(worker.id, e.key, countsFrom(e.counts));
      }
    }
    if (Array.isArray(message.events)) {
      for (const entry of message.events.slice(0, MAX_EVENTS_PER_REPORT)) {
        const e = entry as { kind?: unknown; key?: unknown; detail?: unknown } | null;
        if (
          (e?.kind === 'refused' || e?.kind === 'dropped' || e?.kind === 'error') &&
          typeof e.key === 'string' &&
          typeof e.detail === 'string'
        )
          metrics.workerEvent(e.kind, e.key, e.detail.slice(0, 500));
      }
    }
  };
  const onExit = (worker: { id: number }): void => {
    gone.add(worker.id);
    // Bounded (a worker crashing in a loop is replaced for ever): the oldest ids go first.
    if (gone.size > MAX_GONE) for (const id of gone) if (gone.size > MAX_GONE) gone.delete(id);
    metrics.workerGone(worker.id);
  };
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  return () => {
    cluster.off('message', onMessage);
    cluster.off('exit', onExit);
  };
}
