/**
 * Unix datagram sockets (`AF_UNIX`, `SOCK_DGRAM`), which Node's core lacks, behind the
 * same `DatagramTransport` shape as UDP's `DatagramSocket`.
 *
 * Built on the native addon of the maintained `unix-dgram` package. Its JavaScript shim
 * is bypassed on purpose: the shim emits a `'message'` with a null buffer when `recvmsg`
 * fails (a crash in the listener) and drops `sendto`'s EAGAIN; here receive errors are
 * handled, and a full send buffer is retried until the socket's timeout.
 *
 * ```
 *  native poll (readable) ─► onRecv(status, buf, path) ─► listener (servers)
 *                                                      └► DatagramQueue ─► recvFrom()
 *  sendTo() ─► sendto(2) ─ EAGAIN/ENOBUFS ─► retry with backoff, bounded by the timeout
 * ```
 *
 * Limits: a received datagram is cut at 64 KiB (the addon's buffer); paths are at most
 * 107 bytes (`sun_path`); the abstract namespace (`\0name`) is not supported by the addon.
 * A sender must bind its own path to get replies (an unbound sender reports path '').
 * @module
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { getSystemErrorName } from 'node:util';
import {
  fromSystemError,
  InvalidArgumentError,
  SocketClosedError,
  SocketError,
  type SocketkitError,
  SocketTimeoutError,
  UnsupportedOptionError,
  WouldBlockError,
} from '../errors.js';
import { type AbortOptions, raceAbort, throwIfAborted } from '../internal/abort-signal.js';
import { checkInteger } from '../internal/check-option.js';
import type { PeerAddress, SocketAddress } from './address.js';
import { DatagramQueue, type DatagramQueueOptions } from './datagram-queue.js';
import {
  type Datagram,
  type DatagramsOptions,
  type DatagramTransport,
  receiveUntilClosed,
} from './datagram-transport.js';
import { toBuffer } from './to-buffer.js';
import { checkTimeout } from './wait.js';

/** The largest datagram the addon receives whole. */
export const UNIX_DATAGRAM_MAX_RECEIVE = 65536;
/** The longest socket path, in bytes (`sizeof(sun_path) - 1` on Linux). */
export const UNIX_PATH_MAX = 107;

interface Binding {
  AF_UNIX: number;
  SOCK_DGRAM: number;
  socket(
    domain: number,
    type: number,
    protocol: number,
    onRecv: (status: number, buf: Buffer | null, path: string | null) => void,
    onWritable: () => void,
  ): number;
  bind(fd: number, path: string): number;
  connect(fd: number, path: string): number;
  sendto(fd: number, buf: Buffer, offset: number, length: number, path: string): number;
  send(fd: number, buf: Buffer): number;
  close(fd: number): number;
}

let binding: Binding | null = null;

function loadBinding(): Binding {
  if (binding !== null) return binding;
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve('unix-dgram');
    const bindings = createRequire(main)('bindings') as (opts: object) => Binding;
    binding = bindings({ bindings: 'unix_dgram.node', module_root: dirname(dirname(main)) });
    return binding;
  } catch (err) {
    // unix-dgram is an optional dependency: on a machine without a C++ compiler npm
    // installs socketkit without it, and only Unix datagram sockets are unavailable.
    const missing = (err as { code?: unknown }).code === 'MODULE_NOT_FOUND';
    throw new UnsupportedOptionError(
      'AF_UNIX/SOCK_DGRAM',
      missing
        ? 'Unix datagram sockets are unavailable: the optional native package unix-dgram ' +
            'is not installed (building it needs a C++ compiler, make and python3; with ' +
            'them, run `npm install unix-dgram`)'
        : `Unix datagram sockets are unavailable: the native package unix-dgram failed to ` +
            `load (${err instanceof Error ? err.message : String(err)}); run ` +
            '`npm rebuild unix-dgram` (it needs a C++ compiler, make and python3)',
    );
  }
}

