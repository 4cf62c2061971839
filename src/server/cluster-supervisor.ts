/**
 * `processes: N` as a concurrency strategy around the servers, not inside them: a
 * `ClusterSupervisor` runs the servers a factory makes, each under a name of its own
 * (its key), in N worker processes that share the listening sockets (`node:cluster`, the
 * answer to Python's `ForkingMixIn` that also spreads load over CPUs). The servers know
 * nothing of it.
 *
 * ```
 *  processes: 1        this process: factory() ─► listen every server ─► serve
 *  processes: N > 1    primary: factory() (to learn keys and addresses; nothing listens)
 *                        claim the Unix stream paths, bind the Unix datagram sockets,
 *                        fork N workers (the same script) ─► each worker: factory() ─►
 *                        listen every server ─► {listening, key}; a worker that dies is
 *                        replaced; shutdown() drains every worker (cluster-primary.ts)
 * ```
 *
 * The script runs again in every worker, so it must call the supervisor the same way
 * there (what a script naturally does); servers are matched across processes by key,
 * never by order. `role` says which part this process plays.
 *
 * @example
 * ```ts
 * const cluster = await superviseCluster({
 *   processes: 4,
 *   servers: () => ({
 *     'tcp:echo:7': new TcpServer({ port: 7007, handler: echo }),
 *     'unix:echo': new UnixStreamServer({ path: '/tmp/echo.sock', handler: echo }),
 *   }),
 * });
 * if (cluster.role !== 'worker') console.log('echo on', cluster.address('tcp:echo:7'));
 * await cluster.serveForever(); // until cluster.shutdown()
 * ```
 * @module
 */
import cluster from 'node:cluster';
import { InvalidArgumentError } from '../errors.js';
import { claimUnixSocketPath } from '../socket/unix-path.js';
import { BaseServer } from './base-server.js';
import { isServerWorker } from './cluster-messages.js';
import { ClusterPrimary } from './cluster-primary.js';
import { listenInWorker } from './cluster-worker.js';
import type { PeerAddress } from './handler-types.js';
import { publish, serverChannels } from './server-channels.js';
import { type AbortOptions, runUntilAborted, throwIfAborted } from '../internal/abort-signal.js';
import { checkSeconds } from '../internal/check-option.js';
import type { ShutdownOptions } from './server-options.js';
import { UnixDatagramServer } from './unix-datagram-server.js';

export { isServerWorker } from './cluster-messages.js';

/** The servers a factory makes, by key (`tcp:echo:7`): the same keys in every process. */
export type ServerSet = Readonly<Record<string, BaseServer>>;

/** Makes the servers (not yet listening). Called once in every process. */
export type ServerFactory = () => ServerSet | Promise<ServerSet>;

/** Options of a {@link ClusterSupervisor}. */
export interface ClusterOptions {
  /** Makes the servers, each under its key. */
  servers: ServerFactory;
  /**
   * Processes serving: 1 (the default) serves in this process; N > 1 makes this process
   * the primary of N workers that run the same script (`workerScript`). At most 1024.
   */
  processes?: number;
  /** The script workers run; default the main script (`process.argv[1]`). */
  workerScript?: string;
}

/** Options of {@link ClusterSupervisor.start}. */
export interface ClusterStartOptions {
  /** Aborting it while the workers start stops them, and `start()` rejects with its reason. */
  signal?: AbortSignal;
}

/** This process's part: `single` (processes: 1), `primary` or `worker`. */
export type ClusterRole = 'single' | 'primary' | 'worker';

/** Which server a start failure belongs to (see {@link failedServerKey}). */
const failedKeys = new WeakMap<object, string>();

/**
 * The key of the server whose start failed, for an error `start()` threw (a port in use
 * names the server that wanted it); undefined when the failure was not one server's.
 */
export function failedServerKey(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? failedKeys.get(error) : undefined;
}

function tagged(error: unknown, key: string): unknown {
  if (typeof error === 'object' && error !== null) failedKeys.set(error, key);
  return error;
}

