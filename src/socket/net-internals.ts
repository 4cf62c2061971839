/**
 * The few places socketkit reads Node internals that have no public API: the libuv
 * handle's file descriptor, the handle type that tells a Unix socket from TCP, and the
 * listening handle's `listen` (to change the backlog of a socket already listening).
 * Both are Linux/libuv-specific and kept here so that a Node change breaks one file.
 * @module
 */
import type * as net from 'node:net';

interface WithHandle {
  _handle?: { fd?: unknown; constructor?: { name?: unknown } } | null;
  _parent?: net.Socket | null;
}

/** The OS file descriptor of a socket's libuv handle, if it exposes one (not on Windows, not TLS). */
export function handleFd(sock: net.Socket): number | undefined {
  const fd = (sock as unknown as WithHandle)._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** The family of a connected socket: from its peer address, or `unix` for a libuv Pipe handle. */
export function detectFamily(sock: net.Socket): 'IPv4' | 'IPv6' | 'unix' | undefined {
  if (sock.remoteFamily === 'IPv4' || sock.remoteFamily === 'IPv6') return sock.remoteFamily;
  const internals = sock as unknown as WithHandle;
  if (internals._handle?.constructor?.name === 'Pipe') return 'unix';
  // A TLSSocket wrapping another socket: ask the wrapped one.
  if (internals._parent) return detectFamily(internals._parent);
  return undefined;
}

interface WithListenHandle {
  _handle?: { listen?: unknown } | null;
}

/**
 * Calls `listen(2)` again on a listening server's handle with a new backlog (Linux and the
 * BSDs resize the queue of a socket that is already listening). Returns the libuv status
 * (0, or a negative errno), or undefined when the server has no such handle (not
 * listening, or a cluster worker's handle shared through the primary).
 */
export function relisten(server: net.Server, backlog: number): number | undefined {
  const handle = (server as unknown as WithListenHandle)._handle;
  const listen = handle?.listen;
  if (typeof listen !== 'function') return undefined;
  const status: unknown = listen.call(handle, backlog);
  return typeof status === 'number' ? status : undefined;
}

/**
 * True when `sock` sits directly on a libuv TCP handle: the one case where
 * `resetAndDestroy()` works (it throws for a TLSSocket, whose handle is a TLSWrap, and for
 * a Unix socket's Pipe).
 */
export function onTcpHandle(sock: net.Socket): boolean {
  return (sock as unknown as WithHandle)._handle?.constructor?.name === 'TCP';
}
