/**
 * Socket addresses: what callers pass in (`{ host, port }` or `{ path }`) and what
 * sockets report back (`PeerAddress`, with the family spelled out).
 * @module
 */
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import { checkPort } from '../internal/check-option.js';

// Defined in internal/check-option.ts; re-exported because `socketkit/socket` exported it from here.
export { checkPort };

/**
 * A peer or local address as sockets and servers report it: a host and port with the
 * family spelled out, or a Unix socket path. Defined here, in the socket layer, so the
 * server layer above can use it without the socket layer importing upward.
 */
export type PeerAddress =
  { family: 'IPv4' | 'IPv6'; address: string; port: number } | { family: 'unix'; path: string };

/** A TCP or UDP endpoint: a host name or IP literal and a port (0 = any free port when binding). */
export interface TcpAddress {
  host: string;
  port: number;
}

/** A Unix domain socket endpoint: a filesystem path (or, on Linux, `\0name` for the abstract namespace). */
export interface UnixAddress {
  path: string;
}

/** Where to connect or bind: a host and port, or a Unix socket path. */
export type SocketAddress = TcpAddress | UnixAddress;

/**
 * Either shape: what callers write (`{ host, port }`, `{ path }`) or what sockets report
 * (`PeerAddress`), so an address from `recvFrom` can be passed straight back to `sendTo`,
 * as in Python.
 */
export type AddressLike = SocketAddress | PeerAddress;

/** The address a socket reports (`getPeerName`, `getSockName`); same as the server's `PeerAddress`. */
export type AddressInfo = PeerAddress;

/** True when `address` names a Unix socket path. */
export function isUnixAddress(address: SocketAddress): address is UnixAddress {
  return typeof (address as Partial<UnixAddress>).path === 'string';
}

/**
 * Checks a caller-supplied address and returns it normalised; an empty or missing
 * host becomes `defaultHost` (`localhost` to connect, the wildcard address to bind).
 * @throws {InvalidArgumentError} when the host, port or path is malformed.
 */
export function checkAddress(
  address: unknown,
  what = 'address',
  defaultHost = 'localhost',
): SocketAddress {
  if (typeof address !== 'object' || address === null) {
    throw new InvalidArgumentError(
      `${what} must be { host, port } or { path }, got ${String(address)}`,
    );
  }
  const a = address as { host?: unknown; address?: unknown; port?: unknown; path?: unknown };
  if (a.path !== undefined) {
    if (typeof a.path !== 'string' || a.path.length === 0) {
      throw new InvalidArgumentError(`${what}.path must be a non-empty string`);
    }
    return { path: a.path };
  }
  checkPort(a.port, `${what}.port`);
  const host = a.host ?? a.address; // `address`: a PeerAddress handed back
  if (host !== undefined && typeof host !== 'string') {
    throw new InvalidArgumentError(`${what}.host must be a string`);
  }
  // Python's '' means "any address" when binding and "this host" when connecting.
  return { host: host === undefined || host === '' ? defaultHost : host, port: a.port };
}

/** Builds a `PeerAddress` from the pieces Node reports (`remoteAddress`, `remoteFamily`, …). */
export function toPeerAddress(
  address: string | undefined,
  port: number | undefined,
  family: string | number | undefined,
): PeerAddress {
  const fam =
    family === 'IPv6' || family === 6 || (family === undefined && isIP(address ?? '') === 6)
      ? 'IPv6'
      : 'IPv4';
  return { family: fam, address: address ?? '', port: port ?? 0 };
}

/** The `{ address, port, path }` fields errors carry, from a caller's address. */
export function errorWhere(address: SocketAddress | undefined): {
  address?: string;
  port?: number;
  path?: string;
} {
  if (address === undefined) return {};
  return isUnixAddress(address)
    ? { path: address.path }
    : { address: address.host, port: address.port };
}

/** Formats an address for humans: `127.0.0.1:80`, `[::1]:80`, `/tmp/x.sock`. */
export function formatSocketAddress(address: SocketAddress | PeerAddress): string {
  if ('path' in address) return address.path;
  const host = 'host' in address ? address.host : address.address;
  return `${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}
