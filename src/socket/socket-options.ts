/**
 * The stream socket options Node can honour, behind Python-style `setOption`/`getOption`.
 *
 * | option          | value                                   | how                         |
 * |-----------------|-----------------------------------------|-----------------------------|
 * | `TCP_NODELAY`   | boolean                                 | `socket.setNoDelay()`       |
 * | `SO_KEEPALIVE`  | boolean, or `{ enable, idle }` (seconds) | `socket.setKeepAlive()`     |
 * | `TCP_KEEPIDLE`  | seconds before the first probe          | `socket.setKeepAlive(true)` |
 * | `SO_LINGER`     | `0` / `{ onoff: true, linger: 0 }` / off | `close()` resets (RST)      |
 *
 * Node has no `setsockopt`: anything else (and a non-zero linger time, and buffer sizes,
 * which Node only exposes on UDP sockets) throws `UnsupportedOptionError` rather than
 * pretending to work. Options set before `connect` are applied once connected.
 * @module
 */
import type * as net from 'node:net';
import { InvalidArgumentError, UnsupportedOptionError } from '../errors.js';
import type { AbortOptions } from '../internal/abort-signal.js';
import { checkPositiveInt, checkSeconds } from '../internal/check-option.js';
import { DEFAULT_RECEIVE_HIGH_WATER_MARK } from './receive-buffer.js';
import type { TlsConnectOptions } from './tls-pin.js';
import { checkTimeout } from './wait.js';

/** Options of `new Socket()` and `Socket.fromNetSocket()`. */
export interface SocketOptions {
  /** The address family to connect with; `unix` for Unix stream sockets. Default: any. */
  family?: 'IPv4' | 'IPv6' | 'unix';
  /** Seconds every waiting operation may take; `null` = wait for ever; `0` = non-blocking. */
  timeout?: number | null;
  /** Received bytes queued before reading from the kernel pauses. Default 1 MiB. */
  highWaterMark?: number;
  /** Seconds a graceful `close()` may take in all (flushing and lingering) before it destroys the socket. Default 30. */
  closeTimeout?: number;
  /**
   * Seconds `close()` keeps reading and discarding after our FIN, until the peer closes
   * too (a "lingering close": unread input would make the kernel reset the connection
   * and the peer could lose the end of our data). `0` = destroy as soon as the FIN is
   * out. Default 2.
   */
  lingerTimeout?: number;
}

/**
 * Options of `Socket.close()`. `signal` aborts the wait for the graceful close: the
 * connection is then reset (the peer sees `ECONNRESET`) and `close()` rejects with
 * `signal.reason`.
 */
export interface CloseOptions extends AbortOptions {
  /**
   * Resolve only once the connection is fully closed (the peer closed too, or the
   * linger time passed), not as soon as our data and FIN are out. Default false.
   */
  wait?: boolean;
}

/** Options of `Socket.connect()` (`signal` aborts the attempt: the socket is then destroyed). */
export interface ConnectOptions extends AbortOptions {
  /** Overrides the socket's timeout for this connect only. */
  timeout?: number | null;
  /** The local address to connect from. */
  localAddress?: string;
  /** The local port to connect from. */
  localPort?: number;
  /**
   * Wrap the connection in TLS with these options (`servername` defaults to the host).
   * The certificate is verified (chain and name) unless `fingerprint256` pins it instead.
   */
  tls?: TlsConnectOptions;
  /** A custom resolver (`dns.lookup`'s signature), e.g. to pin a name to addresses. */
  lookup?: net.LookupFunction;
}

/**
 * Options of `Socket.startTls()`: TLS over a connection that is already open (STARTTLS,
 * a proxy's tunnel). `signal` aborts the handshake: the connection is then destroyed.
 */
export interface StartTlsOptions extends AbortOptions {
  /**
   * The host the server's certificate must be for (an IP address is checked against its
   * IP SANs), also sent as SNI when it is a name. Default: the host connected to (for a
   * Unix socket, `localhost`, as `connect`'s TLS). `tls.servername` overrides both.
   */
  host?: string;
  /**
   * `node:tls` client options, as `ConnectOptions.tls`: the certificate is verified
   * (system CAs, or `ca`) unless `rejectUnauthorized: false`, or `fingerprint256` pins
   * it instead (checked after the handshake, as `connect` checks it: a mismatch fails
   * with `TlsFingerprintError` and the connection is closed before any byte is sent).
   */
  tls?: TlsConnectOptions;
  /** Seconds the handshake may take; default the socket's operation timeout. */
  timeout?: number | null;
}

/** Options of `Socket.recvUntil()`. */
export interface RecvUntilOptions extends AbortOptions {
  /** Most bytes to buffer while looking for the delimiter (delimiter included). Default 64 KiB. */
  maxBytes?: number;
  /** Keep the delimiter at the end of the result. Default false. */
  keepDelimiter?: boolean;
}

/** The default of `SocketOptions.closeTimeout`, in seconds. */
export const DEFAULT_CLOSE_TIMEOUT = 30;

/** The default of `SocketOptions.lingerTimeout`, in seconds. */
export const DEFAULT_LINGER_TIMEOUT = 2;

/**
 * Checks `SocketOptions` and fills in the defaults.
 * @throws {InvalidArgumentError} for a bad value.
 */
