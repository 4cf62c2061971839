/**
 * The shapes of request handlers as plain functions: what a service (or a user's
 * program) writes to serve one stream connection or one datagram. The server
 * framework calls them; class-based handlers (`StreamRequestHandler`,
 * `DatagramRequestHandler`) are built on the same contexts.
 * @module
 */
import type { PeerAddress } from '../socket/address.js';
import type { Socket } from '../socket/tcp-socket.js';
import type { ProxyHeader } from '../framing/proxy-header.js';

// Defined in the socket layer (what sockets report); re-exported where handlers see it.
export type { PeerAddress };

/** What a stream handler knows about its connection. */
export interface ConnectionContext {
  /**
   * The client's address (for Unix sockets, usually an empty path). Behind a trusted
   * proxy (the server's `proxyProtocol`): the client its PROXY header named.
   */
  readonly remote: PeerAddress;
  /**
   * Set only for a connection from a trusted PROXY-protocol proxy: the proxy's own
   * address (the socket's peer). `remote` is then the client the header named (or this
   * address again for a LOCAL or UNKNOWN header).
   */
  readonly via?: PeerAddress;
  /** With `via`: the PROXY header the proxy sent (its version, command, both addresses). */
  readonly proxyHeader?: ProxyHeader;
  /** The address the server accepted the connection on. */
  readonly local: PeerAddress;
  /** `tcp`, `tls` or `unix`. */
  readonly transport: 'tcp' | 'tls' | 'unix';
  /** Aborted when the server shuts down: long-running handlers should finish promptly. */
  readonly signal: AbortSignal;
  /** A connection id, unique within the process, for logs. */
  readonly id: number;
}

/** Serves one stream connection. The server closes the socket when the promise settles. */
export type StreamHandler = (conn: Socket, ctx: ConnectionContext) => Promise<void> | void;

/** What a datagram handler knows about its packet, and how it answers. */
export interface DatagramContext {
  readonly remote: PeerAddress;
  readonly local: PeerAddress;
  /** `udp` or `unix-dgram`. */
  readonly transport: 'udp' | 'unix-dgram';
  /**
   * Set only for a datagram from a trusted PROXY-protocol proxy (a `UdpServer`'s
   * `proxyProtocol`): the proxy's own address, where `reply()`/`send()` answer. `remote`
   * is then the client its header named (or this address again for a LOCAL header).
   */
  readonly via?: PeerAddress;
  /** With `via`: the PROXY v2 header the datagram carried (stripped from the packet). */
  readonly proxyHeader?: ProxyHeader;
  /** True when the datagram was larger than the server's `maxPacketSize` and was cut. */
  readonly truncated: boolean;
  readonly signal: AbortSignal;
  /**
   * Sends one datagram back to the sender; resolves once it was handed to the kernel,
   * rejects when it could not be sent.
   */
  reply(data: Uint8Array | string): Promise<void>;
  /**
   * Sends one datagram back to the sender without a promise to wait for: a failure goes
   * to the server's `handleError` (phase `reply`) instead. The cheapest answer, for
   * handlers that have nothing left to do after it: a handler that returns no promise is
   * run with no promise at all (echo answers this way).
   */
  send(data: Uint8Array | string): void;
}

/** Serves one datagram. */
export type DatagramHandler = (packet: Buffer, ctx: DatagramContext) => Promise<void> | void;