/** True when the native addon loads (Unix datagram sockets are available). */
export function unixDatagramAvailable(): boolean {
  try {
    loadBinding();
    return true;
  } catch {
    return false;
  }
}

/** Options of a `UnixDatagramSocket`. */
export interface UnixDatagramSocketOptions extends DatagramQueueOptions {
  /** Seconds every waiting operation may take; null (default) = for ever; 0 = non-blocking. */
  timeout?: number | null;
}

/** Checks a Unix socket path for what the addon can handle. */
function checkPath(address: SocketAddress, what: string): string {
  if (!('path' in address) || typeof address.path !== 'string' || address.path.length === 0) {
    throw new InvalidArgumentError(`${what} must be { path } for a Unix datagram socket`);
  }
  const path = address.path;
  if (path.startsWith('\0')) {
    throw new InvalidArgumentError(
      `${what}: the abstract namespace (\\0name) is not supported for Unix datagram sockets; use a file path`,
    );
  }
  if (Buffer.byteLength(path) > UNIX_PATH_MAX) {
    throw new InvalidArgumentError(
      `${what}: the path ${JSON.stringify(path)} is longer than ${UNIX_PATH_MAX} bytes, the limit of a Unix socket address`,
    );
  }
  return path;
}

function systemError(status: number, syscall: string, path?: string): SocketkitError {
  let code = `E${-status}`;
  try {
    code = getSystemErrorName(status);
  } catch {
    // A status libuv has no name for: `E<number>` above names it.
  }
  if (code === 'ENOENT' && path !== undefined && syscall !== 'bind') {
    return new SocketError(
      `cannot ${syscall} to ${path}: no such socket file (is the server running, and is the path right?)`,
      'ERR_SOCKET',
      { errno: code, syscall, path },
    );
  }
  const err = Object.assign(new Error(`${syscall} ${code}${path ? ` ${path}` : ''}`), {
    code,
    errno: status,
    syscall,
  });
  return fromSystemError(err, { path, syscall });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A Unix datagram socket: `bind`, `sendTo`, `recvFrom`, `connect`/`send`/`recv`, `close`. */
export class UnixDatagramSocket implements DatagramTransport {
  readonly transport = 'unix-dgram' as const;
  readonly #binding: Binding;
  #fd: number;
  readonly #queue: DatagramQueue;
  #timeout: number | null;
  #path: string | null = null;
  #peer: string | null = null;
  #listener: ((data: Buffer, address: PeerAddress) => void) | null = null;
  #writable: Array<() => void> = [];

  /**
   * @throws {UnsupportedOptionError} when the native addon is unavailable.
   * @throws {InvalidArgumentError} for a bad timeout.
   */
  constructor(options: UnixDatagramSocketOptions = {}) {
    this.#binding = loadBinding();
    this.#timeout = checkTimeout(options.timeout ?? null);
    this.#queue = new DatagramQueue(options);
    const fd = this.#binding.socket(
      this.#binding.AF_UNIX,
      this.#binding.SOCK_DGRAM,
      0,
      (status, buf, path) => this.#onRecv(status, buf, path),
      () => this.#onWritable(),
    );
    if (fd < 0) throw systemError(fd, 'socket');
    this.#fd = fd;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#fd === -1;
  }

  /** Datagrams dropped because the receive queue was full. */
  get dropped(): number {
    return this.#queue.dropped;
  }

  /** The file descriptor (−1 once closed). */
  fileno(): number {
    return this.#fd;
  }

  /**
   * Delivers every datagram to `listener` instead of the receive queue (what servers use:
   * no queue, no per-datagram promise). Pass null to go back to `recvFrom`.
   */
  onDatagram(listener: ((data: Buffer, address: PeerAddress) => void) | null): void {
    this.#listener = listener;
  }

  /**
   * Binds to a path. The file must not exist (remove a stale one first).
   * @throws {AddressInUseError} when the path exists.
   */
  async bind(address: SocketAddress): Promise<void> {
    const path = checkPath(address, 'bind address');
    this.#check('bind');
    const status = this.#binding.bind(this.#fd, path);
    if (status < 0) throw systemError(status, 'bind', path);
    this.#path = path;
  }

  /** Fixes the peer: `send()` and `recv()` then talk to it only. */
  async connect(address: SocketAddress, options?: AbortOptions): Promise<void> {
    // Connecting a Unix datagram socket does not wait: only an aborted signal refuses it.
    throwIfAborted(options);
    const path = checkPath(address, 'connect address');
    this.#check('connect');
    const status = this.#binding.connect(this.#fd, path);
    if (status < 0) throw systemError(status, 'connect', path);
    this.#peer = path;
  }

  /**
   * Sends one datagram to the socket at `address.path`; resolves to the bytes sent.
   * A full send buffer is retried until the socket's timeout, or until `options.signal`
   * aborts (nothing was sent then).
   * @throws {ConnectError} (ECONNREFUSED, ENOENT) when nothing is bound at the path.
   */
  async sendTo(
    data: Uint8Array | string,
    address: SocketAddress,
    options?: AbortOptions,
  ): Promise<number> {
    const signal = throwIfAborted(options);
    const path = checkPath(address, 'destination');
    return this.#send(toBuffer(data), path, signal);
  }

  /** Sends to the connected peer (`options.signal` as for `sendTo`). */
  async send(data: Uint8Array | string, options?: AbortOptions): Promise<number> {
    const signal = throwIfAborted(options);
    if (this.#peer === null) {
      throw new InvalidArgumentError(
        'send() needs a connected socket: call connect() or use sendTo()',
      );
    }
    return this.#send(toBuffer(data), this.#peer, signal);
  }

  /**
   * Receives one datagram, keeping at most `maxBytes` of it. An aborted receive
   * (`options.signal`) takes no datagram: the next receive gets it.
   */
  async recvFrom(maxBytes: number, options?: AbortOptions): Promise<Datagram> {
    checkInteger(maxBytes, 'maxBytes', 0);
    const signal = throwIfAborted(options);
    this.#check('recvfrom');
    const timeout = this.#timeout;
    const d = await this.#queue.shift({
      timeoutMs: timeout === null || timeout === 0 ? null : timeout * 1000,
      onTimeout: () =>
        new SocketTimeoutError('recvfrom', timeout ?? 0, { path: this.#path ?? undefined }),
      wouldBlock: timeout === 0 ? () => new WouldBlockError('recvfrom') : null,
      signal,
    });
    const truncated = d.data.length > maxBytes;
    return {
      data: truncated ? d.data.subarray(0, maxBytes) : d.data,
      address: d.address,
      truncated,
    };
  }

  /** Receives one datagram's payload from the connected peer. */
  async recv(maxBytes: number, options?: AbortOptions): Promise<Buffer> {
    return (await this.recvFrom(maxBytes, options)).data;
  }

  /** The bound path (`''` when unbound). */
  getSockName(): PeerAddress {
    return { family: 'unix', path: this.#path ?? '' };
  }

  /** The connected peer's path. */
  getPeerName(): PeerAddress {
    if (this.#peer === null)
      throw new SocketClosedError('getpeername: the socket is not connected');
    return { family: 'unix', path: this.#peer };
  }

  /** Sets the timeout of waiting operations (seconds); `null` = none; `0` = non-blocking. */
  setOperationTimeout(seconds: number | null): void {
    this.#timeout = checkTimeout(seconds);
  }

  /** The operation timeout in seconds (`null` = none, `0` = non-blocking). */
  getOperationTimeout(): number | null {
    return this.#timeout;
  }

  setBlocking(flag: boolean): void {
    this.#timeout = flag ? null : 0;
  }

  /**
   * Closes the socket; waiting receives reject with `SocketClosedError`. Does not unlink
   * the path. Closing a datagram socket never waits: `destroy()` is the same, synchronously.
   */
  async close(): Promise<void> {
    this.destroy();
  }

  /** Closes at once (see `close()`). Idempotent. */
  destroy(): void {
    if (this.#fd === -1) return;
    const fd = this.#fd;
    this.#fd = -1;
    this.#binding.close(fd);
    this.#queue.close(new SocketClosedError('recvfrom'));
    const writable = this.#writable;
    this.#writable = [];
    for (const wake of writable) wake();
  }

  /**
   * Iterates over received datagrams (up to `maxBytes` each, default the largest a Unix
   * datagram socket takes) until the socket is closed (the loop then ends) or
   * `options.signal` aborts (it throws `signal.reason`).
   */
  datagrams(options: DatagramsOptions = {}): AsyncIterableIterator<Datagram> {
    const maxBytes = options.maxBytes ?? UNIX_DATAGRAM_MAX_RECEIVE;
    return receiveUntilClosed(() => this.recvFrom(maxBytes, options));
  }

  /** `datagrams()`: `for await (const { data, address } of sock)`. */
  [Symbol.asyncIterator](): AsyncIterator<Datagram> {
    return this.datagrams();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #check(operation: string): void {
    if (this.#fd === -1) throw new SocketClosedError(operation, { path: this.#path ?? undefined });
  }

  #onRecv(status: number, buf: Buffer | null, path: string | null): void {
    if (this.#fd === -1) return;
    if (status < 0 || buf === null) {
      // EAGAIN is a spurious wake-up; anything else (ECONNREFUSED after sending to a
      // vanished peer) fails one waiting receive, as a UDP ICMP error does.
      const name = safeErrorName(status);
      if (name !== 'EAGAIN' && name !== 'EWOULDBLOCK') {
        this.#queue.failOne(systemError(status, 'recvfrom', this.#peer ?? undefined));
      }
      return;
    }
    const address: PeerAddress = { family: 'unix', path: path ?? '' };
    if (this.#listener !== null) this.#listener(buf, address);
    else this.#queue.push({ data: buf, address });
  }

  #onWritable(): void {
    const writable = this.#writable;
    this.#writable = [];
    for (const wake of writable) wake();
  }

  async #send(buf: Buffer, path: string, signal: AbortSignal | undefined): Promise<number> {
    const deadline = this.#timeout === null ? null : Date.now() + this.#timeout * 1000;
    for (let attempt = 0; ; attempt++) {
      this.#check('send');
      const status =
        this.#peer !== null && path === this.#peer
          ? this.#binding.send(this.#fd, buf)
          : this.#binding.sendto(this.#fd, buf, 0, buf.length, path);
      if (status === 0) return buf.length;
      const name = status === 1 ? 'EAGAIN' : safeErrorName(status);
      if (name !== 'EAGAIN' && name !== 'EWOULDBLOCK' && name !== 'ENOBUFS') {
        throw systemError(status, 'send', path);
      }
      // The receiver's queue is full. Wait and retry, within the timeout.
      if (this.#timeout === 0) throw new WouldBlockError('send', { path });
      if (deadline !== null && Date.now() >= deadline) {
        throw new SocketTimeoutError('send', this.#timeout ?? 0, { path });
      }
      const wait =
        status === 1
          ? // `send` on a connected socket armed the addon's writable watcher.
            new Promise<void>((resolve) => {
              this.#writable.push(resolve);
              setTimeout(resolve, 100).unref();
            })
          : sleep(Math.min(2 ** attempt, 50));
      await (signal === undefined ? wait : raceAbort(wait, signal));
    }
  }
}

function safeErrorName(status: number): string {
  try {
    return getSystemErrorName(status);
  } catch {
    return `E${-status}`;
  }
}
