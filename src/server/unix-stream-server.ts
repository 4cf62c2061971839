/**
 * `UnixStreamServer`: Python's `UnixStreamServer` — a stream server on a Unix socket path.
 * @module
 */
import net from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import { claimUnixSocketPath } from '../socket/unix-path.js';
import type { PeerAddress } from './handler-types.js';
import { createStreamListener, type ListenerEvents, listenOn } from './listener.js';
import { StreamServer, type StreamServerOptions } from './stream-server.js';
import { isPathClaimed } from './worker-arrangements.js';

/**
 * Options of a `UnixStreamServer`: the stream server options and the socket path (no TCP
 * address or option: `host`, `port`, `ipv6Only`, `noDelay` do not type-check here).
 */
export interface UnixStreamServerOptions extends StreamServerOptions {
  /** The socket file to create (removed again on close). */
  path: string;
}

/**
 * A stream server on a Unix domain socket. A stale socket file left by a crashed server
 * is removed (only when nothing accepts connections on it); a live one, or anything that
 * is not a socket, is an `AddressInUseError` (see `claimUnixSocketPath`).
 *
 * @example
 * ```ts
 * await using server = await new UnixStreamServer({
 *   path: '/tmp/echo.sock',
 *   handler: async (conn) => { for await (const c of conn) await conn.sendAll(c); },
 * }).listen();
 * ```
 */
export class UnixStreamServer extends StreamServer {
  readonly #path: string;
  readonly #options: UnixStreamServerOptions;

  /** @throws {InvalidArgumentError} for a bad option. */
  constructor(options: UnixStreamServerOptions) {
    super(options);
    if (typeof options.path !== 'string' || options.path.length === 0) {
      throw new InvalidArgumentError('path must be a non-empty string (the socket file)');
    }
    this.#path = options.path;
    this.#options = options;
  }

  get transport(): 'unix' | 'tls' {
    return this.#options.tls === undefined ? 'unix' : 'tls';
  }

  protected localAddress(): PeerAddress {
    return { family: 'unix', path: this.#path };
  }

  protected remoteOf(_raw: net.Socket): PeerAddress {
    // A Unix stream client is almost always unbound: its address is the empty path.
    return { family: 'unix', path: '' };
  }

  protected async createListener(events: ListenerEvents): Promise<net.Server> {
    // Under a ClusterSupervisor the primary claimed the path (worker-arrangements.ts).
    if (!isPathClaimed(this)) await claimUnixSocketPath(this.#path);
    const server = createStreamListener(this.#options.tls, events);
    await listenOn(server, { path: this.#path, backlog: this.backlogSize }, (error) =>
      this.acceptError(error),
    );
    return server;
  }
}
