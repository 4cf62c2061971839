/**
 * What every socketkit server shares: the life cycle and the hook chain of Python's
 * `socketserver.BaseServer`, in TypeScript.
 *
 * ```
 *  listen() ─► bind + activate ─► 'listening'
 *                 │
 *   getRequest (accept / 'message', in the subclass) ─► access lists, limits
 *     └─► dispatch() ─► verifyRequest() ─┬─ serving, nothing queued, a slot free ─► run now
 *                                        ├─ handleRequest() waiting ─► that call ─┐
 *                                        ├─ serveForever() running ─► a slot ─────┤
 *                                        └─ otherwise: queued (like the listen backlog)
 *   run: serveRequest() (handler: setup/handle/finish; then close) ─► slot released
 *         ├─ returned no promise: done, no promise made (the hot path)
 *         ├─ returned a promise: awaited
 *         └─ threw / rejected ─► requestFailed() ─► handleError() (default: publish, keep serving)
 *
 *  shutdown({ drainTimeout }) ─► abort ctx.signal ─► accept what the kernel queued, then
 *    stop accepting ─► wait for handlers (still admitting) ─► reset what is left ─► 'closed'
 *    (close() = shutdown(); destroy(): the same with no drain time; docs/lifecycle.md)
 * ```
 *
 * Methods for the caller: `listen()`, `serveForever()`, `handleRequest()`, `shutdown()`
 * (= `close()`, graceful), `destroy()` (abrupt), `await using`. Methods that may be overridden (or given as options):
 * `verifyRequest()`, `handleError()`, `serviceActions()`, `handleTimeout()`.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { type AbortOptions, runUntilAborted, throwIfAborted } from '../internal/abort-signal.js';
import { AccessList } from './access-list.js';
import { checkSeconds } from '../internal/check-option.js';
import { isThenable } from '../internal/is-thenable.js';
import { createLimiter, type Limiter } from './concurrency.js';
import type { PeerAddress } from './handler-types.js';
import { publish, serverChannels } from './server-channels.js';
import {
  type BaseServerOptions,
  checkBaseOptions,
  type ErrorContext,
  type ShutdownOptions,
  waitOrTimeout,
} from './server-options.js';
import { ignoreError } from '../internal/ignore-error.js';

type State = 'new' | 'binding' | 'listening' | 'closing' | 'closed';

/** The life cycle and hook chain every server shares. Not used directly. */
export abstract class BaseServer {
  readonly #options: BaseServerOptions;
  /** The allow/deny lists. */
  protected readonly access: AccessList;
  readonly #limiter: Limiter;
  #state: State = 'new';
  /** Requests accepted before anyone serves them (see `dispatch()`). */
  readonly #queue: object[] = [];
  #serving = false;
  #oneShot: ((req: object | null) => void) | null = null;
  /** Requests dispatched and not finished yet (waiting for a slot, or running). */
  #inFlight = 0;
  /** Settles when `#inFlight` falls to 0 (made only while shutdown waits for it). */
  #idle: Promise<void> | null = null;
  #onIdle: (() => void) | null = null;
  readonly #abort = new AbortController();
  #resolveClosed: () => void = () => {};
  readonly #closed: Promise<void>;
  #stopping: Promise<void> | null = null;
  /** Set when the drain is over: from then on nothing accepted is served any more. */
  #cut = false;
  #force: (() => void) | null = null;
  #pollTimer: NodeJS.Timeout | undefined;
  #binding: Promise<void> = Promise.resolve();

