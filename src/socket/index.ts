/**
 * `socketkit/socket`: BSD sockets, the promise way.
 * @module
 */
export * from './address.js';
export * from './datagram-options.js';
export * from './datagram-queue.js';
export * from './datagram-socket.js';
export type * from './datagram-transport.js';
export * from './listener.js';
export type { KeepAlive, Linger, StreamOptionName } from './socket-options.js';
export * from './reset-connection.js';
export * from './stream-connection.js';
export * from './tcp-socket.js';
export * from './tls-server.js';
export * from './unix-datagram.js';
export * from './unix-path.js';
