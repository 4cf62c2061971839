/**
 * The datagram half of the server framework: every datagram is a request (Python's
 * `UDPServer` differs from `TCPServer` only in `get_request`). UDP and Unix datagram
 * servers feed `receive()`; this class checks access and limits, cuts oversize packets to
 * `maxPacketSize`, and runs the handler with a context whose `send()`/`reply()` answer
 * the sender.
 *
 * ```
 *  datagram ─► access lists ─► privileged source port? ─► source over its rate?
 *     ─► queue full? ─► 'datagram' channel ─► dispatch(): verifyRequest()
 *     ─► a slot free? run now : queued ─► handler (function, or setup/handle/finish)
 *     ─► ctx.send() / ctx.reply()
 * ```
 * The two middle checks stop reflection (docs/services.md, "UDP and reflection"): a
 * service that answers every datagram can be pointed at another one with one spoofed
 * datagram, and the two then answer each other for ever. `ignorePrivilegedPorts` is
 * inetd's rule (no datagram from a source port below 1024, where the other classic
 * services live, gets an answer); `rateLimit` gives every source address a token bucket
 * in one bounded table (the one `RateLimiter`), so a loop between two services dies as
 * soon as one bucket is empty and a flood from one source costs others nothing. Both
 * apply to IP sources only (a Unix datagram comes from this machine and cannot be
 * spoofed); each drop is published on `socketkit:server:refused` with its reason.
 * Shutdown stops receiving at once but keeps the socket open until the running
 * handlers finished (or the drain timeout passed), so their replies still go out.
 *
 * The hot path allocates no promise: when `serveForever()` runs, nothing waits before the
 * datagram and a concurrency slot is free, `BaseServer.dispatch()` calls the handler at
 * once, from the socket's receive callback; only a handler that returns a promise makes
 * the server wait for it. A handler answering with `ctx.send()` (echo) thus costs one
 * context object per datagram (the context is also the server's record of the request).
 * Queued datagrams (serial mode, a busy `concurrency: n`, before `serveForever()`) and
 * `handleRequest()` take the same dispatch, after waiting their turn.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { checkPositiveInt } from '../internal/check-option.js';
import { RateLimiter } from '../internal/rate-limiter.js';
import { isThenable } from '../internal/is-thenable.js';
import { nextRequestId } from '../internal/request-id.js';
import { toBuffer } from '../socket/to-buffer.js';
import { clientKey } from './address-limits.js';
import { BaseServer } from './base-server.js';
import type { ProxyHeader } from '../framing/proxy-header.js';
import type { DatagramContext, DatagramHandler, PeerAddress } from './handler-types.js';
import { DatagramRequestHandler, isHandlerClass, runHandler } from './request-handler.js';
import {
  type DatagramHandledMessage,
  type DatagramMessage,
  type DatagramSentMessage,
  publish,
  type RefusedMessage,
  serverChannels,
} from './server-channels.js';
import type { BaseServerOptions } from './server-options.js';

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
  /**
   * inetd's rule against reflection loops: drop, unanswered, every UDP datagram whose
   * source port is below 1024 (where echo, chargen, daytime, time and other servers that
   * answer anything live). Default false; `socketkit serve` sets it for the classic
   * services (their `ServiceDefinition.ignorePrivilegedPorts`).
   */
  ignorePrivilegedPorts?: boolean;
  /**
   * A per-source-address rate limit on UDP datagrams (a token bucket per address, in a
   * table of at most `maxSources` addresses — the least recently seen is forgotten).
   * Datagrams over the limit are dropped before the handler. Default: none (`socketkit
   * serve` turns it on: `--datagram-rate`).
   */
  rateLimit?: DatagramRateLimit;
}

/** A per-source datagram rate limit (see `DatagramServerBaseOptions.rateLimit`). */
export interface DatagramRateLimit {
  /** Datagrams per second each source address may send, sustained. */
  rate: number;
  /** Datagrams a source may send back to back. Default `2 × rate` (at least 1). */
  burst?: number;
  /** Source addresses tracked at once (the table's bound). Default 10 000. */
  maxSources?: number;
}

