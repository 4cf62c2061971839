/**
 * `UnixDatagramServer`: Python's `UnixDatagramServer`, on the native `UnixDatagramSocket`.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { UnixDatagramSocket } from '../socket/unix-datagram.js';
import { claimUnixSocketPath, removeOwnSocketFile } from '../socket/unix-path.js';
import { DatagramServer, type DatagramServerOptions } from './datagram-server.js';
import type { PeerAddress } from './handler-types.js';
import { relayOf } from './worker-arrangements.js';

/** Options of a `UnixDatagramServer`: the datagram server options and the socket path. */
export interface UnixDatagramServerOptions extends DatagramServerOptions {
  /** The socket file to create (removed again on close). */
  path: string;
}

/**
 * A datagram server on a Unix socket path. Clients must bind their own path to receive
 * replies (`ctx.reply()` to an unbound sender throws). `node:cluster` cannot share the
 * native socket: under a `ClusterSupervisor` the primary owns it and relays each datagram
 * to a worker (round-robin, over IPC), whose server serves it (worker-arrangements.ts).
 *
 * @example
 * ```ts
 * await using server = await new UnixDatagramServer({
 *   path: '/tmp/echo.dgram',
 *   handler: (packet, ctx) => ctx.reply(packet),
 * }).listen();
 * ```
 */
export class UnixDatagramServer extends DatagramServer {
  readonly #path: string;
  #socket: UnixDatagramSocket | null = null;
  /** The relay a cluster worker serves through (read at bind: replies use it). */
  #relay: ReturnType<typeof relayOf> = null;

  /**
   * @throws {InvalidArgumentError} for a bad option.
   * @throws {UnsupportedOptionError} when the native addon is unavailable (at `listen()`).
   */
  constructor(options: UnixDatagramServerOptions) {
    super(options);
    if (typeof options.path !== 'string' || options.path.length === 0) {
      throw new InvalidArgumentError('path must be a non-empty string (the socket file)');
    }
    this.#path = options.path;
  }

  get transport(): 'unix-dgram' {
    return 'unix-dgram';
  }

  protected localAddress(): PeerAddress {
    return { family: 'unix', path: this.#path };
  }

  protected async bind(): Promise<void> {
    const relay = relayOf(this);
    this.#relay = relay;
    if (relay !== null) {
      relay.onDatagram((data, path) => this.receive(data, { family: 'unix', path }));
      return;
    }
    await claimUnixSocketPath(this.#path);
    const socket = new UnixDatagramSocket();
    socket.onDatagram((data, remote) => this.receive(data, remote));
    try {
      await socket.bind({ path: this.#path });
    } catch (err) {
      await socket.close();
      throw err;
    }
    this.#socket = socket;
  }

  protected async sendTo(data: Buffer, remote: PeerAddress): Promise<void> {
    if (remote.family !== 'unix' || remote.path === '') {
      throw new InvalidArgumentError(
        "cannot reply: the sender's Unix datagram socket is not bound to a path (a client must bind one to get replies)",
      );
    }
    if (this.#relay !== null) {
      this.#relay.sendTo(data, remote.path);
      return;
    }
    const socket = this.#socket;
    if (socket === null) {
      throw new InvalidArgumentError('cannot reply: the server socket is closed');
    }
    await socket.sendTo(data, { path: remote.path });
  }

  protected override async cleanup(): Promise<void> {
    const socket = this.#socket;
    if (socket === null) return;
    this.#socket = null;
    await socket.close();
    // Unlike a stream socket, nothing removes a datagram socket's file on close.
    await removeOwnSocketFile(this.#path);
  }
}
