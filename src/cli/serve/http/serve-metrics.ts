/**
 * What `serve --http` knows about the services it runs, fed only by the diagnostics
 * channels (`socketkit:server:*`, `socketkit:chat:*`): the data path is not touched, and
 * nothing is counted unless the HTTP side runs (the library publishes only to channels
 * with subscribers).
 *
 * A channel event costs a map lookup and a few integer additions on a plain object per
 * listener; `prom-client` reads those totals when /metrics is scraped (each metric's
 * `collect()`), so no label set is hashed per event. The one exception is the handler
 * duration histogram, observed once per closed connection. Every metric is listed in
 * docs/observability.md.
 * @module
 */
import diagnostics from 'node:diagnostics_channel';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PeerAddress } from '../../../socket/address.js';
import { ChatRoomMetrics } from './chat-room-metrics.js';

/** What a tracked server is to the metrics: its service and transport. */
export interface MetricsLabel {
  service: string;
  transport: string;
}

/** The running totals of one listener (one server). */
export interface ListenerTotals {
  service: string;
  transport: string;
  /** `127.0.0.1:7007`, `/tmp/echo.sock`; '' until it listens. */
  address: string;
  listening: boolean;
  /** Set when worker processes serve it (their traffic is counted in the workers). */
  processes?: number;
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
}

/** One line of the dashboard's "recent refusals and errors". */
export interface RecentEvent {
  time: number;
  kind: 'refused' | 'dropped' | 'error' | 'bus';
  where: string;
  detail: string;
}

/** Refusals a stream listener reports (the other reasons are datagram drops). */
const DATAGRAM_DROP_REASONS = new Set(['queueFull', 'privilegedPort', 'rateLimited']);
/** How many recent refusals/errors the dashboard keeps. */
const RECENT_EVENTS = 50;
/** At most this many recent events are recorded a second; the rest are only counted. */
const RECENT_PER_SECOND = 20;
/** Whether a listener takes connections or datagrams. */
function kindOf(l: ListenerTotals): 'stream' | 'datagram' {
  return l.transport === 'udp' || l.transport === 'unix-dgram' ? 'datagram' : 'stream';
}