/**
 * What every datagram server takes, whatever its address. `UdpServerOptions` adds the
 * UDP address, `UnixDatagramServerOptions` the socket path; neither accepts the other's.
 */
export type DatagramServerOptions = DatagramServerBaseOptions;

/** How a datagram's context reaches its server (one per server, shared by every context). */
interface ServerLink {
  readonly transport: 'udp' | 'unix-dgram';
  readonly local: PeerAddress;
  readonly signal: AbortSignal;
  reply(data: Buffer, remote: PeerAddress): Promise<void>;
  send(data: Buffer, remote: PeerAddress): void;
}

/**
 * The context of one datagram: a few fields of its own, the rest read from the server on
 * demand, and `reply()`/`send()` on the prototype, so a datagram costs one small object
 * rather than an object and a closure. It is also the server's record of the request
 * (`packet`, `id`: not part of `DatagramContext`).
 */
export class DatagramRequestContext implements DatagramContext {
  readonly remote: PeerAddress;
  readonly truncated: boolean;
  /** The datagram, cut to `maxPacketSize`. */
  readonly packet: Buffer;
  /** The datagram's id (on the channels and in `handleError`'s context). */
  readonly id: number;
  readonly #link: ServerLink;
  /** The trusted proxy it came through and its header (proxyProtocol), or null. */
  readonly #via: DatagramVia | null;

  constructor(
    link: ServerLink,
    remote: PeerAddress,
    packet: Buffer,
    truncated: boolean,
    id: number,
    via: DatagramVia | null = null,
  ) {
    this.#link = link;
    this.remote = remote;
    this.packet = packet;
    this.truncated = truncated;
    this.id = id;
    this.#via = via;
  }

  get via(): PeerAddress | undefined {
    return this.#via?.peer;
  }

  get proxyHeader(): ProxyHeader | undefined {
    return this.#via?.header;
  }

  get local(): PeerAddress {
    return this.#link.local;
  }

  get transport(): 'udp' | 'unix-dgram' {
    return this.#link.transport;
  }

  get signal(): AbortSignal {
    return this.#link.signal;
  }

  // Behind a proxy the answer goes to the proxy (the datagram's sender), unchanged: it
  // knows which client the session is for.
  reply(data: Uint8Array | string): Promise<void> {
    try {
      return this.#link.reply(toBuffer(data), this.#via?.peer ?? this.remote);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  send(data: Uint8Array | string): void {
    this.#link.send(toBuffer(data), this.#via?.peer ?? this.remote);
  }
}

/** A datagram's trusted PROXY-protocol proxy and the header it sent. */
export interface DatagramVia {
  readonly peer: PeerAddress;
  readonly header: ProxyHeader;
}

/** @throws {InvalidArgumentError} for a bad `rateLimit`. */
function createRateLimiter(limit: DatagramRateLimit | undefined): RateLimiter | null {
  if (limit === undefined) return null;
  if (typeof limit !== 'object' || limit === null) {
    throw new InvalidArgumentError('rateLimit must be an object { rate, burst?, maxSources? }');
  }
  const burst = limit.burst ?? Math.max(1, Math.ceil(2 * limit.rate));
  try {
    return new RateLimiter({
      rate: limit.rate,
      burst,
      ...(limit.maxSources === undefined ? {} : { maxEntries: limit.maxSources }),
    });
  } catch (error) {
    throw new InvalidArgumentError(`rateLimit: ${(error as Error).message}`);
  }
}

/** What UDP and Unix datagram servers share. Not used directly. */
export abstract class DatagramServer extends BaseServer {
  readonly #handler: DatagramHandler | null;
  readonly #handlerClass: DatagramRequestHandlerClass | null;
  readonly #maxPacketSize: number;
  readonly #maxQueue: number;
  readonly #link: ServerLink;
  readonly #ignorePrivilegedPorts: boolean;
  readonly #rateLimiter: RateLimiter | null;
  #receiving = true;
  /** Datagrams (and their bytes) dispatched and sent: plain counts, read on demand. */
  #received = 0;
  #receivedBytes = 0;
  #sent = 0;
  #sentBytes = 0;