/** Runs a factory's servers in this process or in N worker processes. */
export class ClusterSupervisor {
  readonly #options: ClusterOptions;
  readonly #processes: number;
  readonly #role: ClusterRole;
  #servers = new Map<string, BaseServer>();
  #primary: ClusterPrimary | null = null;
  #started = false;
  #stopping: Promise<void> | null = null;
  #force: (() => void) | null = null;
  #resolveClosed: () => void = () => {};
  readonly #closed: Promise<void>;

  /** @throws {InvalidArgumentError} for a bad option. */
  constructor(options: ClusterOptions) {
    if (typeof options !== 'object' || options === null || typeof options.servers !== 'function') {
      throw new InvalidArgumentError('servers must be a function that makes the servers, by key');
    }
    const processes = options.processes ?? 1;
    if (!Number.isInteger(processes) || processes < 1 || processes > 1024) {
      throw new InvalidArgumentError(
        `processes must be an integer from 1 to 1024, got ${String(options.processes)}`,
      );
    }
    this.#options = options;
    this.#processes = processes;
    this.#role =
      processes === 1
        ? 'single'
        : isServerWorker()
          ? 'worker'
          : cluster.isPrimary
            ? 'primary'
            : 'single';
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  /** This process's part (decided at construction). */
  get role(): ClusterRole {
    return this.#role;
  }

  /** The processes serving (the option). */
  get processes(): number {
    return this.#processes;
  }

  /** The keys of the servers (after `start()`). */
  get keys(): readonly string[] {
    return [...this.#servers.keys()];
  }

  /** The pids of the worker processes (in the primary); else empty. */
  get pids(): readonly number[] {
    return this.#primary?.pids ?? [];
  }

  /** Settles once every server has shut down (by `shutdown()`, or the primary's word in a worker). */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /**
   * The address the server of `key` listens on (the real port after binding port 0),
   * in every role.
   * @throws {InvalidArgumentError} for a key the factory did not make, or before `start()`.
   */
  address(key: string): PeerAddress {
    const server = this.#servers.get(key);
    if (server === undefined || !this.#started) {
      throw new InvalidArgumentError(`no started server has the key ${JSON.stringify(key)}`);
    }
    return this.#primary?.address(key) ?? server.address;
  }

  /**
   * The server of `key` serving in this process (`single` and `worker`); undefined in
   * the primary, whose copies never listen.
   */
  server(key: string): BaseServer | undefined {
    return this.#role === 'primary' ? undefined : this.#servers.get(key);
  }

  /**
   * Makes the servers and has them listen: here (`single`), in every worker (`primary`:
   * resolves once all N listen on every key), or here for the primary (`worker`).
   * @throws the first listen error (`AddressInUseError`, …; {@link failedServerKey}
   *   names its server); what was started is stopped again.
   */
  async start(options: ClusterStartOptions = {}): Promise<this> {
    if (this.#started || this.#servers.size > 0) {
      throw new InvalidArgumentError('start() was already called');
    }
    const made = await this.#options.servers();
    if (typeof made !== 'object' || made === null || Object.keys(made).length === 0) {
      throw new InvalidArgumentError('the server factory must return servers by key');
    }
    for (const [key, server] of Object.entries(made)) {
      if (key === '' || !(server instanceof BaseServer)) {
        throw new InvalidArgumentError(`the server factory gave ${JSON.stringify(key)} no server`);
      }
      this.#servers.set(key, server);
    }
    if (this.#role === 'primary') await this.#startPrimary(options.signal);
    else if (this.#role === 'worker') {
      await listenInWorker(this.#servers, (drainTimeout) => this.shutdown({ drainTimeout })).catch(
        async (err: unknown) => {
          await this.destroy();
          throw err;
        },
      );
    } else {
      for (const [key, server] of this.#servers) {
        try {
          await server.listen();
        } catch (err) {
          await this.destroy();
          throw tagged(err, key);
        }
      }
    }
    this.#started = true;
    return this;
  }

  async #startPrimary(signal: AbortSignal | undefined): Promise<void> {
    const primary = new ClusterPrimary(
      [...this.#servers.keys()],
      this.#processes,
      this.#options.workerScript,
    );
    this.#primary = primary;
    const fail = async (error: unknown, key: string | null): Promise<never> => {
      await primary.stop();
      this.#finish();
      throw key === null ? error : tagged(error, key);
    };
    // Before any worker runs: the workers forked for the first server start them all, so
    // a later server's path must be claimed (a stale file removed) before any binds it.
    for (const [key, server] of this.#servers) {
      const address = server.address;
      if (address.family !== 'unix') continue;
      try {
        await claimUnixSocketPath(address.path);
        if (server instanceof UnixDatagramServer) await primary.relay(key, address.path, server);
      } catch (err) {
        await fail(err, key);
      }
    }
    const failure = await primary.start(signal);
    if (failure !== null) await fail(failure.error, failure.key);
    for (const [key, server] of this.#servers) {
      publish(serverChannels.listening, () => ({
        server,
        address: primary.address(key) ?? server.address,
        transport: server.transport,
        processes: this.#processes,
      }));
    }
  }

  /**
   * Serves until `shutdown()`; resolves once everything closed. In a worker the primary
   * decides when that is. `options.signal` shuts everything down gracefully when it
   * aborts; `serveForever()` then rejects with `signal.reason` once everything closed
   * (as `BaseServer.serveForever`).
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
    if (!this.#started) await this.start();
    if (this.#role !== 'primary') {
      await Promise.all([...this.#servers.values()].map((s) => s.serveForever()));
    }
    return this.#closed;
  }

  /**
   * Graceful stop of every server, in every process: handlers get `drainTimeout` seconds
   * (default each server's own), then what is left is reset; the primary then stops its
   * workers. Idempotent; `destroy()` meanwhile cuts the drain short.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    checkSeconds(options.drainTimeout, 'drainTimeout', false);
    const drain = options.drainTimeout;
    if (this.#stopping !== null) {
      if (drain === 0) {
        this.#force?.();
        // In a worker or here: each server's own shutdown(0) cuts its drain short.
        if (this.#primary === null) {
          for (const server of this.#servers.values()) void server.shutdown({ drainTimeout: 0 });
        }
      }
      return this.#stopping;
    }
    this.#stopping = this.#stop(drain);
    return this.#stopping;
  }

  /** Graceful stop: the same as `shutdown()`. */
  close(): Promise<void> {
    return this.shutdown();
  }

  /** Abrupt stop: `shutdown({ drainTimeout: 0 })`, cutting a drain in progress short. */
  destroy(): Promise<void> {
    return this.shutdown({ drainTimeout: 0 });
  }

  /** `await using cluster = ...` shuts everything down gracefully at scope exit. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  async #stop(drain: number | undefined): Promise<void> {
    const primary = this.#primary;
    const servers = [...this.#servers.values()];
    if (primary === null) {
      const options = drain === undefined ? {} : { drainTimeout: drain };
      await Promise.allSettled(servers.map((s) => s.shutdown(options)));
    } else {
      const forced = new Promise<void>((resolve) => {
        this.#force = resolve;
      });
      if (drain === 0) this.#force?.();
      for (const server of servers) {
        publish(serverChannels.shutdown, () => ({ server, phase: 'begin' as const }));
      }
      // Bounded by the longest drain any server would take on its own.
      const bound = drain ?? Math.max(0, ...servers.map((s) => s.drainTimeout));
      await primary.shutdown(drain, forced, bound);
      for (const server of servers) {
        publish(serverChannels.shutdown, () => ({ server, phase: 'end' as const }));
      }
    }
    this.#finish();
  }

  #finish(): void {
    this.#resolveClosed();
  }
}

/**
 * Makes a {@link ClusterSupervisor} and starts it.
 * @throws {InvalidArgumentError} for a bad option.
 * @throws the first listen error (see {@link ClusterSupervisor.start}).
 */
export function superviseCluster(
  options: ClusterOptions,
  startOptions: ClusterStartOptions = {},
): Promise<ClusterSupervisor> {
  return new ClusterSupervisor(options).start(startOptions);
}
