/**
 * The diagnostics channels servers report on. The library never prints: the CLI (or a
 * user's program) subscribes to these with `node:diagnostics_channel` and decides what to
 * log (undici `core/diagnostics.js`).
 *
 * | channel                          | message                                                     |
 * |----------------------------------|-------------------------------------------------------------|
 * | `socketkit:server:listening`     | {@link ListeningMessage}                                    |
 * | `socketkit:server:connection`    | {@link ConnectionMessage} (a stream connection was accepted)|
 * | `socketkit:server:close`         | {@link CloseMessage} (a stream connection was closed)       |
 * | `socketkit:server:datagram`      | {@link DatagramMessage} (a datagram was received)           |
 * | `socketkit:server:datagram-sent` | {@link DatagramSentMessage} (a handler sent a datagram)     |
 * | `socketkit:server:datagram-handled` | {@link DatagramHandledMessage} (a datagram's handler finished) |
 * | `socketkit:server:refused`       | {@link RefusedMessage}                                      |
 * | `socketkit:server:error`         | {@link ServerErrorMessage}                                  |
 * | `socketkit:server:worker`        | {@link WorkerMessage} (a cluster supervisor's workers)      |
 * | `socketkit:server:shutdown`      | {@link ShutdownMessage} (shutdown began / finished)         |
 * | `socketkit:server:fd-limit`      | {@link FdLimitMessage} (descriptors ran out / came back)    |
 *
 * @module
 */
import diagnostics from 'node:diagnostics_channel';
import type { PeerAddress } from './handler-types.js';

/** Any socketkit server, as channel messages refer to it (kept structural to avoid import cycles). */
export interface ServerLike {
  readonly address: PeerAddress;
  readonly connections: number;
}

/** Published once a server is bound and accepting. */
export interface ListeningMessage {
  server: ServerLike;
  address: PeerAddress;
  transport: 'tcp' | 'tls' | 'unix' | 'udp' | 'unix-dgram';
  /**
   * Present when a `ClusterSupervisor`'s primary publishes it for its workers: how many
   * processes serve (`server` is the primary's copy, which never listens itself).
   */
  processes?: number;
}

/** Published when a stream connection was accepted and is about to be handled. */
export interface ConnectionMessage {
  id: number;
  /** The client (behind a trusted PROXY-protocol proxy: the one its header named). */
  remote: PeerAddress;
  /** The trusted proxy the connection came through (the server's `proxyProtocol`). */
  via?: PeerAddress;
  transport: 'tcp' | 'tls' | 'unix';
  server: ServerLike;
}

/** Published when a stream connection is closed (after its handler settled). */
export interface CloseMessage {
  id: number;
  remote: PeerAddress;
  bytesRead: number;
  bytesWritten: number;
  durationMs: number;
  /** The server that accepted it. */
  server: ServerLike;
  /** Why the connection ended abnormally (a handler error, a reset, an idle timeout). */
  error?: Error;
}

/** Published for every datagram a datagram server receives. */
export interface DatagramMessage {
  id: number;
  /** The sender (behind a trusted PROXY-protocol proxy: the client its header named). */
  remote: PeerAddress;
  /** The trusted proxy the datagram came through (a `UdpServer`'s `proxyProtocol`). */
  via?: PeerAddress;
  transport: 'udp' | 'unix-dgram';
  bytes: number;
  truncated: boolean;
  server: ServerLike;
}

/**
 * Published for every datagram a handler sends through its context (`ctx.send()`,
 * `ctx.reply()`), before it is handed to the socket.
 */
export interface DatagramSentMessage {
  bytes: number;
  transport: 'udp' | 'unix-dgram';
  server: ServerLike;
}

/**
 * Published when the handler of a datagram has finished (returned, or its promise
 * settled; thrown or rejected included). Only while someone subscribes is the handler
 * timed at all: the two clock reads are skipped otherwise.
 */