  constructor(options: DatagramServerBaseOptions) {
    super(options);
    const handler = options.handler;
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError(
        'handler must be an async function (packet, ctx) or a DatagramRequestHandler subclass',
      );
    }
    checkPositiveInt(options.maxPacketSize, 'maxPacketSize');
    checkPositiveInt(options.maxQueue, 'maxQueue');
    // Decided once, not per datagram.
    if (isHandlerClass(handler, DatagramRequestHandler)) {
      this.#handlerClass = handler as DatagramRequestHandlerClass;
      this.#handler = null;
    } else {
      this.#handlerClass = null;
      this.#handler = handler as DatagramHandler;
    }
    this.#maxPacketSize = options.maxPacketSize ?? 65507;
    this.#maxQueue = options.maxQueue ?? 1024;
    this.#ignorePrivilegedPorts = options.ignorePrivilegedPorts === true;
    this.#rateLimiter = createRateLimiter(options.rateLimit);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const server = this;
    this.#link = {
      get transport() {
        return server.transport as 'udp' | 'unix-dgram';
      },
      get local() {
        return server.address;
      },
      get signal() {
        return server.signal;
      },
      reply: (data, remote) => {
        this.#sent++;
        this.#sentBytes += data.length;
        if (serverChannels.datagramSent.hasSubscribers) this.#published(data);
        return this.sendTo(data, remote);
      },
      send: (data, remote) => {
        this.#sent++;
        this.#sentBytes += data.length;
        if (serverChannels.datagramSent.hasSubscribers) this.#published(data);
        this.sendAndForget(data, remote);
      },
    };
  }

  /** Reports a datagram a handler sends (only called when someone subscribes). */
  #published(data: Buffer): void {
    const message: DatagramSentMessage = {
      bytes: data.length,
      transport: this.transport as 'udp' | 'unix-dgram',
      server: this,
    };
    serverChannels.datagramSent.publish(message);
  }

  /**
   * Datagrams dispatched to the handler since the server was made (after the access
   * lists, the reflection checks and the queue bound) and datagrams its handlers sent
   * (`ctx.send()`, `ctx.reply()`), with their bytes, in this process. Plain counts kept
   * on every datagram (an addition each: cheaper than any event), read on call: what
   * `serve --http` reads at each scrape instead of an event per datagram.
   */
  datagramCounts(): { received: number; receivedBytes: number; sent: number; sentBytes: number } {
    return {
      received: this.#received,
      receivedBytes: this.#receivedBytes,
      sent: this.#sent,
      sentBytes: this.#sentBytes,
    };
  }

  /** Datagrams being handled or waiting, in this process. */
  get connections(): number {
    return this.running + this.backlog;
  }

  /** The per-source rate limiter (its `size` is the sources tracked now), or null. */
  get rateLimiter(): RateLimiter | null {
    return this.#rateLimiter;
  }

  /** The largest datagram handed to handlers. */
  get maxPacketSize(): number {
    return this.#maxPacketSize;
  }

  /** Sends one datagram to `remote` (the reply path of `ctx.reply()`). */
  protected abstract sendTo(data: Buffer, remote: PeerAddress): Promise<void>;

  /**
   * Sends one datagram to `remote` with no promise (`ctx.send()`); a failure goes to
   * `handleError` with phase `reply`. Default: `sendTo()`, its rejection reported.
   */
  protected sendAndForget(data: Buffer, remote: PeerAddress): void {
    let sent: Promise<void>;
    try {
      sent = this.sendTo(data, remote);
    } catch (error) {
      this.reportError(error, { phase: 'reply', remote });
      return;
    }
    sent.catch((error: unknown) => this.reportError(error, { phase: 'reply', remote }));
  }

  protected async stopAccepting(): Promise<void> {
    // Keep the socket for the replies of running handlers; `cleanup()` closes it.
    this.#receiving = false;
  }

  protected destroyActive(): number {
    // Datagram handlers hold no connection; they see ctx.signal aborted.
    return this.running;
  }

  /**
   * Called by subclasses for every datagram received. `via`: it came through a trusted
   * PROXY-protocol proxy, `remote` is the client its header named and `data` what
   * followed the header; answers go to `via.peer`.
   */
  protected receive(data: Buffer, remote: PeerAddress, via: DatagramVia | null = null): void {
    if (!this.#receiving || !this.listening) return;
    if (!this.access.empty && !this.access.permits(remote)) {
      publish(serverChannels.refused, () => ({ remote, reason: 'deny' as const, server: this }));
      return;
    }
    // Cheap before anything else: a comparison and, with a limit, one Map lookup.
    if (remote.family !== 'unix') {
      if (this.#ignorePrivilegedPorts && remote.port < 1024) {
        this.#drop(remote, 'privilegedPort');
        return;
      }
      if (this.#rateLimiter !== null && !this.#rateLimiter.tryTake(clientKey(remote))) {
        this.#drop(remote, 'rateLimited');
        return;
      }
    }
    if (this.backlog >= this.#maxQueue) {
      publish(serverChannels.refused, () => ({
        remote,
        reason: 'queueFull' as const,
        server: this,
      }));
      return;
    }
    const truncated = data.length > this.#maxPacketSize;
    const packet = truncated ? data.subarray(0, this.#maxPacketSize) : data;
    const id = nextRequestId();
    this.#received++;
    this.#receivedBytes += data.length;
    const ctx = new DatagramRequestContext(this.#link, remote, packet, truncated, id, via);
    // Checked here rather than through publish(): no message closure per datagram.
    if (serverChannels.datagram.hasSubscribers) {
      const message: DatagramMessage = {
        id,
        remote,
        transport: this.#link.transport,
        bytes: data.length,
        truncated,
        server: this,
        ...(via === null ? {} : { via: via.peer }),
      };
      serverChannels.datagram.publish(message);
    }
    this.dispatch(ctx, remote);
  }

  /** Publishes a dropped datagram (reasons a subclass decides: `proxyHeader`). */
  protected dropDatagram(remote: PeerAddress, reason: 'proxyHeader'): void {
    this.#drop(remote, reason);
  }

  #drop(remote: PeerAddress, reason: 'privilegedPort' | 'rateLimited' | 'proxyHeader'): void {
    if (serverChannels.refused.hasSubscribers)
      serverChannels.refused.publish({ remote, reason, server: this } satisfies RefusedMessage);
  }

  /** Calls the handler, or makes the handler object, for one datagram. */
  protected serveRequest(ctx: DatagramRequestContext): void | Promise<void> {
    // Timed only for a subscriber (serve --http's duration histogram): one check otherwise.
    if (serverChannels.datagramHandled.hasSubscribers) return this.#serveTimed(ctx);
    return this.#serve(ctx);
  }

  #serve(ctx: DatagramRequestContext): void | Promise<void> {
    const cls = this.#handlerClass;
    if (cls !== null) return runHandler(new cls(ctx.packet, ctx, this as never));
    return (this.#handler as DatagramHandler)(ctx.packet, ctx);
  }

  /** {@link serveRequest} with the handler timed and its end published. */
  #serveTimed(ctx: DatagramRequestContext): void | Promise<void> {
    const start = performance.now();
    let result: void | Promise<void>;
    try {
      result = this.#serve(ctx);
    } catch (error) {
      this.#handled(ctx, start, true);
      throw error;
    }
    if (!isThenable(result)) {
      this.#handled(ctx, start, false);
      return;
    }
    return Promise.resolve(result).then(
      () => this.#handled(ctx, start, false),
      (error: unknown) => {
        this.#handled(ctx, start, true);
        throw error;
      },
    );
  }

  #handled(ctx: DatagramRequestContext, start: number, failed: boolean): void {
    const message: DatagramHandledMessage = {
      id: ctx.id,
      bytes: ctx.packet.length,
      durationMs: performance.now() - start,
      failed,
      transport: this.#link.transport,
      server: this,
    };
    serverChannels.datagramHandled.publish(message);
  }

  protected requestFailed(
    ctx: DatagramRequestContext,
    error: unknown,
    phase: 'accept' | 'handler',
  ): void {
    this.reportError(error, { phase, id: ctx.id, remote: ctx.remote });
  }

  protected refuseRequest(ctx: DatagramRequestContext): void {
    publish(serverChannels.refused, () => ({
      remote: ctx.remote,
      reason: 'deny' as const,
      server: this,
    }));
  }
}
