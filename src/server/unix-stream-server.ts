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

/** Options of a `UnixStreamServer`: `path` is required; host, port and noDelay are ignored. */
export type UnixStreamServerOptions = StreamServerOptions & { path: string };

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
  readonly #options: StreamServerOptions;

  /** @throws {InvalidArgumentError} for a bad option. */
  constructor(options: StreamServerOptions) {
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

  protected override async prepareShared(): Promise<void> {
    // Workers run ahead of the primary and may have had it bind the path already.
    await claimUnixSocketPath(this.#path, { acceptOwn: true });
  }

  protected async createListener(events: ListenerEvents): Promise<net.Server> {
    // In a worker the primary did it (prepareShared): a probe here would connect to the
    // socket an earlier worker already shares, and be served as a (spurious) client.
    if (this.clusterRole !== 'worker') await claimUnixSocketPath(this.#path);
    const server = createStreamListener(this.#options.tls, events);
    await listenOn(server, { path: this.#path, backlog: this.backlogSize }, (error) =>
      this.acceptError(error),
    );
    return server;
  }
}