export interface DatagramHandledMessage {
  id: number;
  /** The bytes handed to the handler (cut to `maxPacketSize`). */
  bytes: number;
  /** From the handler's start to its end, in milliseconds (fractional). */
  durationMs: number;
  /** True when the handler threw or rejected (the error goes to `handleError`). */
  failed: boolean;
  transport: 'udp' | 'unix-dgram';
  server: ServerLike;
}

/** Published when a client or datagram is turned away. */
export interface RefusedMessage {
  remote: PeerAddress;
  /**
   * `deny`: the allow/deny lists or `verifyRequest` refused it; `maxConnections`: the server
   * was full (the client got a one-line refusal); `maxConnectionsPerIp`: its address had
   * as many connections open as allowed; `acceptRate`: its address opened connections
   * faster than allowed; `queueFull`: a datagram arrived while the server's queue of
   * unhandled datagrams was full and was dropped; `privilegedPort`: a UDP datagram from a
   * source port below 1024 was dropped (`ignorePrivilegedPorts`, inetd's rule against
   * reflection loops); `rateLimited`: a UDP datagram over its source address's rate
   * (`rateLimit`) was dropped; `proxyHeader`: a UDP datagram from a trusted PROXY-protocol
   * proxy (`proxyProtocol`) without a valid PROXY v2 header was dropped (`remote` is the
   * proxy).
   */
  reason:
    | 'deny'
    | 'maxConnections'
    | 'maxConnectionsPerIp'
    | 'acceptRate'
    | 'queueFull'
    | 'privilegedPort'
    | 'rateLimited'
    | 'proxyHeader';
  server: ServerLike;
}

/** Published by the default `handleError` hook and for failures outside any handler. */
export interface ServerErrorMessage {
  error: unknown;
  /** What failed: a handler, a TLS handshake, the listening socket, … */
  phase:
    'handler' | 'tls-handshake' | 'proxy-header' | 'accept' | 'listen' | 'reply' | 'serviceActions';
  /** The connection or datagram id, when the error belongs to one. */
  id?: number;
  remote?: PeerAddress;
  server: ServerLike;
}

/** Published by a `ClusterSupervisor`'s primary about its workers. */
export interface WorkerMessage {
  event: 'fork' | 'listening' | 'exit' | 'restart';
  pid: number | undefined;
  workerId: number;
  /** For `exit`: the exit code or the signal that killed it. */
  code?: number | null;
  signal?: string | null;
  /** For `restart`: in how many milliseconds the replacement is forked. */
  delayMs?: number;
}

/** Published when a server begins and ends shutting down. */
export interface ShutdownMessage {
  server: ServerLike;
  phase: 'begin' | 'end';
  /** For `end`: connections that had to be destroyed after the drain timeout. */
  destroyed?: number;
}

/**
 * Published (process-wide, not per server) when the process runs out of file descriptors
 * while stream servers listen — new clients are then dropped by the system — and when
 * they are available again (see `fd-monitor.ts`).
 */
export type FdLimitMessage =
  | { state: 'exhausted'; /** EMFILE (this process) or ENFILE (the system). */ code: string }
  | { state: 'recovered'; /** How long it lasted. */ durationMs: number };

/** The server channels, by event. */
export const serverChannels = {
  listening: diagnostics.channel('socketkit:server:listening'),
  connection: diagnostics.channel('socketkit:server:connection'),
  close: diagnostics.channel('socketkit:server:close'),
  datagram: diagnostics.channel('socketkit:server:datagram'),
  datagramSent: diagnostics.channel('socketkit:server:datagram-sent'),
  datagramHandled: diagnostics.channel('socketkit:server:datagram-handled'),
  refused: diagnostics.channel('socketkit:server:refused'),
  error: diagnostics.channel('socketkit:server:error'),
  worker: diagnostics.channel('socketkit:server:worker'),
  shutdown: diagnostics.channel('socketkit:server:shutdown'),
  fdLimit: diagnostics.channel('socketkit:server:fd-limit'),
} as const;

/** Publishes only when someone listens, so building the message costs nothing otherwise. */
export function publish<T extends object>(channel: diagnostics.Channel, build: () => T): void {
  if (channel.hasSubscribers) channel.publish(build());
}