/** Formats a peer for the dashboard (text, never HTML: the page uses textContent). */
export function formatPeer(p: PeerAddress | undefined): string {
  if (p === undefined) return '';
  if (p.family === 'unix') return p.path === '' ? 'unix' : p.path;
  return p.family === 'IPv6' ? `[${p.address}]:${p.port}` : `${p.address}:${p.port}`;
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.message} [${code}]` : error.message;
  }
  return String(error);
}

/** Options of {@link ServeMetrics}. */
export interface ServeMetricsOptions {
  /** Chat rooms with their own `room` label (first come); later ones count as "other". */
  maxRoomLabels: number;
  /** Whether a chat service runs (the chat metrics are exported only then). */
  chat: boolean;
}

/** The metrics and dashboard state of one `serve` process. */
export class ServeMetrics {
  readonly registry = new Registry();
  readonly #servers = new Map<object, ListenerTotals>();
  /** Every listener, in the order they were tracked. */
  readonly #listeners: ListenerTotals[] = [];
  readonly #chat: ChatRoomMetrics | null;
  readonly #recent: RecentEvent[] = [];
  #recentSecond = 0;
  #recentInSecond = 0;
  #subscriptions: Array<[string, (m: unknown) => void]> = [];
  readonly #duration: Histogram<'service' | 'transport'>;
  /** A histogram child per listener (labels hashed once, not per observation). */
  readonly #durationChild = new Map<ListenerTotals, { observe(v: number): void }>();

  constructor(options: ServeMetricsOptions) {
    const registers = [this.registry];
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
      'Requests handled: stream connections plus datagrams dispatched to the service.',
      (l) => l.requests,
    );
    perListener(
      'socketkit_received_bytes_total',
      'Bytes received: stream bytes (counted when the connection closes) plus datagram bytes.',
      (l) => l.bytesIn,
    );
    perListener(
      'socketkit_sent_bytes_total',
      'Bytes sent: stream bytes (counted when the connection closes) plus datagram bytes.',
      (l) => l.bytesOut,
    );
    perListener(
      'socketkit_datagrams_received_total',
      'Datagrams received and dispatched.',
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
      'Datagrams dropped, by reason (deny, queueFull, privilegedPort, rateLimited).',
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
    this.#duration = new Histogram({
      name: 'socketkit_handler_duration_seconds',
      help: 'How long stream connections were served, from accept to close.',
      labelNames: ['service', 'transport'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 3600],
      registers,
    });
    this.#chat = options.chat ? new ChatRoomMetrics(options.maxRoomLabels, registers) : null;
  }

  /** Counts the events of `server` from now on, under its service and transport. */
  track(server: object, label: MetricsLabel): void {
    if (this.#servers.has(server)) return;
    const totals: ListenerTotals = {
      service: label.service,
      transport: label.transport,
      address: '',
      listening: false,
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
    };
    this.#servers.set(server, totals);
    this.#listeners.push(totals);
  }

  /** Every tracked listener's totals (live objects: read, do not change). */
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

  /** The Prometheus text exposition. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** The Content-Type of {@link metrics}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Subscribes to the channels (idempotent). */
  attach(): void {
    if (this.#subscriptions.length > 0) return;
    const on = (name: string, fn: (m: Record<string, unknown>) => void): void => {
      const handler = (message: unknown): void => {
        if (typeof message === 'object' && message !== null) fn(message as Record<string, unknown>);
      };
      diagnostics.subscribe(name, handler);
      this.#subscriptions.push([name, handler]);
    };
    const of = (m: Record<string, unknown>): ListenerTotals | undefined =>
      this.#servers.get(m.server as object);
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
    on('socketkit:server:connection', (m) => {
      const l = of(m);
      if (l === undefined) return;
      l.open += 1;
      l.accepted += 1;
      l.requests += 1;
    });
    on('socketkit:server:close', (m) => {
      const l = of(m);
      if (l === undefined) return;
      l.open -= 1;
      l.bytesIn += Number(m.bytesRead) || 0;
      l.bytesOut += Number(m.bytesWritten) || 0;
      let child = this.#durationChild.get(l);
      if (child === undefined) {
        child = this.#duration.labels({ service: l.service, transport: l.transport });
        this.#durationChild.set(l, child);
      }
      child.observe((Number(m.durationMs) || 0) / 1000);
    });
    on('socketkit:server:datagram', (m) => {
      const l = of(m);
      if (l === undefined) return;
      l.datagramsIn += 1;
      l.requests += 1;
      l.bytesIn += Number(m.bytes) || 0;
    });
    on('socketkit:server:datagram-sent', (m) => {
      const l = of(m);
      if (l === undefined) return;
      l.datagramsOut += 1;
      l.bytesOut += Number(m.bytes) || 0;
    });
    on('socketkit:server:refused', (m) => {
      const l = of(m);
      if (l === undefined) return;
      const reason = String(m.reason);
      const datagram = l.transport === 'udp' || l.transport === 'unix-dgram';
      const dropped = datagram || DATAGRAM_DROP_REASONS.has(reason);
      const counts = dropped ? l.dropped : l.refused;
      counts[reason] = (counts[reason] ?? 0) + 1;
      this.#note(
        dropped ? 'dropped' : 'refused',
        l,
        () => `${reason} ${formatPeer(m.remote as PeerAddress)}`,
      );
    });
    on('socketkit:server:error', (m) => {
      const l = of(m);
      if (l === undefined) return;
      const phase = String(m.phase);
      l.errors += 1;
      l.errorsByPhase[phase] = (l.errorsByPhase[phase] ?? 0) + 1;
      this.#note('error', l, () => {
        const remote = formatPeer(m.remote as PeerAddress | undefined);
        return `${phase}${remote ? ` ${remote}` : ''}: ${errorText(m.error)}`;
      });
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
    for (const [name, handler] of this.#subscriptions) diagnostics.unsubscribe(name, handler);
    this.#subscriptions = [];
  }

  #note(kind: RecentEvent['kind'], l: ListenerTotals, detail: () => string): void {
    // A flood of refusals is counted above; only the first few a second are kept.
    const second = Math.floor(Date.now() / 1000);
    if (second !== this.#recentSecond) {
      this.#recentSecond = second;
      this.#recentInSecond = 0;
    }
    if (++this.#recentInSecond > RECENT_PER_SECOND) return;
    this.#push({ time: Date.now(), kind, where: `${l.service}/${l.transport}`, detail: detail() });
  }

  #push(event: RecentEvent): void {
    this.#recent.push(event);
    if (this.#recent.length > RECENT_EVENTS) this.#recent.shift();
  }
}
