/**
 * `socketkit/socket`: BSD sockets, the promise way.
 *
 * Named exports only: this list is the public surface (api/socketkit.api.md records it).
 * Helpers the other layers share (address checks, the Unix-path claim, TLS server
 * plumbing, connection resets on raw `net.Socket`s) stay importable inside `src/` by
 * their module path.
 * @module
 */
export type { AbortOptions } from '../internal/abort-signal.js';
export {
  type AddressInfo,
  type AddressLike,
  isUnixAddress,
  type SocketAddress,
  type TcpAddress,
  type UnixAddress,
} from './address.js';
export type { DatagramOptionName } from './datagram-options.js';
export type { DatagramQueueOptions } from './datagram-queue.js';
export { DatagramSocket, type DatagramSocketOptions } from './datagram-socket.js';
export type { Datagram, DatagramsOptions, DatagramTransport } from './datagram-transport.js';
export { type Accepted, Listener, type ListenerOptions } from './listener.js';
export type {
  CloseOptions,
  ConnectOptions,
  KeepAlive,
  Linger,
  RecvUntilOptions,
  SocketOptions,
  StartTlsOptions,
  StreamOptionName,
} from './socket-options.js';
export {
  type CloseLimits,
  type DataConsumer,
  type DataOptions,
  StreamConnection,
} from './stream-connection.js';
export {
  type RelayEndpoint,
  relayPair,
  type RelayPairOptions,
  type RelayResult,
  type RelaySide,
} from './relay-pair.js';
export { Socket } from './tcp-socket.js';
export type { TlsServerOptions } from './tls-server.js';
export type { TlsConnectOptions } from './tls-pin.js';
export {
  unixDatagramAvailable,
  UnixDatagramSocket,
  type UnixDatagramSocketOptions,
} from './unix-datagram.js';
export {
  connectThroughProxy,
  type ConnectThroughProxyOptions,
  DEFAULT_MAX_PROXY_REPLY_HEAD,
  DEFAULT_PROXY_TIMEOUT,
  PROXY_TYPES,
  type ProxyAuth,
  type ProxyType,
} from './connect-through-proxy.js';
