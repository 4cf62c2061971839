/**
 * What `serve --http` knows about the services it runs, fed only by the diagnostics
 * channels (`socketkit:server:*`, `socketkit:chat:*`): the data path is not touched, and
 * nothing is counted unless the HTTP side runs (the library publishes only to channels
 * with subscribers).
 *
 * The counting itself is `ListenerCounter`'s (a map lookup and a few additions per
 * event, plain totals per listener); with `--processes N` each worker counts its own and
 * sends the totals to the primary once a second (worker-report.ts), where they are added
 * up per listener key. `prom-client` reads the totals when /metrics is scraped (each
 * metric's `collect()`), so no label set is hashed per event. Every metric is listed in
 * docs/observability.md.
 * @module
 */
import diagnostics from 'node:diagnostics_channel';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { PeerAddress } from '../../../socket/address.js';
import { ChatRoomMetrics } from './chat-room-metrics.js';
import { durationHistogram } from './duration-histogram.js';
import {
  type CountedEvent,
  formatPeer,
  isDatagram,
  ListenerCounter,
  type MetricsLabel,
} from './listener-counter.js';
import { addCounts, emptyCounts, type ListenerCounts } from './listener-counts.js';

export { formatPeer, type MetricsLabel } from './listener-counter.js';

/** The running totals of one listener (one server, in every process that serves it). */
export interface ListenerTotals extends ListenerCounts {
  service: string;
  transport: string;
  /** `127.0.0.1:7007`, `/tmp/echo.sock`; '' until it listens. */
  address: string;
  listening: boolean;
  /** Set when worker processes serve it (their counts arrive once a second). */
  processes?: number;
}

/** One line of the dashboard's "recent refusals and errors". */
export interface RecentEvent {
  time: number;
  kind: 'refused' | 'dropped' | 'error' | 'bus';
  where: string;
  detail: string;
}

/** How many recent refusals/errors the dashboard keeps. */
const RECENT_EVENTS = 50;
/** At most this many recent events are recorded a second; the rest are only counted. */
const RECENT_PER_SECOND = 20;
/** Whether a listener takes connections or datagrams. */
function kindOf(l: ListenerTotals): 'stream' | 'datagram' {
  return isDatagram(l.transport) ? 'datagram' : 'stream';
}

/** One listener: its reported totals and where they come from. */
interface Listener {
  server: object;
  totals: ListenerTotals;
  /** The latest report of each live worker (by worker id). */
  workers: Map<number, ListenerCounts>;
  /** What workers that exited had counted (their connections closed: open is 0). */
  retired: ListenerCounts;
}

const COUNTER_FIELDS = [
  'accepted',
  'requests',
  'bytesIn',
  'bytesOut',
  'datagramsIn',
  'datagramsOut',
  'errors',
] as const;

/** Options of {@link ServeMetrics}. */
export interface ServeMetricsOptions {
  /** Chat rooms with their own `room` label (first come); later ones count as "other". */
  maxRoomLabels: number;
  /** Whether a chat service runs (the chat metrics are exported only then). */
  chat: boolean;
}

/** The metrics and dashboard state of one `serve` process (and its workers). */
export class ServeMetrics {
  readonly registry = new Registry();
  readonly #counter: ListenerCounter;
  readonly #byServer = new Map<object, Listener>();
  readonly #byKey = new Map<string, Listener>();
  /** Every listener's totals, in the order they were tracked. */
  readonly #listeners: ListenerTotals[] = [];
  readonly #chat: ChatRoomMetrics | null;
  readonly #recent: RecentEvent[] = [];
  #recentSecond = 0;
  #recentInSecond = 0;
  #subscriptions: Array<[string, (m: unknown) => void]> = [];

