/**
 * The few places socketkit reads Node internals that have no public API: the libuv
 * handle's file descriptor, the handle type that tells a Unix socket from TCP, the
 * listening handle's `listen` (to change the backlog of a socket already listening), and
 * the `onread` machinery (a reused read buffer) on sockets a server accepted.
 * All are Linux/libuv-specific and kept here so that a Node change breaks one file.
 * @module
 */
import * as net from 'node:net';

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

/** The symbols under which `net.Socket` keeps its `onread` option (Node's kBuffer, kBufferCb, kBufferGen). */
interface OnreadSymbols {
  buffer: symbol;
  callback: symbol;
  generator: symbol;
}

let onreadSymbols: OnreadSymbols | null | undefined;

/**
 * Node's own `onread` symbols, found once on a socket built with the public `onread`
 * option (never connected): reading them by description keeps us off `internal/`
 * modules, and a Node without them gives null (the caller then keeps `'data'` events).
 */
function findOnreadSymbols(): OnreadSymbols | null {
  if (onreadSymbols !== undefined) return onreadSymbols;
  onreadSymbols = null;
  try {
    // `onread` is documented for net.Socket but missing from @types/node's constructor type.
    const options = { onread: { buffer: Buffer.alloc(1), callback: () => true } };
    const probe = new net.Socket(options as net.SocketConstructorOpts);
    const byName = new Map(Object.getOwnPropertySymbols(probe).map((s) => [s.description, s]));
    probe.destroy();
    const buffer = byName.get('kBuffer');
    const callback = byName.get('kBufferCb');
    const generator = byName.get('kBufferGen');
    if (buffer && callback && generator) onreadSymbols = { buffer, callback, generator };
  } catch {
    // A Node whose Socket refuses the option: no buffer reuse.
  }
  return onreadSymbols;
}

interface WithUserBuffer {
  _handle?: { useUserBuffer?: unknown; constructor?: { name?: unknown } } | null;
}

/**
 * Makes an accepted (or any connected) TCP or Unix socket read into `buffer`, reused for
 * every read, and hand each read to `callback(nread, buffer)` instead of emitting
 * `'data'`: what the public `onread` option of `net.Socket` does for a socket we create,
 * applied to one `net.Server` created (Node 20 has no such option for accepted sockets).
 * `pause()`/`resume()` keep working (they stop and start the handle's reads); EOF and
 * errors are reported as before. Returns false, changing nothing, when this Node or this
 * socket cannot (a TLS socket, no handle, internals not found).
 *
 * The bytes in `buffer` are valid only until the callback returns: the next read
 * overwrites them.
 */
export function readIntoBuffer(
  sock: net.Socket,
  buffer: Buffer,
  callback: (nread: number, buffer: Buffer) => boolean,
): boolean {
  const symbols = findOnreadSymbols();
  const handle = (sock as unknown as WithUserBuffer)._handle;
  if (symbols === null || !handle || typeof handle.useUserBuffer !== 'function') return false;
  const kind = handle.constructor?.name;
  if (kind !== 'TCP' && kind !== 'Pipe') return false;
  const fields = sock as unknown as Record<symbol, unknown>;
  // Only a socket still on Node's own allocation (kBuffer null): never twice.
  if (fields[symbols.buffer] !== null && fields[symbols.buffer] !== undefined) return false;
  fields[symbols.buffer] = buffer;
  fields[symbols.generator] = null;
  fields[symbols.callback] = callback;
  handle.useUserBuffer.call(handle, buffer);
  return true;
}
