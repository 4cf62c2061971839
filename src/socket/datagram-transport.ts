/**
 * The shape every datagram socket shares, whatever carries it: UDP over IPv4/IPv6
 * (`DatagramSocket`) or Unix datagram sockets (`UnixDatagramSocket`, from the server
 * framework). Servers and the CLI code against this interface only.
 * @module
 */
import { SocketClosedError } from '../errors.js';
import type { AbortOptions } from '../internal/abort-signal.js';
import type { AddressLike, PeerAddress, SocketAddress } from './address.js';

/** One received datagram. */
export interface Datagram {
  /** The payload, cut to the `maxBytes` of `recvFrom` (may be empty: an empty datagram is a message). */
  data: Buffer;
  /** Who sent it. For an unbound Unix datagram sender, `{ family: 'unix', path: '' }`. */
  address: PeerAddress;
  /** True when the datagram was longer than `maxBytes` and its excess was discarded. */
  truncated: boolean;
}

/** Options of `datagrams()`: how much of each datagram to keep, and an abort signal. */
export interface DatagramsOptions extends AbortOptions {
  /** Bytes kept of each datagram (the excess is discarded, `truncated` set). */
  maxBytes?: number;
}

/**
 * The loop of both sockets' `datagrams()`: receives until the socket is closed (the loop
 * ends) or a receive fails otherwise (an abort: the loop throws its reason).
 */
export async function* receiveUntilClosed(
  receive: () => Promise<Datagram>,
): AsyncIterableIterator<Datagram> {
  for (;;) {
    try {
      yield await receive();
    } catch (err) {
      if (err instanceof SocketClosedError) return;
      throw err;
    }
  }
}

/** A message-oriented socket: UDP or Unix datagram. */
export interface DatagramTransport extends AsyncIterable<Datagram>, AsyncDisposable {
  /** `udp` or `unix-dgram`. */
  readonly transport: 'udp' | 'unix-dgram';
  /** True once `close()` was called. */
  readonly closed: boolean;
  /** Datagrams dropped because the receive queue was full (oldest first). */
  readonly dropped: number;

  /** Binds to a local address (port 0 = any free port; read it back with `getSockName`). */
  bind(address: SocketAddress): Promise<void>;
  /**
   * Sends one datagram to `address` (a `Datagram.address` works as is); resolves to the
   * bytes sent. `options.signal` aborts the wait (it rejects with `signal.reason`).
   */
  sendTo(data: Uint8Array | string, address: AddressLike, options?: AbortOptions): Promise<number>;
  /**
   * Receives one datagram, keeping at most `maxBytes` of it. An aborted receive
   * (`options.signal`) takes no datagram: the next receive gets it.
   * @throws {SocketTimeoutError} / `WouldBlockError` as for stream sockets.
   */
  recvFrom(maxBytes: number, options?: AbortOptions): Promise<Datagram>;
  /**
   * Iterates over received datagrams until the socket is closed (the loop ends) or
   * `options.signal` aborts (the loop throws `signal.reason`); iterating the socket itself
   * is `datagrams()` with no options.
   */
  datagrams(options?: DatagramsOptions): AsyncIterableIterator<Datagram>;
  /** Fixes the peer: `send`/`recv` then talk to it only (connected datagram socket). */
  connect(address: SocketAddress, options?: AbortOptions): Promise<void>;
  /** Sends to the connected peer. */
  send(data: Uint8Array | string, options?: AbortOptions): Promise<number>;
  /** Receives from the connected peer (the payload only). */
  recv(maxBytes: number, options?: AbortOptions): Promise<Buffer>;
  /** The bound local address. */
  getSockName(): PeerAddress;
  /** The connected peer's address. */
  getPeerName(): PeerAddress;
  /** Seconds every waiting operation may take; `null` = for ever; `0` = non-blocking. */
  setOperationTimeout(seconds: number | null): void;
  getOperationTimeout(): number | null;
  /** `setBlocking(false)` = `setOperationTimeout(0)`. */
  setBlocking(flag: boolean): void;
  /** Closes the socket; pending receives reject with `SocketClosedError`. Idempotent. */
  close(): Promise<void>;
  /** Closes at once, synchronously (a datagram socket has nothing to flush). Idempotent. */
  destroy(): void;
}
