/**
 * The log of `socketkit serve`: one line per event on stderr, as text or JSON lines,
 * filtered by level. Events come from the server diagnostics channels
 * (`socketkit:server:*`, see src/server/server-channels.ts) and from the services'
 * own `env.log`. Only events of the servers this logger was told about are written,
 * so several superservers in one process (tests) do not mix their logs.
 *
 * | event        | level | text                                                     |
 * |--------------|-------|----------------------------------------------------------|
 * | connection   | info  | `echo/tcp #3 connection from 127.0.0.1:53422`             |
 * | close        | info  | `echo/tcp #3 closed after 0.2 s: 6 bytes in, 6 out`       |
 * | datagram     | debug | `echo/udp #4 datagram from 127.0.0.1:40112: 6 bytes`      |
 * | refused      | warn  | `echo/tcp refused 10.0.0.9:5000 (deny)`, summarised *    |
 * | dropped      | warn  | `echo/udp dropped a datagram from 127.0.0.1:5000 (rateLimited: …)`, summarised * |
 * | error        | error | `echo/tcp #3 handler error: …`                            |
 * | error (TLS handshake) | warn | `echo/tls tls handshake failed from …: why`, summarised * |
 * | fd-limit     | error | `out of file descriptors (EMFILE): new clients are …`     |
 * |              | warn  | `file descriptors available again after 3.2 s: serving`   |
 * | worker       | info  | `worker 2 (pid 4242) exit code 1`                         |
 * | listening, shutdown | debug |                                                  |
 *
 * \* Events that can come in floods go through {@link ServeLogger.repeated}: the first is
 * written in full, the rest are counted and written as one line per 10 s at most
 * (`echo/tcp refused 9001 connections in the last 10 s (maxConnections: 9000, deny: 1)`).
 * Services use it too: `env.log(level, message, { repeat: 'key' })` (see start-services).
 * Dropped datagrams (reasons `rateLimited`, `privilegedPort`, `queueFull`, `proxyHeader`) come by the
 * thousand in a flood: the same summary, per listener.
 * @module
 */
import diagnostics from 'node:diagnostics_channel';
import type { Writable } from 'node:stream';
import type { PeerAddress } from '../../server/handler-types.js';
import { describeCounts, RepeatSummary } from './repeat-summary.js';
import { describeTlsHandshakeError } from '../../server/describe-tls-handshake-error.js';

/** Log levels, most severe first. `-q` shows warn and error, `-v` adds debug. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** How log lines look: `text` for people, `json` (one object per line) for machines. */
export type LogFormat = 'text' | 'json';

/** Options of {@link ServeLogger}. */
export interface ServeLoggerOptions {
  level: LogLevel;
  format: LogFormat;
  stream: Writable;
  /** The clock (tests pass a fixed one). */
  now?: () => Date;
  /** Fields added to every line (a `--processes` worker adds its `pid`). */
  tag?: Record<string, string | number>;
  /** Seconds between two summary lines about one kind of repeated event (default 10). */
  summaryInterval?: number;
}

/** Refusal reasons that are datagram drops: summarised, not one line each. */
const DROP_REASONS: Record<string, string> = {
  rateLimited: 'over its per-source rate, --datagram-rate',
  privilegedPort: "source port below 1024, inetd's rule against reflection loops",
  queueFull: 'the queue of datagrams waiting for a handler is full',
  proxyHeader: 'a trusted proxy sent no valid PROXY v2 header, --proxy-protocol',
};

/** What the logger knows about a server it reports for. */
export interface ServerLabel {
  service: string;
  transport: string;
}

