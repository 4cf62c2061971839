/**
 * `processes: N`: worker processes that share a server's listening socket, with
 * `node:cluster` — the answer to Python's `ForkingMixIn` that also spreads load over CPUs.
 *
 * ```
 *  primary (the process that called listen())          workers (the same script, re-run)
 *  ─────────────────────────────────────────           ─────────────────────────────────
 *  ClusterPrimary.start() ─► pool.ensure(N) ─ fork ──► new TcpServer(...).listen()
 *                                                        (cluster shares the primary's socket)
 *            ◄─────────── {listening, key, address} ──── WorkerAgent.register()
 *  worker dies ─► 'exit' ─► fork a replacement (backoff)
 *  shutdown() ─── {shutdown, key, drainTimeout} ──────► server.shutdown() ─► {closed, key}
 *  last server closed ─► disconnect workers (SIGKILL after a grace period)
 * ```
 *
 * One pool per primary process: its size is the largest `processes` of its servers, and
 * every worker runs every server the script creates. Servers are matched by the order in
 * which the script constructs them (`key`), so the script must create its multi-process
 * servers in the same order every run — what a script naturally does.
 * @module
 */
import cluster, { type Worker } from 'node:cluster';
import { SocketError } from '../errors.js';
import {
  ENV_FLAG,
  isMessage,
  reviveError,
  type ToPrimary,
  type ToWorker,
} from './cluster-messages.js';
import type { PeerAddress } from './handler-types.js';
import { publish, serverChannels } from './server-channels.js';

export { isServerWorker } from './cluster-messages.js';

interface WorkerState {
  worker: Worker;
  startedAt: number;
  listened: Set<number>;
}

/** The primary's one pool of workers. */
class Pool {
  readonly workers = new Map<number, WorkerState>();
  readonly servers = new Map<number, ClusterPrimary>();
  size = 0;
  stopping = false;
  #installed = false;
  #crashes = 0;
  #restartTimers = new Set<NodeJS.Timeout>();
  /**
   * Messages for servers this primary has not created yet. A worker runs the script
   * ahead of the primary (the primary creates its next server only once the previous one
   * listens in every worker), so its "listening" for server k+1 can arrive before the
   * primary's server k+1 exists; dropping it would leave that server waiting forever.
   */
  readonly #early = new Map<number, { worker: Worker; message: ToPrimary }[]>();

  ensure(size: number, workerScript: string | undefined): void {
    this.stopping = false;
    if (!this.#installed) {
      this.#installed = true;
      cluster.setupPrimary({
        exec: workerScript ?? process.argv[1],
        args: process.argv.slice(2),
        execArgv: process.execArgv,
      });
      cluster.on('message', (worker, message: unknown) => this.#onMessage(worker, message));
      cluster.on('exit', (worker, code, signal) => this.#onExit(worker, code, signal));
    }
    this.size = Math.max(this.size, size);
    while (this.workers.size < this.size) this.#fork();
  }

  #fork(): void {
    const worker = cluster.fork({ [ENV_FLAG]: '1' });
    this.workers.set(worker.id, { worker, startedAt: Date.now(), listened: new Set() });
    // An IPC error (the worker died mid-send) must not crash the primary.
    worker.on('error', () => {});
    publish(serverChannels.worker, () => ({
      event: 'fork' as const,
      pid: worker.process.pid,
      workerId: worker.id,
    }));
  }

  #onMessage(worker: Worker, message: unknown): void {
    if (!isMessage(message)) return;
    const state = this.workers.get(worker.id);
    const m = message as ToPrimary;
    if (m.socketkit === 'listening') {
      state?.listened.add(m.key);
      publish(serverChannels.worker, () => ({
        event: 'listening' as const,
        pid: worker.process.pid,
        workerId: worker.id,
      }));
    }
    const server = this.servers.get(m.key);
    if (server !== undefined) server.onMessage(worker, m);
    else if (m.socketkit === 'listening' || m.socketkit === 'listen-error') {
      const list = this.#early.get(m.key) ?? [];
      list.push({ worker, message: m });
      this.#early.set(m.key, list);
    }
  }

