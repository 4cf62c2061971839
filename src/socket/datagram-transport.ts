/**
 * The shape every datagram socket shares, whatever carries it: UDP over IPv4/IPv6
 * (`DatagramSocket`) or Unix datagram sockets (`UnixDatagramSocket`, from the server
 * framework). Servers and the CLI code against this interface only.
 * @module
 */
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
  /** Sends one datagram to `address` (a `Datagram.address` works as is); resolves to the bytes sent. */
  sendTo(data: Uint8Array | string, address: AddressLike): Promise<number>;
  /**
   * Receives one datagram, keeping at most `maxBytes` of it.
   * @throws {SocketTimeoutError} / `WouldBlockError` as for stream sockets.
   */
  recvFrom(maxBytes: number): Promise<Datagram>;
  /** Fixes the peer: `send`/`recv` then talk to it only (connected datagram socket). */
  connect(address: SocketAddress): Promise<void>;
  /** Sends to the connected peer. */
  send(data: Uint8Array | string): Promise<number>;
  /** Receives from the connected peer (the payload only). */
  recv(maxBytes: number): Promise<Buffer>;
  /** The bound local address. */
  getSockName(): PeerAddress;
  /** The connected peer's address. */
  getPeerName(): PeerAddress;
  /** Seconds every waiting operation may take; `null` = for ever; `0` = non-blocking. */
  setTimeout(seconds: number | null): void;
  getTimeout(): number | null;
  /** `setBlocking(false)` = `setTimeout(0)`. */
  setBlocking(flag: boolean): void;
  /** Closes the socket; pending receives reject with `SocketClosedError`. Idempotent. */
  close(): Promise<void>;
}