/** Formats a peer address for a log line: `127.0.0.1:53422`, `[::1]:80`, `unix:/tmp/x.sock`. */
export function formatPeer(peer: PeerAddress | undefined): string {
  if (peer === undefined) return '?';
  if (peer.family === 'unix') return peer.path === '' ? 'unix:(unnamed)' : `unix:${peer.path}`;
  return peer.family === 'IPv6' ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${err.message} [${code}]` : err.message;
  }
  return String(err);
}

/** The logger `socketkit serve` writes to stderr with. */
export class ServeLogger {
  readonly #options: ServeLoggerOptions;
  readonly #servers = new Map<object, ServerLabel>();
  /** Open connections of our servers: close messages carry only the id. */
  readonly #connections = new Map<number, ServerLabel>();
  readonly #subscriptions: [string, (message: unknown) => void][] = [];
  readonly #repeats: RepeatSummary;

  constructor(options: ServeLoggerOptions) {
    this.#options = options;
    this.#repeats = new RepeatSummary((options.summaryInterval ?? 10) * 1000);
  }

  /** True when a line of `level` would be written. */
  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.#options.level];
  }

  /** Writes one line, if `level` is enabled. */
  log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    if (!this.enabled(level)) return;
    const time = (this.#options.now ?? (() => new Date()))().toISOString();
    const tag = this.#options.tag ?? {};
    if (this.#options.format === 'json') {
      this.#options.stream.write(
        `${JSON.stringify({ time, level, ...tag, ...fields, message })}\n`,
      );
      return;
    }
    const prefix = Object.entries(tag)
      .map(([k, v]) => `[${k} ${v}] `)
      .join('');
    this.#options.stream.write(`${time} ${level.toUpperCase().padEnd(5)} ${prefix}${message}\n`);
  }

  /**
   * Logs an event that can come in floods: the first one in full (`line`), the next ones
   * counted under `key` and written as one summary line per interval at most:
   * `${summary(total, seconds)} (kind: n, …)`. For refusals, failed handshakes, and any
   * service event that a client or an outage can repeat at will (Redis down/up, slow
   * consumers cut).
   * @param key what is counted together (`echo/tcp refused`).
   * @param kind the sub-count shown in parentheses (a reason: `maxConnections`).
   */
  repeated(
    level: LogLevel,
    key: string,
    kind: string,
    line: () => string,
    summary: (total: number, seconds: number) => string,
    fields: Record<string, unknown> = {},
  ): void {
    if (!this.enabled(level)) return;
    const full = this.#repeats.record(key, kind, (total, byKind, seconds) =>
      this.log(level, `${summary(total, seconds)} (${describeCounts(byKind)})`, {
        ...fields,
        event: 'summary',
        of: fields.event,
        count: total,
        counts: Object.fromEntries(byKind),
        seconds,
      }),
    );
    if (full) this.log(level, line(), fields);
  }

  /** Reports the events of `server` from now on, labelled with its service and transport. */
  track(server: object, label: ServerLabel): void {
    this.#servers.set(server, label);
  }

  /** Subscribes to the server channels (idempotent). Call {@link detach} when done. */
  attach(): void {
    if (this.#subscriptions.length > 0) return;
    const on = (event: string, fn: (m: Record<string, unknown>) => void): void => {
      const handler = (message: unknown): void => {
        if (typeof message === 'object' && message !== null) fn(message as Record<string, unknown>);
      };
      diagnostics.subscribe(`socketkit:server:${event}`, handler);
      this.#subscriptions.push([`socketkit:server:${event}`, handler]);
    };
    on('listening', (m) => this.#serverEvent('debug', 'listening', m, () => 'listening'));
    // Connection lines are info: at -q, not subscribing spares every accept a message
    // object, a formatted address and an entry in #connections for the connection's life.
    if (this.enabled('info')) {
      on('connection', (m) => {
        const label = this.#servers.get(m.server as object);
        if (!label || typeof m.id !== 'number') return;
        this.#connections.set(m.id, label);
        const remote = formatPeer(m.remote as PeerAddress);
        // Behind a trusted PROXY-protocol proxy: the client its header named, and the proxy.
        const via = m.via === undefined ? undefined : formatPeer(m.via as PeerAddress);
        this.#emit(
          'info',
          label,
          'connection',
          `#${m.id} connection from ${remote}${via === undefined ? '' : ` via ${via}`}`,
          { id: m.id, remote, ...(via !== undefined ? { via } : {}) },
        );
      });
      on('close', (m) => {
        if (typeof m.id !== 'number') return;
        const label = this.#connections.get(m.id);
        if (!label) return;
        this.#connections.delete(m.id);
        const seconds = (Number(m.durationMs) / 1000).toFixed(1);
        const why = m.error === undefined ? '' : ` (${errorText(m.error)})`;
        this.#emit(
          'info',
          label,
          'close',
          `#${m.id} closed after ${seconds} s: ${m.bytesRead} bytes in, ${m.bytesWritten} out${why}`,
          {
            id: m.id,
            bytesRead: m.bytesRead,
            bytesWritten: m.bytesWritten,
            durationMs: m.durationMs,
            ...(why ? { error: errorText(m.error) } : {}),
          },
        );
      });
    }
    // Datagram lines are debug-only; without -v, not subscribing spares the server building
    // a message object for every datagram (servers publish only to channels with subscribers).
    if (this.enabled('debug')) {
      on('datagram', (m) =>
        this.#serverEvent('debug', 'datagram', m, () => {
          const cut = m.truncated === true ? ' (truncated)' : '';
          const via = m.via === undefined ? '' : ` via ${formatPeer(m.via as PeerAddress)}`;
          return `#${m.id} datagram from ${formatPeer(m.remote as PeerAddress)}${via}: ${m.bytes} bytes${cut}`;
        }),
      );
    }
    // A client can repeat a refusal (or a dropped datagram) as fast as it sends: summarised,
    // not one line each.
    on('refused', (m) => {
      const label = this.#servers.get(m.server as object);
      if (!label || !this.enabled('warn')) return;
      const name = `${label.service}/${label.transport}`;
      const reason = String(m.reason);
      const dropped = reason in DROP_REASONS;
      const key = `${name} ${dropped ? 'dropped' : 'refused'}`;
      // In a flood, counting is all there is to do: format nothing (the hot path of drops).
      if (this.#repeats.count(key, reason)) return;
      const remote = formatPeer(m.remote as PeerAddress);
      const fields = {
        service: label.service,
        transport: label.transport,
        event: dropped ? 'dropped' : 'refused',
      };
      this.repeated(
        'warn',
        key,
        reason,
        () =>
          dropped
            ? `${name} dropped a datagram from ${remote} (${reason}: ${DROP_REASONS[reason]}); more drops are summarised`
            : `${name} refused ${remote} (${reason})`,
        (n, s) =>
          dropped
            ? `${name} dropped ${n} more datagram${n === 1 ? '' : 's'} in the last ${s} s`
            : `${name} refused ${n} more connection${n === 1 ? '' : 's'} in the last ${s} s`,
        { ...fields, remote, reason },
      );
    });
    on('error', (m) => {
      const text = (): string => {
        const id = typeof m.id === 'number' ? `#${m.id} ` : '';
        const remote = m.remote === undefined ? '' : ` from ${formatPeer(m.remote as PeerAddress)}`;
        return `${id}${m.phase} error${remote}: ${errorText(m.error)}`;
      };
      const label = this.#servers.get(m.server as object);
      if (m.phase === 'proxy-header' && label) {
        // A bad or late PROXY header: the proxy's (or a misconfiguration's) doing, summarised.
        const name = `${label.service}/${label.transport}`;
        const code = (m.error as { code?: unknown } | null)?.code;
        this.repeated(
          'warn',
          `${name} proxy-header`,
          typeof code === 'string' ? code : 'error',
          () => `${name} ${text()}`,
          (n, s) => `${name} ${n} more bad PROXY header${n === 1 ? '' : 's'} in the last ${s} s`,
          {
            service: label.service,
            transport: label.transport,
            event: 'error',
            ...(m.remote !== undefined ? { remote: formatPeer(m.remote as PeerAddress) } : {}),
          },
        );
        return;
      }
      if (m.phase !== 'tls-handshake' || !label) {
        this.#serverEvent('error', 'error', m, text);
        return;
      }
      // A failed or timed-out TLS handshake is the client's doing: a warning, summarised.
      const name = `${label.service}/${label.transport}`;
      const code = (m.error as { code?: unknown } | null)?.code;
      this.repeated(
        'warn',
        `${name} tls-handshake`,
        typeof code === 'string' ? code : 'error',
        // One line: OpenSSL's own message is several, and names internals.
        () =>
          `${name} tls handshake failed${m.remote === undefined ? '' : ` from ${formatPeer(m.remote as PeerAddress)}`}: ${describeTlsHandshakeError(m.error)}`,
        (n, s) => `${name} ${n} more failed TLS handshake${n === 1 ? '' : 's'} in the last ${s} s`,
        {
          service: label.service,
          transport: label.transport,
          event: 'error',
          ...(m.remote !== undefined ? { remote: formatPeer(m.remote as PeerAddress) } : {}),
        },
      );
    });
    on('fd-limit', (m) => {
      if (this.#servers.size === 0) return;
      if (m.state === 'exhausted') {
        this.log(
          'error',
          `out of file descriptors (${String(m.code)}): new clients are dropped until some close (raise ulimit -n, or lower --max-connections)`,
          { event: 'fd-limit', state: m.state, code: m.code },
        );
      } else {
        const seconds = (Number(m.durationMs) / 1000).toFixed(1);
        // Warn, not info: whoever saw the error (even with -q) must see the end of it.
        this.log('warn', `file descriptors available again after ${seconds} s: serving`, {
          event: 'fd-limit',
          state: m.state,
          durationMs: m.durationMs,
        });
      }
    });
    on('shutdown', (m) =>
      this.#serverEvent('debug', 'shutdown', m, () =>
        m.phase === 'begin'
          ? 'shutting down'
          : `shut down${m.destroyed ? ` (${m.destroyed} connections cut)` : ''}`,
      ),
    );
    on('worker', (m) => {
      if (this.#servers.size === 0) return;
      const how = m.event === 'exit' ? ` code ${m.code ?? '-'} signal ${m.signal ?? '-'}` : '';
      const level: LogLevel =
        m.event === 'restart' || (m.event === 'exit' && m.code !== 0) ? 'warn' : 'info';
      this.log(level, `worker ${m.workerId} (pid ${m.pid ?? '?'}) ${m.event}${how}`, {
        event: 'worker',
        ...m,
      });
    });
  }

  /** Unsubscribes from every channel (after writing any pending summary). */
  detach(): void {
    this.#repeats.flush();
    for (const [name, handler] of this.#subscriptions) diagnostics.unsubscribe(name, handler);
    this.#subscriptions.length = 0;
  }

  #serverEvent(
    level: LogLevel,
    event: string,
    m: Record<string, unknown>,
    text: () => string,
  ): void {
    const label = this.#servers.get(m.server as object);
    if (!label || !this.enabled(level)) return;
    const fields: Record<string, unknown> = {};
    if (typeof m.id === 'number') fields.id = m.id;
    if (m.remote !== undefined) fields.remote = formatPeer(m.remote as PeerAddress);
    this.#emit(level, label, event, text(), fields);
  }

  #emit(
    level: LogLevel,
    label: ServerLabel,
    event: string,
    text: string,
    fields: Record<string, unknown>,
  ): void {
    this.log(level, `${label.service}/${label.transport} ${text}`, {
      service: label.service,
      transport: label.transport,
      event,
      ...fields,
    });
  }
}
