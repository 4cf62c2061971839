/**
 * `DatagramSocket`: UDP over IPv4/IPv6 with Python's `sendto`/`recvfrom` semantics, as
 * promises, on top of `node:dgram`.
 *
 * - `recvFrom(maxBytes)` returns one datagram; a longer one loses its excess and says
 *   `truncated: true` (Python silently truncates); an empty datagram is a real message.
 * - Datagrams that arrive while nobody reads wait in a bounded queue (drop-oldest,
 *   counted in `dropped`), see `DatagramQueue`.
 * - Timeouts and non-blocking mode work as for `Socket` (`setOperationTimeout(0)` =
 *   non-blocking), and so does `{ signal }` on every operation that waits.
 * @module
 */
import * as dgram from 'node:dgram';
import { type AbortOptions, checkSignal, raceAbort } from '../internal/abort-signal.js';
import {
  fromSystemError,
  InvalidArgumentError,
  NotConnectedError,
  SocketClosedError,
  type SocketkitError,
  SocketTimeoutError,
  WouldBlockError,
} from '../errors.js';
import { checkInteger } from '../internal/check-option.js';
import {
  type AddressLike,
  checkAddress,
  isUnixAddress,
  type PeerAddress,
  type SocketAddress,
  type TcpAddress,
  toPeerAddress,
} from './address.js';
import { type DatagramOptionName, DatagramOptions } from './datagram-options.js';
import { DatagramQueue, type DatagramQueueOptions } from './datagram-queue.js';
import {
  type Datagram,
  type DatagramsOptions,
  type DatagramTransport,
  receiveUntilClosed,
} from './datagram-transport.js';
import { toBuffer } from './to-buffer.js';
import { checkTimeout, waitForEvent } from './wait.js';
import { ignoreError } from '../internal/ignore-error.js';

/** Options of `new DatagramSocket()`. */
export interface DatagramSocketOptions extends DatagramQueueOptions {
  /** `IPv4` (default, Python's AF_INET) or `IPv6`. */
  family?: 'IPv4' | 'IPv6';
  /** Seconds every waiting operation may take; `null` = for ever; `0` = non-blocking. */
  timeout?: number | null;
  /** For IPv6: refuse IPv4-mapped traffic (no dual stack). */
  ipv6Only?: boolean;
  /** Let several sockets bind the same address (SO_REUSEADDR, e.g. for multicast). */
  reuseAddr?: boolean;
}

export type { DatagramOptionName };

const DEFAULT_RECV_SIZE = 65535;

/**
 * A promise-based UDP socket.
 *
 * @example
 * ```ts
 * const udp = new DatagramSocket({ timeout: 2 });
 * await udp.sendTo('', { host: '127.0.0.1', port: 37 });
 * const { data, address } = await udp.recvFrom(1024);
 * await udp.close();
 * ```
 */
export class DatagramSocket implements DatagramTransport {
  /** Always `udp`. */
  readonly transport = 'udp' as const;
  readonly #family: 'IPv4' | 'IPv6';
  readonly #sock: dgram.Socket;
  readonly #queue: DatagramQueue;
  readonly #options = new DatagramOptions();
  #timeout: number | null;
  #bound = false;
  #peer: TcpAddress | null = null;
  #pendingError: SocketkitError | null = null;
  #closed = false;

