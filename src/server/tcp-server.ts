/**
 * `TcpServer`: Python's `TCPServer`, with TLS, limits and concurrency built in.
 * @module
 */
import type net from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import { checkPort } from '../internal/check-option.js';
import { toPeerAddress } from '../socket/address.js';
import type { PeerAddress } from './handler-types.js';
import { createStreamListener, type ListenerEvents, listenOn } from './listener.js';
import { StreamServer, type StreamServerOptions } from './stream-server.js';

/** Options of a `TcpServer`: the stream server options and a TCP address. */
export interface TcpServerOptions extends StreamServerOptions {
  /**
   * The address to listen on. Default `127.0.0.1` — loopback only, safe by default; use
   * `0.0.0.0` for every IPv4 interface, or `::` for every interface, IPv6 and (unless
   * `ipv6Only`) IPv4 too (dual stack).
   */
  host?: string;
  /** The port; 0 (the default) picks a free one (read it back from `address`). */
  port?: number;
  /** With host `::`: accept IPv6 clients only. Default false (dual stack). */
  ipv6Only?: boolean;
  /** Disable Nagle's algorithm on each connection (`TCP_NODELAY`). Default true. */
  noDelay?: boolean;
}

/**
 * A TCP (or TLS) server.
 *
 * @example
 * ```ts
 * const server = new TcpServer({
 *   port: 7007,
 *   handler: async (conn) => {
 *     for await (const chunk of conn) await conn.sendAll(chunk); // echo
 *   },
 * });
 * await server.listen();
 * await server.serveForever(); // until server.shutdown()
 * ```
 */
export class TcpServer extends StreamServer {
  readonly #host: string;
  readonly #port: number;
  readonly #options: TcpServerOptions;
  /** The bound address, read once after binding (every connection's `ctx.local`). */
  #bound: PeerAddress | null = null;

  /** @throws {InvalidArgumentError} for a bad option. */
  constructor(options: TcpServerOptions) {
    super(options);
    const port = options.port ?? 0;
    checkPort(port);
    if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) {
      throw new InvalidArgumentError('host must be a non-empty string');
    }
    if (
      options.tls !== undefined &&
      (options.tls.key === undefined || options.tls.cert === undefined)
    ) {
      throw new InvalidArgumentError('tls needs both key and cert (PEM contents)');
    }
    this.#host = options.host ?? '127.0.0.1';
    this.#port = port;
    this.#options = options;
  }

  get transport(): 'tcp' | 'tls' {
    return this.#options.tls === undefined ? 'tcp' : 'tls';
  }

  protected localAddress(): PeerAddress {
    // Asked for every connection: `address()` is a getsockname system call, so ask once.
    if (this.#bound !== null) return this.#bound;
    const bound = this.raw?.address();
    if (bound !== null && bound !== undefined && typeof bound === 'object') {
      // Frozen: every connection's context shares it.
      this.#bound = Object.freeze(toPeerAddress(bound.address, bound.port, bound.family));
      return this.#bound;
    }
    return toPeerAddress(this.#host, this.#port, undefined);
  }

  protected remoteOf(raw: net.Socket): PeerAddress {
    return toPeerAddress(raw.remoteAddress, raw.remotePort, raw.remoteFamily);
  }

  protected override prepareSocket(raw: net.Socket): void {
    raw.setNoDelay(this.#options.noDelay ?? true);
  }

  protected async createListener(events: ListenerEvents): Promise<net.Server> {
    const server = createStreamListener(this.#options.tls, events);
    await listenOn(
      server,
      {
        host: this.#host,
        port: this.#port,
        backlog: this.backlogSize,
        ipv6Only: this.#options.ipv6Only ?? false,
      },
      (error) => this.acceptError(error),
    );
    return server;
  }
}
