/**
 * The datagram half of the server framework: every datagram is a request (Python's
 * `UDPServer` differs from `TCPServer` only in `get_request`). UDP and Unix datagram
 * servers feed `receive()`; this class checks access and limits, cuts oversize packets to
 * `maxPacketSize`, and runs the handler with a context whose `reply()` answers the sender.
 *
 * ```
 *  datagram ─► access lists ─► queue full? ─► verifyRequest() ─► submit ─► run:
 *     'datagram' channel ─► handler (function, or setup/handle/finish) ─► ctx.reply()
 * ```
 * Shutdown stops receiving at once but keeps the socket open until the running
 * handlers finished (or the drain timeout passed), so their replies still go out.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { toBuffer } from '../socket/to-buffer.js';
import { BaseServer } from './base-server.js';
import type { DatagramContext, DatagramHandler, PeerAddress } from './handler-types.js';
import { DatagramRequestHandler, isHandlerClass, runHandler } from './request-handler.js';
import { publish, serverChannels } from './server-channels.js';
import type { BaseServerOptions } from './server-options.js';
import { checkPositiveInt, nextRequestId } from './stream-server.js';

/** A `DatagramRequestHandler` subclass. */
export type DatagramRequestHandlerClass = new (
  packet: Buffer,
  ctx: DatagramContext,
  // `never`: any handler class fits, whatever type it gives its server parameter.
  server: never,
) => DatagramRequestHandler;

/** Options every datagram server takes. */
export interface DatagramServerBaseOptions extends BaseServerOptions {
  /** Serves each datagram: an async function, or a `DatagramRequestHandler` subclass. */
  handler: DatagramHandler | DatagramRequestHandlerClass;
  /**
   * The longest datagram handed to the handler, in bytes (longer ones are cut and
   * `ctx.truncated` is set). Default 65507, the largest UDP payload over IPv4.
   */
  maxPacketSize?: number;
  /**
   * Datagrams waiting for a handler at most (serial mode, or a busy `concurrency: n`);
   * past it new datagrams are dropped (as a full kernel buffer would). Default 1024.
   */
  maxQueue?: number;
}

/** Every datagram server option, as one shape (each server ignores the other's address options). */
export interface DatagramServerOptions extends DatagramServerBaseOptions {
  /** UdpServer: the address to bind; default `127.0.0.1` (loopback only). `::` = every interface, dual stack. */
  host?: string;
  /** UdpServer: the port; 0 (the default) picks a free one. */
  port?: number;
  /** UnixDatagramServer: the socket file to create (removed again on close). Required there. */
  path?: string;
  /** UdpServer with host `::`: IPv6 only. Default false. */
  ipv6Only?: boolean;
}

/** What UDP and Unix datagram servers share. Not used directly. */
export abstract class DatagramServer extends BaseServer {
  readonly #opts: DatagramServerBaseOptions;
  #active = 0;
  #receiving = true;

  constructor(options: DatagramServerBaseOptions) {
    super(options);
    if (typeof options.handler !== 'function') {
      throw new InvalidArgumentError(
        'handler must be an async function (packet, ctx) or a DatagramRequestHandler subclass',
      );
    }
    checkPositiveInt(options.maxPacketSize, 'maxPacketSize');
    checkPositiveInt(options.maxQueue, 'maxQueue');
    this.#opts = options;
  }

  /** Datagrams being handled or waiting, in this process. */
  get connections(): number {
    return this.#active + this.backlog;
  }

  /** The largest datagram handed to handlers. */
  get maxPacketSize(): number {
    return this.#opts.maxPacketSize ?? 65507;
  }

  /** Sends one datagram to `remote` (the reply path). */
  protected abstract sendTo(data: Buffer, remote: PeerAddress): Promise<void>;

  protected async stopAccepting(): Promise<void> {
    // Keep the socket for the replies of running handlers; `cleanup()` closes it.
    this.#receiving = false;
  }

  protected destroyActive(): number {
    // Datagram handlers hold no connection; they see ctx.signal aborted.
    return this.#active;
  }

  /** Called by subclasses for every datagram received. */
  protected receive(data: Buffer, remote: PeerAddress): void {
    if (!this.#receiving || !this.listening) return;
    if (!this.access.permits(remote)) {
      publish(serverChannels.refused, () => ({ remote, reason: 'deny' as const, server: this }));
      return;
    }
    if (this.backlog >= (this.#opts.maxQueue ?? 1024)) {
      publish(serverChannels.refused, () => ({
        remote,
        reason: 'queueFull' as const,
        server: this,
      }));
      return;
    }
    const truncated = data.length > this.maxPacketSize;
    const packet = truncated ? data.subarray(0, this.maxPacketSize) : data;
    const id = nextRequestId();
    const transport = this.transport as 'udp' | 'unix-dgram';
    const ctx: DatagramContext = {
      remote,
      local: this.address,
      transport,
      truncated,
      signal: this.signal,
      reply: (reply) => this.sendTo(toBuffer(reply), remote),
    };
    publish(serverChannels.datagram, () => ({
      id,
      remote,
      transport,
      bytes: data.length,
      truncated,
      server: this,
    }));
    const admit = (ok: boolean): void => {
      if (!ok) {
        publish(serverChannels.refused, () => ({
          remote,
          reason: 'deny' as const,
          server: this,
        }));
        return;
      }
      this.submit({ run: () => this.#serve(packet, ctx, id), discard: () => {} });
    };
    // The hot path: a synchronous verdict (the default `true`) is acted on at once, with
    // no promise per datagram; only an async `verifyRequest` pays for one.
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = this.verifyRequest(remote);
    } catch (error) {
      this.reportError(error, { phase: 'accept', id, remote });
      return;
    }
    if (typeof verdict === 'boolean') {
      admit(verdict);
      return;
    }
    Promise.resolve(verdict).then(admit, (error: unknown) =>
      this.reportError(error, { phase: 'accept', id, remote }),
    );
  }

  async #serve(packet: Buffer, ctx: DatagramContext, id: number): Promise<void> {
    this.#active++;
    try {
      const handler = this.#opts.handler;
      if (isHandlerClass(handler, DatagramRequestHandler)) {
        await runHandler(new (handler as DatagramRequestHandlerClass)(packet, ctx, this as never));
      } else {
        await (handler as DatagramHandler)(packet, ctx);
      }
    } catch (error) {
      this.reportError(error, { phase: 'handler', id, remote: ctx.remote });
    } finally {
      this.#active--;
    }
  }
}