  constructor(options: ServeMetricsOptions) {
    const registers = [this.registry];
    const onEvent: CountedEvent = (kind, server, detail) => {
      const l = this.#byServer.get(server);
      if (l !== undefined) this.#note(kind, `${l.totals.service}/${l.totals.transport}`, detail);
    };
    this.#counter = new ListenerCounter(onEvent);
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    const listeners = this.#listeners;
    const perListener = (
      name: string,
      help: string,
      value: (l: ListenerTotals) => number,
      kind: 'counter' | 'gauge' = 'counter',
      only?: 'stream' | 'datagram',
    ): void => {
      const config = {
        name,
        help,
        labelNames: ['service', 'transport'] as const,
        registers,
        collect(this: Counter<'service' | 'transport'> | Gauge<'service' | 'transport'>) {
          this.reset();
          for (const l of listeners) {
            if (only !== undefined && only !== kindOf(l)) continue;
            const labels = { service: l.service, transport: l.transport };
            if (this instanceof Gauge) this.set(labels, value(l));
            else this.inc(labels, value(l));
          }
        },
      };
      if (kind === 'gauge') new Gauge(config);
      else new Counter(config);
    };
    const perReason = (
      name: string,
      help: string,
      labelName: 'reason' | 'phase',
      value: (l: ListenerTotals) => Record<string, number>,
      only?: 'stream' | 'datagram',
    ): void => {
      new Counter({
        name,
        help,
        labelNames: ['service', 'transport', labelName] as const,
        registers,
        collect() {
          this.reset();
          for (const l of listeners) {
            if (only !== undefined && only !== kindOf(l)) continue;
            for (const [key, n] of Object.entries(value(l)))
              this.inc({ service: l.service, transport: l.transport, [labelName]: key }, n);
          }
        },
      });
    };
    perListener(
      'socketkit_listener_up',
      'Whether the listener is bound and accepting (1) or not (0).',
      (l) => (l.listening ? 1 : 0),
      'gauge',
    );
    perListener(
      'socketkit_connections_open',
      'Stream connections open now.',
      (l) => l.open,
      'gauge',
      'stream',
    );
    perListener(
      'socketkit_connections_accepted_total',
      'Stream connections accepted and handed to the service.',
      (l) => l.accepted,
      'counter',
      'stream',
    );
    perReason(
      'socketkit_connections_refused_total',
      'Stream connections turned away, by reason (deny, maxConnections, maxConnectionsPerIp, acceptRate).',
      'reason',
      (l) => l.refused,
      'stream',
    );
    perListener(
      'socketkit_requests_total',
      'Requests handled: stream connections accepted plus datagrams dispatched.',
      (l) => l.requests,
    );
    perListener(
      'socketkit_received_bytes_total',
      'Bytes received: stream bytes (open connections included, read at scrape time) plus datagram bytes.',
      (l) => l.bytesIn,
    );
    perListener(
      'socketkit_sent_bytes_total',
      'Bytes sent: stream bytes (open connections included, read at scrape time) plus datagram bytes.',
      (l) => l.bytesOut,
    );
    perListener(
      'socketkit_datagrams_received_total',
      'Datagrams received and dispatched to the service.',
      (l) => l.datagramsIn,
      'counter',
      'datagram',
    );
    perListener(
      'socketkit_datagrams_sent_total',
      'Datagrams the service sent (ctx.send / ctx.reply).',
      (l) => l.datagramsOut,
      'counter',
      'datagram',
    );
    perReason(
      'socketkit_datagrams_dropped_total',
      'Datagrams dropped, by reason (deny, queueFull, privilegedPort, rateLimited, proxyHeader).',
      'reason',
      (l) => l.dropped,
      'datagram',
    );
    perReason(
      'socketkit_handler_errors_total',
      'Errors reported by servers, by phase (handler, tls-handshake, accept, reply, …).',
      'phase',
      (l) => l.errorsByPhase,
    );
    this.registry.registerMetric(
      durationHistogram(
        'socketkit_handler_duration_seconds',
        'How long requests were served: a stream connection from accept to close, a datagram from its handler’s start to its end.',
        listeners,
      ),
    );
    this.#chat = options.chat ? new ChatRoomMetrics(options.maxRoomLabels, registers) : null;
  }

