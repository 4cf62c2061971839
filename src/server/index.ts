/**
 * `socketkit/server`: Python's `socketserver`, done right for Node — TCP, TLS, UDP, Unix
 * stream and Unix datagram servers with `setup/handle/finish` handlers or plain async
 * functions, `serveForever`/`handleRequest`/`shutdown`/`close`, access lists, limits,
 * concurrent or serial serving, and a cluster supervisor for several processes. See
 * docs/server.md.
 * @module
 */
export * from './access-list.js';
export { BaseServer } from './base-server.js';
export { clientKey } from './address-limits.js';
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
export { type Concurrency, Limiter } from './concurrency.js';
export * from './datagram-server.js';
export type * from './handler-types.js';
export type { ServerTlsOptions } from './listener.js';
export * from './request-handler.js';
export * from './server-channels.js';
export type {
  BaseServerOptions,
  ErrorContext,
  ServerHooks,
  ShutdownOptions,
} from './server-options.js';
export {
  BUSY_LINE,
  isDisconnect,
  type StreamRequestHandlerClass,
  StreamServer,
  type StreamServerBaseOptions,
  type StreamServerOptions,
} from './stream-server.js';
export * from './tcp-server.js';
export * from './udp-server.js';
export * from './unix-datagram-server.js';
export * from './unix-stream-server.js';
