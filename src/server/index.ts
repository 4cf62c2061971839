/**
 * `socketkit/server`: Python's `socketserver`, done right for Node — TCP, TLS, UDP, Unix
 * stream and Unix datagram servers with `setup/handle/finish` handlers or plain async
 * functions, `serveForever`/`handleRequest`/`shutdown`/`close`, access lists, limits,
 * concurrent or serial serving, and a cluster supervisor for several processes. See
 * docs/server.md.
 *
 * Named exports only: this list is the public surface (api/socketkit.api.md records it).
 * The dispatch helpers (`runHandler`, `publish`, …) stay importable inside `src/` by
 * their module path.
 * @module
 */
export type { RateLimiter, RateLimiterOptions } from '../internal/rate-limiter.js';
export type { AccessOptions } from './access-list.js';
export type { AddressLimitOptions } from './address-limits.js';
export { BaseServer } from './base-server.js';
export {
  type ClusterOptions,
  type ClusterRole,
  type ClusterStartOptions,
  ClusterSupervisor,
  failedServerKey,
  isServerWorker,
  type ServerFactory,
  type ServerSet,
  superviseCluster,
} from './cluster-supervisor.js';
export type { Concurrency } from './concurrency.js';
export {
  DatagramServer,
  type DatagramRateLimit,
  type DatagramRequestHandlerClass,
  type DatagramServerBaseOptions,
  type DatagramServerOptions,
} from './datagram-server.js';
export type {
  ConnectionContext,
  DatagramContext,
  DatagramHandler,
  PeerAddress,
  StreamHandler,
} from './handler-types.js';
export type { ServerTlsOptions } from './listener.js';
export {
  BaseRequestHandler,
  DatagramRequestHandler,
  type ReadLineOptions,
  StreamRequestHandler,
} from './request-handler.js';
export {
  type CloseMessage,
  type ConnectionMessage,
  type DatagramHandledMessage,
  type DatagramMessage,
  type DatagramSentMessage,
  type FdLimitMessage,
  type ListeningMessage,
  type RefusedMessage,
  type ServerErrorMessage,
  type ServerLike,
  serverChannels,
  type ShutdownMessage,
  type WorkerMessage,
} from './server-channels.js';
export type {
  BaseServerOptions,
  ErrorContext,
  ServerHooks,
  ShutdownOptions,
} from './server-options.js';
export {
  type DatagramProxyProtocolOptions,
  DEFAULT_PROXY_HEADER_TIMEOUT,
  type ProxyProtocolOptions,
} from './proxy-protocol.js';
export {
  type StreamRequestHandlerClass,
  StreamServer,
  type StreamServerBaseOptions,
  type StreamServerOptions,
} from './stream-server.js';
export { TcpServer, type TcpServerOptions } from './tcp-server.js';
export { UdpServer, type UdpServerOptions } from './udp-server.js';
export { UnixDatagramServer, type UnixDatagramServerOptions } from './unix-datagram-server.js';
export { UnixStreamServer, type UnixStreamServerOptions } from './unix-stream-server.js';
