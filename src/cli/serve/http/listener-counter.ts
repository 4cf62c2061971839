/**
 * Counts what the servers of this process report on the `socketkit:server:*` channels,
 * per tracked server: connections, requests, bytes, datagrams, refusals, errors, handler
 * durations. The same counting runs in a single `serve` process (under `ServeMetrics`) and
 * in each `--processes` worker (whose counts go to the primary: worker-report.ts).
 *
 * An event costs a map lookup and a few additions. What the servers count themselves is
 * read when asked ({@link ListenerCounter.snapshot}): the bytes of connections still open,
 * from their sockets (`StreamServer.openConnectionBytes()`: nothing per chunk, and a long
 * connection's traffic shows while it runs), and the datagrams in and out
 * (`DatagramServer.datagramCounts()`: no event per datagram for them; the one event per
 * datagram is `datagram-handled`, for the duration histogram).
 * @module
 */
import diagnostics from 'node:diagnostics_channel';
import type { PeerAddress } from '../../../socket/address.js';
import {
  copyCounts,
  emptyCounts,
  type ListenerCounts,
  observeDuration,
} from './listener-counts.js';

/** What a tracked server is to the metrics. */
export interface MetricsLabel {
  service: string;
  transport: string;
  /** Its key under a `ClusterSupervisor` (`--processes N`): how workers' reports find it. */
  key?: string;
}

/** A refusal, drop or error worth a line on the dashboard. */
export type CountedEvent = (
  kind: 'refused' | 'dropped' | 'error',
  server: object,
  detail: () => string,
) => void;

/** Refusals a stream listener reports that are datagram drops (queueFull of a relay). */
const DATAGRAM_DROP_REASONS = new Set([
  'queueFull',
  'privilegedPort',
  'rateLimited',
  'proxyHeader',
]);

/** True for the datagram transports. */
export function isDatagram(transport: string): boolean {
  return transport === 'udp' || transport === 'unix-dgram';
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

interface Tracked {
  label: MetricsLabel;
  counts: ListenerCounts;
}

/** What a server may count itself, read on demand (`StreamServer`, `DatagramServer`). */
interface SelfCounting {
  openConnectionBytes?(): { read: number; written: number };
  datagramCounts?(): { received: number; receivedBytes: number; sent: number; sentBytes: number };
}

/** Counts the channel events of the servers it tracks. */
export class ListenerCounter {
  readonly #servers = new Map<object, Tracked>();
  readonly #onEvent: CountedEvent | undefined;
  #subscriptions: Array<[string, (m: unknown) => void]> = [];

  constructor(onEvent?: CountedEvent) {
    this.#onEvent = onEvent;
  }

  /** Counts the events of `server` from now on. */
  track(server: object, label: MetricsLabel): void {
    if (!this.#servers.has(server)) this.#servers.set(server, { label, counts: emptyCounts() });
  }

  /**
   * The counts of `server` now (a copy): the channel events counted, plus what the server
   * counts itself, read now: the bytes its open connections moved so far, its datagrams
   * in and out. Undefined for a server it does not track.
   */
  snapshot(server: object): ListenerCounts | undefined {
    const t = this.#servers.get(server);
    if (t === undefined) return undefined;
    const counts = copyCounts(t.counts);
    const own = server as SelfCounting;
    if (typeof own.openConnectionBytes === 'function') {
      const open = own.openConnectionBytes();
      counts.bytesIn += open.read;
      counts.bytesOut += open.written;
    }
    if (typeof own.datagramCounts === 'function') {
      const d = own.datagramCounts();
      counts.datagramsIn += d.received;
      counts.requests += d.received;
      counts.bytesIn += d.receivedBytes;
      counts.datagramsOut += d.sent;
      counts.bytesOut += d.sentBytes;
    }
    return counts;
  }

  /** Subscribes to the channels (idempotent). */
  attach(): void {
    if (this.#subscriptions.length > 0) return;
    const on = (name: string, fn: (m: Record<string, unknown>, t: Tracked) => void): void => {
      const handler = (message: unknown): void => {
        if (typeof message !== 'object' || message === null) return;
        const m = message as Record<string, unknown>;
        const t = this.#servers.get(m.server as object);
        if (t !== undefined) fn(m, t);
      };
      diagnostics.subscribe(name, handler);
      this.#subscriptions.push([name, handler]);
    };
    on('socketkit:server:connection', (_m, { counts }) => {
      counts.open += 1;
      counts.accepted += 1;
      counts.requests += 1;
    });
    on('socketkit:server:close', (m, { counts }) => {
      counts.open -= 1;
      counts.bytesIn += Number(m.bytesRead) || 0;
      counts.bytesOut += Number(m.bytesWritten) || 0;
      observeDuration(counts.duration, (Number(m.durationMs) || 0) / 1000);
    });
    // Datagrams in and out are the server's own counts (snapshot()): the one event per
    // datagram is its handler's duration.
    on('socketkit:server:datagram-handled', (m, { counts }) => {
      observeDuration(counts.duration, (Number(m.durationMs) || 0) / 1000);
    });
    on('socketkit:server:refused', (m, { label, counts }) => {
      const reason = String(m.reason);
      const dropped = isDatagram(label.transport) || DATAGRAM_DROP_REASONS.has(reason);
      const into = dropped ? counts.dropped : counts.refused;
      into[reason] = (into[reason] ?? 0) + 1;
      this.#onEvent?.(
        dropped ? 'dropped' : 'refused',
        m.server as object,
        () => `${reason} ${formatPeer(m.remote as PeerAddress)}`,
      );
    });
    on('socketkit:server:error', (m, { counts }) => {
      const phase = String(m.phase);
      counts.errors += 1;
      counts.errorsByPhase[phase] = (counts.errorsByPhase[phase] ?? 0) + 1;
      this.#onEvent?.('error', m.server as object, () => {
        const remote = formatPeer(m.remote as PeerAddress | undefined);
        return `${phase}${remote ? ` ${remote}` : ''}: ${errorText(m.error)}`;
      });
    });
  }

  /** Unsubscribes from every channel. */
  detach(): void {
    for (const [name, handler] of this.#subscriptions) diagnostics.unsubscribe(name, handler);
    this.#subscriptions = [];
  }
}