  /** Counts the events of `server` from now on, under its service and transport. */
  track(server: object, label: MetricsLabel): void {
    if (this.#byServer.has(server)) return;
    const totals: ListenerTotals = {
      service: label.service,
      transport: label.transport,
      address: '',
      listening: false,
      ...emptyCounts(),
    };
    const l: Listener = { server, totals, workers: new Map(), retired: emptyCounts() };
    this.#byServer.set(server, l);
    if (label.key !== undefined) this.#byKey.set(label.key, l);
    this.#listeners.push(totals);
    this.#counter.track(server, label);
  }

  /**
   * A worker's totals for the listener of `key` (worker-report.ts): they replace its
   * previous report. Unknown keys are ignored.
   */
  workerReport(workerId: number, key: string, counts: ListenerCounts): void {
    this.#byKey.get(key)?.workers.set(workerId, counts);
  }

  /** A worker exited: its last counts stay in the totals, its open connections do not. */
  workerGone(workerId: number): void {
    for (const l of this.#byKey.values()) {
      const last = l.workers.get(workerId);
      if (last === undefined) continue;
      l.workers.delete(workerId);
      addCounts(l.retired, { ...last, open: 0 });
    }
  }

  /** A refusal or error a worker saw (shown with the primary's own). */
  workerEvent(kind: 'refused' | 'dropped' | 'error', key: string, detail: string): void {
    const l = this.#byKey.get(key);
    if (l !== undefined)
      this.#note(kind, `${l.totals.service}/${l.totals.transport}`, () => detail);
  }

  /**
   * Recomputes every listener's totals: this process's counts, the bytes of its open
   * connections so far, and the workers' latest reports. Counters never go back (a
   * connection dropped before it was served takes its open bytes along; a worker's report
   * may trail its exit): each is kept at least at its previous value.
   */
  refresh(): void {
    for (const l of this.#byServer.values()) {
      const sum = emptyCounts();
      const own = this.#counter.snapshot(l.server);
      if (own !== undefined) addCounts(sum, own);
      for (const counts of l.workers.values()) addCounts(sum, counts);
      addCounts(sum, l.retired);
      const t = l.totals;
      for (const f of COUNTER_FIELDS) t[f] = Math.max(t[f], sum[f]);
      t.open = Math.max(0, sum.open);
      t.refused = sum.refused;
      t.dropped = sum.dropped;
      t.errorsByPhase = sum.errorsByPhase;
      t.duration = sum.duration;
    }
  }

  /** Every tracked listener's totals as of the last {@link refresh} (read, do not change). */
  get listeners(): readonly ListenerTotals[] {
    return this.#listeners;
  }

  /** Recent refusals, drops and errors, oldest first. */
  get recent(): readonly RecentEvent[] {
    return this.#recent;
  }

  /** Chat rooms with members here (labelled ones, then "other"), most members first. */
  rooms(): Array<{ room: string; members: number; messages: number }> {
    return this.#chat?.list() ?? [];
  }

  /** The chat bus state, when a chat service runs. */
  get bus(): { up: boolean; lagSeconds: number } | undefined {
    const chat = this.#chat;
    return chat === null ? undefined : { up: chat.busUp, lagSeconds: chat.busLagSeconds };
  }

  /** Why the process is not ready (`/readyz`), or an empty list. */
  notReady(): string[] {
    const why: string[] = [];
    for (const l of this.#listeners)
      if (!l.listening) why.push(`${l.service}/${l.transport} is not listening`);
    if (this.#chat !== null && !this.#chat.busUp) why.push('the chat bus is down');
    return why;
  }

  /** The Prometheus text exposition (totals refreshed first). */
  metrics(): Promise<string> {
    this.refresh();
    return this.registry.metrics();
  }

  /** The Content-Type of {@link metrics}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Subscribes to the channels (idempotent). */
  attach(): void {
    if (this.#subscriptions.length > 0) return;
    this.#counter.attach();
    const on = (name: string, fn: (m: Record<string, unknown>) => void): void => {
      const handler = (message: unknown): void => {
        if (typeof message === 'object' && message !== null) fn(message as Record<string, unknown>);
      };
      diagnostics.subscribe(name, handler);
      this.#subscriptions.push([name, handler]);
    };
    const of = (m: Record<string, unknown>): ListenerTotals | undefined =>
      this.#byServer.get(m.server as object)?.totals;
    on('socketkit:server:listening', (m) => {
      const l = of(m);
      if (l === undefined) return;
      l.listening = true;
      l.address = formatPeer(m.address as PeerAddress);
      if (typeof m.processes === 'number') l.processes = m.processes;
    });
    on('socketkit:server:shutdown', (m) => {
      const l = of(m);
      if (l !== undefined && m.phase === 'begin') l.listening = false;
    });
    const chat = this.#chat;
    if (chat === null) return;
    on('socketkit:chat:room', (m) => {
      if (typeof m.room === 'string') chat.setMembers(m.room, Number(m.members) || 0);
    });
    on('socketkit:chat:message', (m) => {
      if (typeof m.room === 'string') chat.noteMessage(m.room, String(m.id));
    });
    on('socketkit:chat:slow-consumer', (m) => {
      if (typeof m.room === 'string' && m.room !== '') chat.noteSlowCut(m.room);
    });
    on('socketkit:chat:bus', (m) => {
      const up = m.status === 'up';
      if (up === chat.busUp) return;
      chat.busUp = up;
      this.#push({
        time: Date.now(),
        kind: 'bus',
        where: 'chat',
        detail: up ? 'bus back up' : `bus down${m.reason ? `: ${String(m.reason)}` : ''}`,
      });
    });
  }

  /** Unsubscribes from every channel. */
  detach(): void {
    this.#counter.detach();
    for (const [name, handler] of this.#subscriptions) diagnostics.unsubscribe(name, handler);
    this.#subscriptions = [];
  }

  #note(kind: RecentEvent['kind'], where: string, detail: () => string): void {
    // A flood of refusals is counted above; only the first few a second are kept.
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.#recentSecond) {
      this.#recentSecond = second;
      this.#recentInSecond = 0;
    }
    if (++this.#recentInSecond > RECENT_PER_SECOND) return;
    this.#push({ time: Date.now(), kind, where, detail: detail() });
  }

  #push(event: RecentEvent): void {
    this.#recent.push(event);
    if (this.#recent.length > RECENT_EVENTS) this.#recent.shift();
  }
}
