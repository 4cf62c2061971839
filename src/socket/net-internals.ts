/**
 * The few places socketkit reads Node internals that have no public API: the libuv
 * handle's file descriptor and the handle type that tells a Unix socket from TCP.
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