export function checkSocketOptions(options: SocketOptions): {
  family: 'IPv4' | 'IPv6' | 'unix' | undefined;
  timeout: number | null;
  highWaterMark: number;
  closeTimeout: number;
  lingerTimeout: number;
} {
  const family = options.family;
  if (family !== undefined && family !== 'IPv4' && family !== 'IPv6' && family !== 'unix') {
    throw new InvalidArgumentError(
      `family must be 'IPv4', 'IPv6' or 'unix', got ${String(family)}`,
    );
  }
  const highWaterMark = options.highWaterMark ?? DEFAULT_RECEIVE_HIGH_WATER_MARK;
  checkPositiveInt(highWaterMark, 'highWaterMark');
  const closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
  checkTimeout(closeTimeout, 'closeTimeout');
  const lingerTimeout = options.lingerTimeout ?? DEFAULT_LINGER_TIMEOUT;
  checkTimeout(lingerTimeout, 'lingerTimeout');
  return {
    family,
    timeout: checkTimeout(options.timeout ?? null),
    highWaterMark,
    closeTimeout,
    lingerTimeout,
  };
}

/** The names accepted by `Socket.setOption`/`getOption`. */
export type StreamOptionName = 'TCP_NODELAY' | 'SO_KEEPALIVE' | 'TCP_KEEPIDLE' | 'SO_LINGER';

/** `SO_LINGER` as Python's `struct linger`. Only `linger: 0` (reset on close) is supported. */
export interface Linger {
  onoff: boolean;
  linger: number;
}

/** The value of `SO_KEEPALIVE` in its long form; `idle` is in seconds. */
export interface KeepAlive {
  enable: boolean;
  idle?: number;
}

const KNOWN = new Set<string>(['TCP_NODELAY', 'SO_KEEPALIVE', 'TCP_KEEPIDLE', 'SO_LINGER']);

/** Remembers a stream socket's options and applies them to its `net.Socket`. */
export class StreamOptions {
  #noDelay = false;
  #keepAlive = false;
  #keepIdle = 0; // seconds; 0 = the system default
  #lingerZero = false;
  /** Options the caller set: only those are applied, so a wrapped socket keeps its own settings. */
  readonly #set = new Set<string>();

  /** True when `SO_LINGER` is 0: `close()` must reset the connection. */
  get lingerZero(): boolean {
    return this.#lingerZero;
  }

  /**
   * Sets an option, applying it to `sock` when connected.
   * @throws {UnsupportedOptionError} for an option Node cannot honour.
   * @throws {InvalidArgumentError} for a malformed value.
   */
  set(name: string, value: unknown, sock: net.Socket | null, unix: boolean): void {
    if (!KNOWN.has(name)) throw new UnsupportedOptionError(name);
    if (unix && name !== 'SO_LINGER') {
      throw new UnsupportedOptionError(
        name,
        `socket option ${name} does not apply to Unix sockets`,
      );
    }
    switch (name) {
      case 'TCP_NODELAY':
        this.#noDelay = toBool(name, value);
        break;
      case 'SO_KEEPALIVE':
        if (typeof value === 'object' && value !== null) {
          const ka = value as Partial<KeepAlive>;
          this.#keepAlive = toBool(`${name}.enable`, ka.enable);
          if (ka.idle !== undefined) this.#keepIdle = toSeconds(ka.idle, `${name}.idle`);
        } else {
          this.#keepAlive = toBool(name, value);
        }
        break;
      case 'TCP_KEEPIDLE':
        this.#keepIdle = toSeconds(value, name);
        break;
      case 'SO_LINGER':
        this.#lingerZero = toLingerZero(value);
        break;
    }
    this.#set.add(name === 'TCP_KEEPIDLE' ? 'SO_KEEPALIVE' : name);
    if (sock !== null) this.apply(sock, unix);
  }

  /**
   * Reads an option back (the value socketkit set, since Node cannot query the kernel).
   * @throws {UnsupportedOptionError} for an option Node cannot honour.
   */
  get(name: string): unknown {
    switch (name) {
      case 'TCP_NODELAY':
        return this.#noDelay;
      case 'SO_KEEPALIVE':
        return this.#keepAlive;
      case 'TCP_KEEPIDLE':
        return this.#keepIdle;
      case 'SO_LINGER':
        return { onoff: this.#lingerZero, linger: 0 } satisfies Linger;
      default:
        throw new UnsupportedOptionError(name);
    }
  }

  /** Applies the remembered options to a connected socket. */
  apply(sock: net.Socket, unix: boolean): void {
    if (unix) return;
    if (this.#set.has('TCP_NODELAY')) sock.setNoDelay(this.#noDelay);
    if (this.#set.has('SO_KEEPALIVE')) sock.setKeepAlive(this.#keepAlive, this.#keepIdle * 1000);
  }
}

function toBool(name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  throw new InvalidArgumentError(`${name} must be a boolean (or 0/1), got ${String(value)}`);
}

/** A required number of seconds (checkSeconds lets a left-out `undefined` pass). */
function toSeconds(value: unknown, name: string): number {
  checkSeconds(value ?? null, name);
  return value as number;
}

function toLingerZero(value: unknown): boolean {
  if (value === 0) return true;
  if (value === false || value === null) return false;
  if (typeof value === 'object' && value !== null) {
    const l = value as Partial<Linger>;
    if (!l.onoff) return false;
    if (l.linger === 0) return true;
    throw new UnsupportedOptionError(
      'SO_LINGER',
      'SO_LINGER with a non-zero linger time is not supported: Node.js can only reset the connection on close (linger 0)',
    );
  }
  throw new InvalidArgumentError(
    `SO_LINGER must be 0, false or { onoff, linger: 0 }, got ${String(value)}`,
  );
}