  /** @throws {InvalidArgumentError} for a bad option. */
  constructor(options: DatagramSocketOptions = {}) {
    const family = options.family ?? 'IPv4';
    if (family !== 'IPv4' && family !== 'IPv6') {
      throw new InvalidArgumentError(`family must be 'IPv4' or 'IPv6', got ${String(family)}`);
    }
    this.#family = family;
    this.#timeout = checkTimeout(options.timeout ?? null);
    this.#queue = new DatagramQueue(options);
    this.#sock = dgram.createSocket({
      type: family === 'IPv6' ? 'udp6' : 'udp4',
      ...(options.ipv6Only !== undefined ? { ipv6Only: options.ipv6Only } : {}),
      ...(options.reuseAddr !== undefined ? { reuseAddr: options.reuseAddr } : {}),
    });
    this.#sock.on('message', (data, rinfo) => {
      this.#queue.push({ data, address: toPeerAddress(rinfo.address, rinfo.port, rinfo.family) });
    });
    this.#sock.on('listening', () => {
      this.#bound = true;
      // Options set before binding; a failure is reported by the next receive.
      this.#pendingError ??= this.#options.apply(this.#sock, this.#localWhere());
    });
    // ICMP errors (ECONNREFUSED on a connected socket) surface here: they go to the
    // receive that is waiting, or to the next one, like Python's pending SO_ERROR.
    this.#sock.on('error', (err) => {
      const e = fromSystemError(err, { ...this.#peerWhere(), syscall: 'recv' });
      if (!this.#queue.failOne(e)) this.#pendingError = e;
    });
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Datagrams dropped because the receive queue was full. */
  get dropped(): number {
    return this.#queue.dropped;
  }

  /** The underlying `dgram.Socket` (escape hatch: multicast membership, …). */
  get raw(): dgram.Socket {
    return this.#sock;
  }

  /**
   * Binds to `address`; an empty host means every interface, port 0 any free port.
   * @throws {AddressInUseError}, `AddressNotAvailableError`, `PermissionDeniedError`.
   */
  async bind(address: SocketAddress, options: { exclusive?: boolean } = {}): Promise<void> {
    this.#checkOpen('bind');
    const a = this.#inet(
      checkAddress(address, 'address', this.#family === 'IPv6' ? '::' : '0.0.0.0'),
    );
    const where = { address: a.host, port: a.port, syscall: 'bind' };
    const listening = waitForEvent(this.#sock, 'listening', {
      timeoutMs: null,
      onTimeout: () => new SocketTimeoutError('bind', 0, where),
      convert: (err) => fromSystemError(err, where),
      closedError: () => new SocketClosedError('bind', where),
    });
    try {
      this.#sock.bind({ port: a.port, address: a.host, exclusive: options.exclusive ?? false });
    } catch (err) {
      listening.catch(ignoreError('socket:bind-waiter'));
      throw fromSystemError(err, where);
    }
    await listening;
  }

  /**
   * Sends one datagram to `address` (binding to an ephemeral port first if needed).
   * `options.signal` aborts the wait for the kernel (or a host name's look-up); an
   * already-aborted signal sends nothing, a later abort may find the datagram sent.
   */
  async sendTo(
    data: Uint8Array | string,
    address: AddressLike,
    options?: AbortOptions,
  ): Promise<number> {
    const signal = checkSignal(options?.signal);
    if (signal?.aborted === true) throw signal.reason;
    this.#checkOpen('sendTo');
    if (this.#peer !== null) {
      throw new InvalidArgumentError('sendTo on a connected datagram socket: use send()');
    }
    const a = this.#inet(checkAddress(address));
    const buf = toBuffer(data);
    const sent = this.#send(buf, { address: a.host, port: a.port, syscall: 'sendto' }, a);
    return signal === undefined ? sent : raceAbort(sent, signal);
  }

  /** Sends one datagram to the connected peer (`options.signal` as for `sendTo`). */
  async send(data: Uint8Array | string, options?: AbortOptions): Promise<number> {
    const signal = checkSignal(options?.signal);
    if (signal?.aborted === true) throw signal.reason;
    this.#checkOpen('send');
    if (this.#peer === null) throw new NotConnectedError('send');
    const sent = this.#send(toBuffer(data), { ...this.#peerWhere(), syscall: 'send' }, null);
    return signal === undefined ? sent : raceAbort(sent, signal);
  }

  #send(
    buf: Buffer,
    where: { address?: string; port?: number; syscall: string },
    to: TcpAddress | null,
  ): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const done = (err: Error | null, bytes?: number): void => {
        if (err) reject(fromSystemError(err, where));
        else resolve(bytes ?? buf.length);
      };
      try {
        if (to === null) this.#sock.send(buf, done);
        else this.#sock.send(buf, to.port, to.host, done);
      } catch (err) {
        reject(fromSystemError(err, where));
      }
    });
  }

  /**
   * Receives one datagram, keeping at most `maxBytes` bytes of it. `options.signal`
   * aborts the wait; an aborted receive takes no datagram (the next receive gets it).
   * @returns the data, the sender and whether the datagram was truncated.
   * @throws {SocketTimeoutError}, `WouldBlockError`, `SocketClosedError`, `ConnectionRefusedError` (connected UDP).
   */
  async recvFrom(maxBytes: number = DEFAULT_RECV_SIZE, options?: AbortOptions): Promise<Datagram> {
    checkInteger(maxBytes, 'maxBytes', 0);
    const signal = checkSignal(options?.signal);
    if (signal?.aborted === true) throw signal.reason;
    this.#checkOpen('recvFrom');
    const pending = this.#pendingError;
    if (pending !== null) {
      this.#pendingError = null;
      throw pending;
    }
    const timeout = this.#timeout;
    const d = await this.#queue.shift({
      timeoutMs: timeout === null || timeout === 0 ? null : timeout * 1000,
      onTimeout: () => new SocketTimeoutError('recvfrom', timeout ?? 0, this.#localWhere()),
      wouldBlock: timeout === 0 ? () => new WouldBlockError('recvfrom', this.#localWhere()) : null,
      signal,
    });
    const truncated = d.data.length > maxBytes;
    return {
      data: truncated ? d.data.subarray(0, maxBytes) : d.data,
      address: d.address,
      truncated,
    };
  }

  /** Receives one datagram's payload (at most `maxBytes` of it), Python's `recv` on UDP. */
  async recv(maxBytes: number = DEFAULT_RECV_SIZE, options?: AbortOptions): Promise<Buffer> {
    return (await this.recvFrom(maxBytes, options)).data;
  }

  /**
   * Connects to `address`: `send`/`recv` then talk to it only, and ICMP errors are
   * reported. `options.signal` aborts the wait (a host name's look-up); the socket is
   * then left unconnected.
   */
  async connect(address: AddressLike, options?: AbortOptions): Promise<void> {
    const signal = checkSignal(options?.signal);
    if (signal?.aborted === true) throw signal.reason;
    this.#checkOpen('connect');
    const a = this.#inet(checkAddress(address));
    const where = { address: a.host, port: a.port, syscall: 'connect' };
    const connected = waitForEvent(this.#sock, 'connect', {
      timeoutMs: null,
      onTimeout: () => new SocketTimeoutError('connect', 0, where),
      convert: (err) => fromSystemError(err, where),
      closedError: () => new SocketClosedError('connect', where),
      signal,
    });
    try {
      this.#sock.connect(a.port, a.host);
    } catch (err) {
      connected.catch(ignoreError('socket:connect-waiter'));
      throw fromSystemError(err, where);
    }
    try {
      await connected;
    } catch (err) {
      // Aborted: dgram cannot cancel the look-up; undo the connection when it completes.
      if (signal !== undefined && err === signal.reason) {
        this.#sock.once('connect', () => {
          if (this.#peer === null && !this.#closed) this.#sock.disconnect();
        });
      }
      throw err;
    }
    this.#peer = a;
  }

  /** Enables or disables sending to broadcast addresses (SO_BROADCAST). */
  setBroadcast(flag: boolean): void {
    this.setOption('SO_BROADCAST', flag);
  }

  /**
   * Sets a socket option; options set before the socket is bound apply once it is.
   * @throws {UnsupportedOptionError} for options Node cannot set on UDP sockets.
   */
  setOption(name: DatagramOptionName | (string & {}), value: number | boolean): void {
    this.#checkOpen('setOption');
    this.#options.set(name, value);
    const failed = this.#bound ? this.#options.apply(this.#sock, this.#localWhere()) : null;
    if (failed !== null) throw failed;
  }

  /** Reads an option: buffer sizes from the kernel once bound, others as set. */
  getOption(name: DatagramOptionName | (string & {})): number | boolean {
    return this.#options.get(name, this.#sock, this.#bound);
  }

  /** The bound local address (port 0 before the socket is bound). */
  getSockName(): PeerAddress {
    this.#checkOpen('getSockName');
    if (!this.#bound) {
      return { family: this.#family, address: this.#family === 'IPv6' ? '::' : '0.0.0.0', port: 0 };
    }
    const a = this.#sock.address();
    return toPeerAddress(a.address, a.port, a.family);
  }

  /** The connected peer's address. @throws {NotConnectedError} when not connected. */
  getPeerName(): PeerAddress {
    this.#checkOpen('getPeerName');
    if (this.#peer === null) throw new NotConnectedError('getPeerName');
    const a = this.#sock.remoteAddress();
    return toPeerAddress(a.address, a.port, a.family);
  }

  /** Sets the timeout of waiting operations (seconds); `null` = none; `0` = non-blocking. */
  setOperationTimeout(seconds: number | null): void {
    this.#timeout = checkTimeout(seconds);
  }

  /** The operation timeout in seconds (`null` = none, `0` = non-blocking). */
  getOperationTimeout(): number | null {
    return this.#timeout;
  }

  /** `setBlocking(false)` = `setOperationTimeout(0)`; `setBlocking(true)` = `setOperationTimeout(null)`. */
  setBlocking(flag: boolean): void {
    this.#timeout = flag ? null : 0;
  }

  /**
   * Closes the socket; pending receives reject with `SocketClosedError`, and it resolves
   * once the handle is closed. A datagram socket owes no peer a flush, so graceful and
   * abrupt differ only in waiting: `destroy()` is the same, synchronously. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    await new Promise<void>((resolve) => this.#close(resolve));
  }

  /** Closes at once, without waiting for the handle (see `close()`). Idempotent. */
  destroy(): void {
    if (!this.#closed) this.#close(() => {});
  }

  #close(done: () => void): void {
    this.#closed = true;
    this.#queue.close(new SocketClosedError('recvfrom', this.#localWhere()));
    try {
      this.#sock.close(done);
    } catch {
      done(); // already closed by the caller through `raw`
    }
  }

  /** `close()`, for `await using udp = …`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Iterates over received datagrams (up to `maxBytes`, default 64 KiB, each) until the
   * socket is closed (the loop then ends) or `options.signal` aborts (it throws
   * `signal.reason`).
   */
  datagrams(options: DatagramsOptions = {}): AsyncIterableIterator<Datagram> {
    const maxBytes = options.maxBytes ?? DEFAULT_RECV_SIZE;
    return receiveUntilClosed(() => this.recvFrom(maxBytes, options));
  }

  /** `datagrams()`: `for await (const { data, address } of udp)`. */
  [Symbol.asyncIterator](): AsyncIterator<Datagram> {
    return this.datagrams();
  }

  #inet(a: SocketAddress): TcpAddress {
    if (isUnixAddress(a)) {
      throw new InvalidArgumentError(
        'a UDP socket takes { host, port }; for Unix datagram sockets use UnixDatagramSocket',
      );
    }
    return a;
  }

  #checkOpen(op: string): void {
    if (this.#closed) throw new SocketClosedError(op, this.#localWhere());
  }

  #peerWhere(): { address?: string; port?: number } {
    return this.#peer === null ? {} : { address: this.#peer.host, port: this.#peer.port };
  }

  #localWhere(): { address?: string; port?: number } {
    if (!this.#bound || this.#closed) return {};
    try {
      const a = this.#sock.address();
      return { address: a.address, port: a.port };
    } catch {
      return {};
    }
  }
}
