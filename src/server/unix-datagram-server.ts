/**
 * `UnixDatagramServer`: Python's `UnixDatagramServer`, on the native `UnixDatagramSocket`.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { UnixDatagramSocket } from '../socket/unix-datagram.js';
import { claimUnixSocketPath, removeOwnSocketFile } from '../socket/unix-path.js';
import { DatagramServer, type DatagramServerOptions } from './datagram-server.js';
import type { PeerAddress } from './handler-types.js';
import { publish, serverChannels } from './server-channels.js';
import { WorkerAgent } from './worker-agent.js';

/** Options of a `UnixDatagramServer`: `path` is required; host and port are ignored. */
export type UnixDatagramServerOptions = DatagramServerOptions & { path: string };

/**
 * A datagram server on a Unix socket path. Clients must bind their own path to receive
 * replies (`ctx.reply()` to an unbound sender throws). With `processes` > 1 the native
 * socket, which `node:cluster` cannot share, stays in the primary: it relays each
 * datagram to a worker (round-robin, over IPC) and sends the workers' replies.
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
  #relayed = false;

  /**
   * @throws {InvalidArgumentError} for a bad option.
   * @throws {UnsupportedOptionError} when the native addon is unavailable (at `listen()`).
   */
  constructor(options: DatagramServerOptions) {
    super(options);
    if (typeof options.path !== 'string' || options.path.length === 0) {
      throw new InvalidArgumentError('path must be a non-empty string (the socket file)');
    }
    this.#path = options.path;
  }

  protected override get relaysToWorkers(): boolean {
    return true;
  }

  get transport(): 'unix-dgram' {
    return 'unix-dgram';
  }

  protected localAddress(): PeerAddress {
    return { family: 'unix', path: this.#path };
  }

  protected async bind(): Promise<void> {
    if (this.clusterRole === 'worker') {
      // A worker has no socket: the primary relays datagrams here, and replies back.
      this.#relayed = true;
      WorkerAgent.onDatagram(this.clusterKey, (data, path) =>
        this.receive(data, { family: 'unix', path }),
      );
      return;
    }
    await claimUnixSocketPath(this.#path);
    const socket = new UnixDatagramSocket();
    const primary = this.clusterRole === 'primary';
    socket.onDatagram((data, remote) => {
      if (!primary) this.receive(data, remote);
      else if (!this.relay(data, remote.family === 'unix' ? remote.path : '')) {
        publish(serverChannels.refused, () => ({
          remote,
          reason: 'queueFull' as const,
          server: this,
        }));
      }
    });
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
    if (this.#relayed) {
      WorkerAgent.sendReply(this.clusterKey, data, remote.path);
      return;
    }
    const socket = this.#socket;
    if (socket === null) {
      throw new InvalidArgumentError('cannot reply: the server socket is closed');
    }
    await socket.sendTo(data, { path: remote.path });
  }

  protected override deliverReply(data: Buffer, path: string): void {
    const socket = this.#socket;
    if (socket === null) return;
    socket
      .sendTo(data, { path })
      .catch((error: unknown) => this.reportError(error, { phase: 'reply' }));
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