  /** Adds a server and hands it what its workers said before it existed. */
  register(key: number, server: ClusterPrimary): void {
    this.servers.set(key, server);
    const early = this.#early.get(key);
    this.#early.delete(key);
    for (const { worker, message } of early ?? []) {
      if (this.workers.has(worker.id)) server.onMessage(worker, message);
    }
  }

  #onExit(worker: Worker, code: number | null, signal: string | null): void {
    const state = this.workers.get(worker.id);
    if (state === undefined) return;
    this.workers.delete(worker.id);
    for (const [key, list] of this.#early) {
      const kept = list.filter((e) => e.worker.id !== worker.id);
      if (kept.length > 0) this.#early.set(key, kept);
      else this.#early.delete(key);
    }
    publish(serverChannels.worker, () => ({
      event: 'exit' as const,
      pid: worker.process.pid,
      workerId: worker.id,
      code,
      signal,
    }));
    for (const server of this.servers.values()) server.onWorkerExit(worker, code, signal);
    // Replace a worker that served and then died; one that died before it could listen
    // would die again (a bug in the script, a taken port): that fails listen() instead.
    if (this.stopping || state.listened.size === 0 || !this.#needed()) return;
    this.#crashes = Date.now() - state.startedAt < 1000 ? this.#crashes + 1 : 0;
    const delayMs = Math.min(100 * 2 ** this.#crashes, 10_000);
    publish(serverChannels.worker, () => ({
      event: 'restart' as const,
      pid: worker.process.pid,
      workerId: worker.id,
      delayMs,
    }));
    const timer = setTimeout(() => {
      this.#restartTimers.delete(timer);
      if (!this.stopping && this.workers.size < this.size && this.#needed()) this.#fork();
    }, delayMs);
    this.#restartTimers.add(timer);
  }

  /** True while some server is not shutting down (its workers are worth replacing). */
  #needed(): boolean {
    return [...this.servers.values()].some((server) => !server.closing);
  }

  /** Stops the pool once no server needs it: disconnect, then SIGKILL stragglers. */
  async stopIfIdle(): Promise<void> {
    if (this.servers.size > 0) return;
    this.stopping = true;
    this.size = 0;
    this.#early.clear();
    for (const timer of this.#restartTimers) clearTimeout(timer);
    this.#restartTimers.clear();
    const exits: Promise<void>[] = [];
    for (const { worker } of this.workers.values()) {
      exits.push(
        new Promise<void>((resolve) => {
          if (worker.isDead()) {
            resolve();
            return;
          }
          worker.once('exit', () => resolve());
          const kill = setTimeout(() => worker.process.kill('SIGKILL'), 5000);
          worker.once('exit', () => clearTimeout(kill));
          if (worker.isConnected()) worker.disconnect();
        }),
      );
    }
    await Promise.all(exits);
  }
}

const pool = new Pool();

/** A multi-process server's primary side. */
export class ClusterPrimary {
  readonly #key: number;
  readonly #processes: number;
  readonly #workerScript: string | undefined;
  #address: PeerAddress | undefined;
  #listening = new Set<number>();
  #onStarted: ((err?: Error) => void) | null = null;
  #closedBy = new Set<number>();
  #onClosed: (() => void) | null = null;
  readonly #onReply: ((data: Buffer, path: string) => void) | undefined;
  #next = 0;
  /** True once shutdown began: its workers are no longer replaced when they exit. */
  closing = false;

  constructor(
    key: number,
    processes: number,
    options: {
      workerScript: string | undefined;
      /** For relayed datagram servers: sends a worker's reply from the primary's socket. */
      onReply?: (data: Buffer, path: string) => void;
    },
  ) {
    this.#key = key;
    this.#processes = processes;
    this.#workerScript = options.workerScript;
    this.#onReply = options.onReply;
  }

  /**
   * Relays a datagram the primary received to one listening worker (round-robin).
   * @returns false when no worker listens (the datagram is dropped).
   */
  forward(data: Buffer, path: string): boolean {
    const ids = [...this.#listening];
    for (let i = 0; i < ids.length; i++) {
      const worker = pool.workers.get(ids[this.#next++ % ids.length]!)?.worker;
      if (worker?.isConnected()) {
        const m: ToWorker = {
          socketkit: 'datagram',
          key: this.#key,
          data: data.toString('base64'),
          path,
        };
        worker.send(m, () => {});
        return true;
      }
    }
    return false;
  }

  /** The address the workers listen on (after start()). */
  get address(): PeerAddress | undefined {
    return this.#address;
  }

  /** The pids of the pool's live workers. */
  get pids(): number[] {
    return [...pool.workers.values()]
      .map((s) => s.worker.process.pid)
      .filter((p): p is number => p !== undefined);
  }

  /** Forks the workers and resolves once `processes` of them listen. */
  start(): Promise<void> {
    const started = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.#onStarted?.(
            new SocketError('workers did not start listening within 60 s', 'ERR_SOCKET'),
          ),
        60_000,
      );
      this.#onStarted = (err) => {
        clearTimeout(timer);
        this.#onStarted = null;
        if (err === undefined) resolve();
        else reject(err);
      };
    });
    pool.ensure(this.#processes, this.#workerScript);
    // After ensure(): the replayed messages may complete `started` at once.
    pool.register(this.#key, this);
    return started.catch(async (err: unknown) => {
      pool.servers.delete(this.#key);
      await pool.stopIfIdle();
      throw err;
    });
  }

  onMessage(worker: Worker, message: ToPrimary): void {
    if (message.socketkit === 'listening') {
      this.#address ??= message.address;
      this.#listening.add(worker.id);
      if (this.#listening.size >= this.#processes) this.#onStarted?.();
    } else if (message.socketkit === 'listen-error') {
      this.#onStarted?.(reviveError(message.error));
    } else if (message.socketkit === 'closed') {
      this.#closedBy.add(worker.id);
      this.#checkClosed();
    } else if (message.socketkit === 'reply') {
      this.#onReply?.(Buffer.from(message.data, 'base64'), message.path);
    }
  }

  onWorkerExit(worker: Worker, code: number | null, signal: string | null): void {
    this.#listening.delete(worker.id);
    this.#closedBy.add(worker.id);
    this.#checkClosed();
    if (this.#onStarted !== null && this.#listening.size < this.#processes) {
      this.#onStarted(
        new SocketError(
          `worker ${worker.process.pid ?? '?'} exited (${signal ?? `code ${code ?? '?'}`}) before it listened`,
          'ERR_SOCKET',
        ),
      );
    }
  }

  #checkClosed(): void {
    if (this.#onClosed === null) return;
    for (const { worker } of pool.workers.values()) {
      if (!this.#closedBy.has(worker.id)) return;
    }
    this.#onClosed();
  }

  /** Asks every worker to shut this server down, then stops the pool if it is idle. */
  async shutdown(drainSeconds: number, forced: Promise<void>): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => {
      this.#onClosed = resolve;
    });
    const tell = (drainTimeout: number): void => {
      for (const { worker } of pool.workers.values()) {
        if (worker.isConnected()) {
          const m: ToWorker = { socketkit: 'shutdown', key: this.#key, drainTimeout };
          worker.send(m, () => {});
        }
      }
    };
    tell(drainSeconds);
    void forced.then(() => tell(0));
    this.#checkClosed();
    // Workers bound their own drain; this bounds a worker that hangs or ignores us.
    await Promise.race([
      closed,
      new Promise<void>((resolve) => setTimeout(resolve, drainSeconds * 1000 + 5000).unref()),
    ]);
    pool.servers.delete(this.#key);
    await pool.stopIfIdle();
  }
}