  constructor(options: BaseServerOptions) {
    checkBaseOptions(options);
    this.#options = options;
    this.access = new AccessList(options);
    this.#limiter = createLimiter(options.concurrency);
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  /** The address the server listens on (the real port after binding port 0). */
  get address(): PeerAddress {
    return this.localAddress();
  }

  /** Open connections (stream servers) or datagrams being handled, in this process. */
  abstract get connections(): number;

  /** `tcp`, `tls`, `unix`, `udp` or `unix-dgram`. */
  abstract get transport(): 'tcp' | 'tls' | 'unix' | 'udp' | 'unix-dgram';

  /** True between `listen()` resolving and shutdown starting. */
  get listening(): boolean {
    return this.#state === 'listening';
  }

  /** True once the server has shut down or closed. */
  get closed(): boolean {
    return this.#state === 'closed';
  }

  /**
   * True while accepted requests are served: when listening, and during a shutdown's
   * drain — connections the kernel had already queued when shutdown began are accepted
   * then and served like the others (with `ctx.signal` aborted), until the drain ends.
   */
  protected get admitting(): boolean {
    return this.#state === 'listening' || (this.#state === 'closing' && !this.#cut);
  }

  /** Aborted when shutdown begins: every handler context carries it. */
  protected get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** The address of the bound socket in this process. */
  protected abstract localAddress(): PeerAddress;
  /** Binds and activates the listening socket (Python's `server_bind` + `server_activate`). */
  protected abstract bind(): Promise<void>;
  /**
   * Closes the listening socket; accepted requests live on. `acceptQueued`: first accept
   * what the kernel already queued (a graceful shutdown; false for `destroy()`).
   */
  protected abstract stopAccepting(acceptQueued: boolean): Promise<void>;
  /** Cuts every live connection (a reset where data is owed); returns how many there were. */
  protected abstract destroyActive(): number;
  /** Releases what is left once everything settled (a socket file, timers). */
  protected async cleanup(): Promise<void> {}

  /**
   * Serves one request `dispatch()` admitted, in the concurrency slot it holds: runs the
   * handler, then closes what the request holds. Returns nothing when it is done already
   * (the request then costs no promise), or a promise the server waits for. A throw or a
   * rejection goes to `requestFailed()`.
   */
  protected abstract serveRequest(req: object): void | Promise<void>;

  /**
   * A request failed: `verifyRequest()` threw or rejected (phase `accept`), or
   * `serveRequest()` did (phase `handler`). Releases what it holds and reports the error.
   */
  protected abstract requestFailed(req: object, error: unknown, phase: 'accept' | 'handler'): void;

  /** `verifyRequest()` said no: turns the client away. */
  protected abstract refuseRequest(req: object): void;

  /** A request accepted but never served (shutdown came first): drops it. Default: nothing. */
  protected discardRequest(_req: object): void {}

  /**
   * The request cannot start at once (an async verdict pending, or queued): a stream
   * server watches for the client leaving meanwhile. Default: nothing.
   */
  protected requestWaits(_req: object): void {}

  /**
   * Binds and starts accepting (requests queue until `serveForever()` or `handleRequest()`).
   * @throws {AddressInUseError} when the address is taken; other `SocketError`s likewise.
   */
  async listen(): Promise<this> {
    if (this.#state !== 'new') {
      throw new InvalidArgumentError(`listen() was already called (the server is ${this.#state})`);
    }
    this.#state = 'binding';
    let listened: () => void = () => {};
    this.#binding = new Promise<void>((resolve) => {
      listened = resolve;
    });
    try {
      await this.bind();
    } catch (err) {
      this.#state = 'closed';
      listened();
      this.#resolveClosed();
      throw err;
    }
    this.#state = 'listening';
    listened();
    publish(serverChannels.listening, () => ({
      server: this,
      address: this.address,
      transport: this.transport,
    }));
    return this;
  }

  /**
   * Serves requests until `shutdown()`/`close()` or `destroy()`; resolves once the server is closed.
   * Calls `listen()` first if needed. `options.signal` shuts the server down gracefully
   * when it aborts (as `shutdown()`); `serveForever()` then rejects with `signal.reason`
   * once the server is closed, so code after it never runs while handlers still do.
   */
  async serveForever(options?: AbortOptions): Promise<void> {
    const signal = throwIfAborted(options);
    if (signal !== undefined) {
      return runUntilAborted(
        () => this.serveForever(),
        () => void this.shutdown(),
        signal,
      );
    }
    if (this.#state === 'new') await this.listen();
    if (this.#state !== 'listening') return this.#closed;
    if (this.#serving) throw new InvalidArgumentError('serveForever() is already running');
    this.#serving = true;
    for (let req = this.#queue.shift(); req !== undefined; req = this.#queue.shift()) {
      this.#enqueue(req, null);
    }
    const interval = (this.#options.pollInterval ?? 0.5) * 1000;
    this.#pollTimer = setInterval(() => {
      Promise.resolve()
        .then(() => this.serviceActions())
        .catch((error: unknown) => this.reportError(error, { phase: 'serviceActions' }));
    }, interval);
    // Housekeeping alone must not keep the process alive (the listening socket does).
    this.#pollTimer.unref();
    return this.#closed;
  }

  /**
   * Handles exactly one request and resolves when its handler settled. When no request
   * arrives within `timeout` seconds, calls `handleTimeout()` instead. `options.signal`
   * aborts the wait for a request (it rejects with `signal.reason`; the next request is
   * kept for the next call); a request already handed to its handler is not cut short.
   */
  async handleRequest(options?: AbortOptions): Promise<void> {
    const signal = throwIfAborted(options);
    if (this.#state === 'new') await this.listen();
    if (this.#state !== 'listening') return;
    if (this.#oneShot !== null || this.#serving) {
      throw new InvalidArgumentError('handleRequest() cannot run beside itself or serveForever()');
    }
    const req =
      this.#queue.shift() ??
      (await waitOrTimeout<object | null>(
        this.#options.timeout ?? null,
        (deliver) => {
          this.#oneShot = (r) => {
            this.#oneShot = null; // at once: a second request must queue, not be lost
            deliver(r);
          };
        },
        signal,
      ).finally(() => (this.#oneShot = null)));
    if (req === undefined) return this.handleTimeout();
    if (req === null) return;
    await new Promise<void>((resolve) => this.#enqueue(req, resolve));
  }

  /**
   * Graceful stop: aborts `ctx.signal`, accepts the connections the kernel already queued
   * and then stops accepting, lets handlers finish for up to `drainTimeout` seconds, then
   * resets what is left (a client cut mid-reply sees an error). Idempotent.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    checkSeconds(options.drainTimeout, 'drainTimeout', false);
    const drain = options.drainTimeout ?? this.#options.drainTimeout ?? 10;
    if (this.#stopping !== null) {
      if (drain === 0) this.#force?.();
      return this.#stopping;
    }
    this.#stopping = this.#stop(drain);
    return this.#stopping;
  }

  /** Seconds `shutdown()` lets handlers finish when not told otherwise (option `drainTimeout`). */
  get drainTimeout(): number {
    return this.#options.drainTimeout ?? 10;
  }

  /**
   * Graceful stop: the same as `shutdown()` (its socketserver name), with the server's
   * `drainTimeout`. Idempotent. Until 0.2 `close()` was abrupt: that is `destroy()` now.
   */
  close(): Promise<void> {
    return this.shutdown();
  }

  /**
   * Abrupt stop: `shutdown({ drainTimeout: 0 })` — stops accepting and resets the open
   * connections at once (a client mid-reply sees `ECONNRESET`, never a cut reply). Cuts
   * short a graceful shutdown already in progress. Idempotent; resolves once closed.
   */
  destroy(): Promise<void> {
    return this.shutdown({ drainTimeout: 0 });
  }

  /** `await using server = ...` shuts the server down gracefully at scope exit. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  /** Access control hook: return false to refuse the client. Default: the `verifyRequest` option, or yes. */
  verifyRequest(remote: PeerAddress): boolean | Promise<boolean> {
    return this.#options.verifyRequest?.(remote) ?? true;
  }

  /**
   * Called when a handler throws. Default: the `handleError` option, or publish on
   * `socketkit:server:error` — and keep serving either way.
   */
  handleError(error: unknown, ctx: ErrorContext): void | Promise<void> {
    if (this.#options.handleError !== undefined) return this.#options.handleError(error, ctx);
    publish(serverChannels.error, () => ({ error, server: this, ...ctx }));
  }

  /** Called about every `pollInterval` seconds while serving. Default: the option, or nothing. */
  serviceActions(): void | Promise<void> {
    return this.#options.serviceActions?.();
  }

  /** Called when `handleRequest()` timed out. Default: the option, or nothing. */
  handleTimeout(): void | Promise<void> {
    return this.#options.handleTimeout?.();
  }

  /**
   * The one dispatch of every request a subclass accepted (a connection, a datagram):
   * `verifyRequest()`, then a concurrency slot, then `serveRequest()`. A synchronous
   * verdict (the default `true`) is acted on at once; when `serveForever()` runs, nothing
   * waits before the request and a slot is free, the request runs here and now, and a
   * `serveRequest()` that returns no promise costs none. Otherwise the request waits in
   * arrival order (queued until someone serves, or for a slot), and runs unless the drain
   * ended meanwhile.
   * @param req the subclass's record of the request, handed back to its hooks.
   * @param remote the client, for `verifyRequest()`.
   */
  protected dispatch(req: object, remote: PeerAddress): void {
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = this.verifyRequest(remote);
    } catch (error) {
      this.requestFailed(req, error, 'accept');
      return;
    }
    if (typeof verdict === 'boolean') {
      this.#admit(req, verdict);
      return;
    }
    this.requestWaits(req);
    Promise.resolve(verdict).then(
      (ok) => this.#admit(req, ok),
      (error: unknown) => this.requestFailed(req, error, 'accept'),
    );
  }

  #admit(req: object, ok: boolean): void {
    if (!ok) {
      this.refuseRequest(req);
      return;
    }
    if (this.#serving && this.admitting && this.#queue.length === 0 && this.#limiter.tryAcquire()) {
      this.#inFlight++;
      this.#run(req, null);
      return;
    }
    // While draining, only serveForever() can still run a request: nobody else would.
    if (!this.admitting || (this.#state !== 'listening' && !this.#serving)) {
      this.discardRequest(req);
      return;
    }
    this.requestWaits(req);
    if (this.#oneShot !== null) this.#oneShot(req);
    else if (this.#serving) this.#enqueue(req, null);
    else this.#queue.push(req);
  }

  /**
   * The general path: waits for a slot, then runs the request unless the drain ended
   * meanwhile. A slot handed over by a finishing request starts the next one on a
   * microtask, not inside the finishing one's stack (a queue of synchronous handlers
   * would otherwise recurse once per request).
   */
  #enqueue(req: object, done: (() => void) | null): void {
    this.#inFlight++;
    this.#limiter.acquire(() =>
      queueMicrotask(() => {
        if (this.admitting) {
          this.#run(req, done);
        } else {
          this.discardRequest(req);
          this.#finish(done);
        }
      }),
    );
  }

  /** Runs a request in the slot it holds: the one guarded call of `serveRequest()`. */
  #run(req: object, done: (() => void) | null): void {
    let result: void | Promise<void>;
    try {
      result = this.serveRequest(req);
    } catch (error) {
      this.requestFailed(req, error, 'handler');
      this.#finish(done);
      return;
    }
    if (!isThenable(result)) {
      this.#finish(done);
      return;
    }
    Promise.resolve(result).then(
      () => this.#finish(done),
      (error: unknown) => {
        this.requestFailed(req, error, 'handler');
        this.#finish(done);
      },
    );
  }

  /** A request is over: its slot goes to the next one; shutdown may be waiting for it. */
  #finish(done: (() => void) | null): void {
    this.#inFlight--;
    this.#limiter.release();
    done?.();
    if (this.#inFlight === 0 && this.#onIdle !== null) {
      const onIdle = this.#onIdle;
      this.#onIdle = null;
      this.#idle = null;
      onIdle();
    }
  }

  /** Settles once no request is in flight. */
  #whenIdle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    this.#idle ??= new Promise<void>((resolve) => {
      this.#onIdle = resolve;
    });
    return this.#idle;
  }

  /** Requests accepted but not being handled yet (queued or waiting for a slot). */
  protected get backlog(): number {
    return this.#queue.length + this.#limiter.pending;
  }

  /** Requests being handled now (they hold a concurrency slot). */
  protected get running(): number {
    return this.#inFlight - this.#limiter.pending;
  }

  /** Reports an error through `handleError`, never throwing. For subclasses. */
  protected reportError(error: unknown, ctx: ErrorContext): void {
    Promise.resolve()
      .then(() => this.handleError(error, ctx))
      .catch((hookError: unknown) => {
        // A broken handleError hook must not take the server down: publish both.
        publish(serverChannels.error, () => ({ error: hookError, server: this, ...ctx }));
      });
  }

  async #stop(drainSeconds: number): Promise<void> {
    if (this.#state === 'new' || this.#state === 'closed') {
      this.#state = 'closed';
      this.#resolveClosed();
      return;
    }
    if (this.#state === 'binding') {
      // Let listen() finish so the socket it is binding gets closed too.
      await this.#binding;
      if ((this.#state as State) === 'closed') return;
    }
    this.#state = 'closing';
    publish(serverChannels.shutdown, () => ({ server: this, phase: 'begin' as const }));
    clearInterval(this.#pollTimer);
    this.#oneShot?.(null);
    this.#oneShot = null;
    const forced = new Promise<void>((resolve) => {
      this.#force = resolve;
    });
    if (drainSeconds === 0) this.#force?.();
    const stopAccepting = this.stopAccepting(drainSeconds > 0);
    for (let req = this.#queue.shift(); req !== undefined; req = this.#queue.shift()) {
      this.discardRequest(req);
    }
    this.#abort.abort();
    await stopAccepting.catch(ignoreError('server:stop-accepting'));
    let timer: NodeJS.Timeout | undefined;
    // Until nothing is in flight: connections admitted during the drain (a TLS handshake
    // that completes, a request that got its concurrency slot) are waited for too.
    await Promise.race([
      this.#whenIdle(),
      forced,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, drainSeconds * 1000);
      }),
    ]);
    clearTimeout(timer);
    this.#cut = true;
    const destroyed = this.destroyActive();
    // Destroyed connections make their handlers' reads fail at once; bound the wait anyway.
    await Promise.race([
      this.#whenIdle(),
      new Promise<void>((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    await this.cleanup().catch(ignoreError('server:cleanup'));
    this.#state = 'closed';
    this.#serving = false;
    publish(serverChannels.shutdown, () => ({ server: this, phase: 'end' as const, destroyed }));
    this.#resolveClosed();
  }
}
