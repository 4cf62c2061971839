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

/** A chat room as the metrics know it. */
interface RoomTotals {
  members: number;
  messages: number;
  slowCuts: number;
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

/** The room label that collects rooms beyond `maxRoomLabels`. */
export const OTHER_ROOM = 'other';

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
  readonly #options: ServeMetricsOptions;
  readonly #servers = new Map<object, ListenerTotals>();
  /** Every listener, in the order they were tracked. */
  readonly #listeners: ListenerTotals[] = [];
  readonly #rooms = new Map<string, RoomTotals>();
  /** Rooms beyond the label cap, summed; its members are recomputed from #unlabelled. */
  readonly #other: RoomTotals = { members: 0, messages: 0, slowCuts: 0 };
  readonly #unlabelled = new Map<string, number>();
  readonly #recent: RecentEvent[] = [];
  #recentSecond = 0;
  #recentInSecond = 0;
  #busUp = true;
  #busLagSeconds = 0;
  #subscriptions: Array<[string, (m: unknown) => void]> = [];
  readonly #duration: Histogram<'service' | 'transport'>;
  /** A histogram child per listener (labels hashed once, not per observation). */
  readonly #durationChild = new Map<ListenerTotals, { observe(v: number): void }>();

  constructor(options: ServeMetricsOptions) {
    this.#options = options;
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
    if (options.chat) this.#registerChat(registers);
  }

  #registerChat(registers: Registry[]): void {
    const rooms = (): Array<[string, RoomTotals]> => {
      const out = [...this.#rooms];
      if (this.#unlabelled.size > 0 || this.#other.messages > 0 || this.#other.slowCuts > 0)
        out.push([OTHER_ROOM, this.#other]);
      return out;
    };
    const perRoom = (
      name: string,
      help: string,
      value: (r: RoomTotals) => number,
      kind: 'counter' | 'gauge',
    ): void => {
      const config = {
        name,
        help,
        labelNames: ['room'] as const,
        registers,
        collect(this: Counter<'room'> | Gauge<'room'>) {
          this.reset();
          for (const [room, r] of rooms()) {
            if (this instanceof Gauge) this.set({ room }, value(r));
            else this.inc({ room }, value(r));
          }
        },
      };
      if (kind === 'gauge') new Gauge(config);
      else new Counter(config);
    };
    perRoom(
      'socketkit_chat_room_members',
      'Members of the room connected to this node.',
      (r) => r.members,
      'gauge',
    );
    perRoom(
      'socketkit_chat_messages_total',
      'Messages and actions this node received from the bus for the room.',
      (r) => r.messages,
      'counter',
    );
    perRoom(
      'socketkit_chat_slow_consumer_cuts_total',
      'Members of the room disconnected for not reading (slow consumers).',
      (r) => r.slowCuts,
      'counter',
    );
    const busUp = (): number => (this.#busUp ? 1 : 0);
    const lag = (): number => this.#busLagSeconds;
    new Gauge({
      name: 'socketkit_chat_bus_up',
      help: 'Whether the chat bus is reachable (1) or down (0).',
      registers,
      collect() {
        this.set(busUp());
      },
    });
    new Gauge({
      name: 'socketkit_chat_bus_lag_seconds',
      help: 'Delay between a message entering the bus and this node receiving it (last message; Redis bus only).',
      registers,
      collect() {
        this.set(lag());
      },
    });
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

  /** Chat rooms with members here (labelled ones, then "other"), by members. */
  rooms(): Array<{ room: string; members: number; messages: number }> {
    const out = [...this.#rooms].map(([room, r]) => ({
      room,
      members: r.members,
      messages: r.messages,
    }));
    if (this.#unlabelled.size > 0)
      out.push({ room: OTHER_ROOM, members: this.#other.members, messages: this.#other.messages });
    return out.sort((a, b) => b.members - a.members || a.room.localeCompare(b.room));
  }

  /** The chat bus state, when a chat service runs. */
  get bus(): { up: boolean; lagSeconds: number } | undefined {
    return this.#options.chat ? { up: this.#busUp, lagSeconds: this.#busLagSeconds } : undefined;
  }

  /** Why the process is not ready (`/readyz`), or an empty list. */
  notReady(): string[] {
    const why: string[] = [];
    for (const l of this.#listeners)
      if (!l.listening) why.push(`${l.service}/${l.transport} is not listening`);
    if (this.#options.chat && !this.#busUp) why.push('the chat bus is down');
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
    if (!this.#options.chat) return;
    on('socketkit:chat:room', (m) => {
      if (typeof m.room !== 'string') return;
      this.#setMembers(m.room, Number(m.members) || 0);
    });
    on('socketkit:chat:message', (m) => {
      if (typeof m.room !== 'string') return;
      this.#room(m.room).messages += 1;
      // A Redis stream id starts with the ms it entered the stream (MemoryBus ids do not).
      const ms = Number(String(m.id).split('-')[0]);
      if (ms > 1e12) this.#busLagSeconds = Math.max(0, Date.now() - ms) / 1000;
    });
    on('socketkit:chat:slow-consumer', (m) => {
      const room = typeof m.room === 'string' && m.room !== '' ? m.room : undefined;
      if (room !== undefined) this.#room(room).slowCuts += 1;
    });
    on('socketkit:chat:bus', (m) => {
      const up = m.status === 'up';
      if (up === this.#busUp) return;
      this.#busUp = up;
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

  /** A room's totals: its own while labels remain, else the shared "other". */
  #room(room: string): RoomTotals {
    const own = this.#rooms.get(room);
    if (own !== undefined) return own;
    if (this.#rooms.size < this.#options.maxRoomLabels && room !== OTHER_ROOM) {
      const created = { members: 0, messages: 0, slowCuts: 0 };
      this.#rooms.set(room, created);
      return created;
    }
    return this.#other;
  }

  #setMembers(room: string, members: number): void {
    const totals = this.#room(room);
    if (totals !== this.#other) {
      totals.members = members;
      return;
    }
    // Unlabelled rooms: kept only while they have members (the hub bounds how many).
    if (members > 0) this.#unlabelled.set(room, members);
    else this.#unlabelled.delete(room);
    let sum = 0;
    for (const n of this.#unlabelled.values()) sum += n;
    this.#other.members = sum;
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
