/**
 * The primary side of a `ClusterSupervisor`: forks the workers, waits until each listens
 * every server, replaces a worker that dies, relays Unix datagrams (whose socket
 * `node:cluster` cannot share), and drains the workers on shutdown.
 *
 * ```
 *  primary                                              workers (the same script, re-run)
 *  ───────                                              ─────────────────────────────────
 *  claim Unix stream paths; bind Unix datagram sockets
 *  fork N ─────────────────────────────────────────────► factory() ─► listen each server
 *         ◄──────────────── {listening, key, address} ── (cluster shares the sockets)
 *  all N listen every key ─► start() resolves
 *  datagram on a relayed socket ─── {datagram, key} ───► server.receive ─► handler
 *         ◄────────────────────────── {reply, key} ───── ctx.reply()
 *  worker dies ─► 'exit' ─► fork a replacement (backoff)
 *  shutdown() ──────────────── {shutdown, drainTimeout} ► every server.shutdown() ─► {closed}
 *  all closed (or drain + 5 s) ─► disconnect (SIGKILL after 5 s)
 * ```
 * @module
 */
import cluster, { type Worker } from 'node:cluster';
import { SocketError } from '../errors.js';
import { UnixDatagramSocket } from '../socket/unix-datagram.js';
import { removeOwnSocketFile } from '../socket/unix-path.js';
import {
  ENV_FLAG,
  isMessage,
  reviveError,
  type ToPrimary,
  type ToWorker,
} from './cluster-messages.js';
import type { PeerAddress } from './handler-types.js';
import { publish, type ServerLike, serverChannels } from './server-channels.js';
import { ignoreError } from '../internal/ignore-error.js';

interface WorkerState {
  worker: Worker;
  startedAt: number;
  /** The keys this worker listens on. */
  listened: Set<string>;
  /** True once it said every server of it closed. */
  closed: boolean;
  /** Relayed datagrams sent to it whose IPC write has not completed yet. */
  inFlight: number;
}

/**
 * Relayed datagrams one worker may have in its IPC pipe before the next are dropped: a
 * worker that stops reading (busy, hung) must not make the primary buffer without bound.
 * Datagrams may be lost by definition; the drop is published as a `queueFull` refusal.
 */
const MAX_RELAY_IN_FLIGHT = 1024;

/** A Unix datagram socket the primary owns for the workers of one key. */
interface Relay {
  socket: UnixDatagramSocket;
  path: string;
  server: ServerLike;
  /** Round-robin position. */
  next: number;
}

/** How the primary fails `start()`: the error, and the key of the server it belongs to. */
export type StartFailure = { error: unknown; key: string | null };

/** The primary's pool of workers for one supervisor. */
export class ClusterPrimary {
  readonly #keys: readonly string[];
  readonly #processes: number;
  readonly #workerScript: string | undefined;
  readonly #workers = new Map<number, WorkerState>();
  readonly #relays = new Map<string, Relay>();
  readonly #addresses = new Map<string, PeerAddress>();
  readonly #restartTimers = new Set<NodeJS.Timeout>();
  #crashes = 0;
  #stopping = false;
  #onStarted: ((failure?: StartFailure) => void) | null = null;
  #onClosed: (() => void) | null = null;
  readonly #onMessage = (worker: Worker, message: unknown): void => this.#message(worker, message);
  readonly #onExit = (worker: Worker, code: number | null, signal: string | null): void =>
    this.#exit(worker, code, signal);

  constructor(keys: readonly string[], processes: number, workerScript: string | undefined) {
    this.#keys = keys;
    this.#processes = processes;
    this.#workerScript = workerScript;
  }

  /** The address workers listen on for `key` (known once `start()` resolved). */
  address(key: string): PeerAddress | undefined {
    return this.#addresses.get(key);
  }

  /** The pids of the live workers. */
  get pids(): number[] {
    return [...this.#workers.values()]
      .map((s) => s.worker.process.pid)
      .filter((p): p is number => p !== undefined);
  }

  /**
   * Binds the socket of a server workers cannot share (Unix datagram) here; its
   * datagrams go to the workers round-robin.
   * @throws {SocketError} when it cannot be bound.
   */
  async relay(key: string, path: string, server: ServerLike): Promise<void> {
    const socket = new UnixDatagramSocket();
    const relay: Relay = { socket, path, server, next: 0 };
    socket.onDatagram((data, remote) => this.#forward(key, relay, data, remote));
    try {
      await socket.bind({ path });
    } catch (err) {
      await socket.close();
      throw err;
    }
    this.#relays.set(key, relay);
  }

  /**
   * Forks the workers; resolves once `processes` of them listen on every key. A worker
   * whose listen failed, or that died first, or 60 s without it: the failure (the pool
   * is stopped again).
   */
  async start(signal: AbortSignal | undefined): Promise<StartFailure | null> {
    if (signal?.aborted) return { error: signal.reason ?? new Error('aborted'), key: null };
    const started = new Promise<StartFailure | null>((resolve) => {
      const timer = setTimeout(
        () =>
          this.#onStarted?.({
            error: new SocketError('workers did not start listening within 60 s', 'ERR_SOCKET'),
            key: null,
          }),
        60_000,
      );
      const onAbort = (): void =>
        this.#onStarted?.({ error: signal?.reason ?? new Error('aborted'), key: null });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#onStarted = (failure) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#onStarted = null;
        resolve(failure ?? null);
      };
    });
    cluster.setupPrimary({
      exec: this.#workerScript ?? process.argv[1],
      args: process.argv.slice(2),
      execArgv: process.execArgv,
    });
    cluster.on('message', this.#onMessage);
    cluster.on('exit', this.#onExit);
    while (this.#workers.size < this.#processes) this.#fork();
    const failure = await started;
    if (failure !== null) await this.stop();
    return failure;
  }

  #fork(): void {
    const worker = cluster.fork({ [ENV_FLAG]: '1' });
    this.#workers.set(worker.id, {
      worker,
      startedAt: Date.now(),
      listened: new Set(),
      inFlight: 0,
      closed: false,
    });
    // An IPC error (the worker died mid-send) must not crash the primary.
    worker.on('error', ignoreError('cluster:worker-ipc'));
    publish(serverChannels.worker, () => ({
      event: 'fork' as const,
      pid: worker.process.pid,
      workerId: worker.id,
    }));
  }

  /** Workers that listen on every key. */
  #ready(): number {
    let n = 0;
    for (const state of this.#workers.values()) {
      if (state.listened.size === this.#keys.length) n++;
    }
    return n;
  }

  #message(worker: Worker, message: unknown): void {
    const state = this.#workers.get(worker.id);
    if (state === undefined || !isMessage(message)) return;
    const m = message as ToPrimary;
    switch (m.socketkit) {
      case 'listening':
        // Only keys the factory named count towards "this worker listens on all".
        if (!this.#keys.includes(m.key)) break;
        this.#addresses.set(m.key, this.#addresses.get(m.key) ?? m.address);
        state.listened.add(m.key);
        if (state.listened.size === this.#keys.length) {
          publish(serverChannels.worker, () => ({
            event: 'listening' as const,
            pid: worker.process.pid,
            workerId: worker.id,
          }));
          if (this.#ready() >= this.#processes) this.#onStarted?.();
        }
        break;
      case 'listen-error':
        this.#onStarted?.({ error: reviveError(m.error), key: m.key });
        break;
      case 'closed':
        state.closed = true;
        this.#checkClosed();
        break;
      case 'reply': {
        if (typeof m.data !== 'string' || typeof m.path !== 'string') break;
        const relay = this.#relays.get(m.key);
        relay?.socket
          .sendTo(Buffer.from(m.data, 'base64'), { path: m.path })
          .catch((error: unknown) =>
            publish(serverChannels.error, () => ({
              error,
              phase: 'reply' as const,
              server: relay.server,
            })),
          );
        break;
      }
    }
  }

  /** Hands a datagram to the next worker that listens on `key` and keeps up; dropped (a `queueFull` refusal) if none does. */
  #forward(key: string, relay: Relay, data: Buffer, remote: PeerAddress): void {
    const path = remote.family === 'unix' ? remote.path : '';
    if (!this.#stopping) {
      const states = [...this.#workers.values()].filter(
        (s) => s.listened.has(key) && s.worker.isConnected() && s.inFlight < MAX_RELAY_IN_FLIGHT,
      );
      if (states.length > 0) {
        const state = states[relay.next++ % states.length]!;
        const m: ToWorker = { socketkit: 'datagram', key, data: data.toString('base64'), path };
        state.inFlight++;
        // The callback's error (the worker went away) needs nothing more: its 'exit'
        // replaces it, and a datagram may be lost.
        state.worker.send(m, () => {
          state.inFlight--;
        });
        return;
      }
    }
    publish(serverChannels.refused, () => ({
      remote,
      reason: 'queueFull' as const,
      server: relay.server,
    }));
  }

  #exit(worker: Worker, code: number | null, signal: string | null): void {
    const state = this.#workers.get(worker.id);
    if (state === undefined) return;
    this.#workers.delete(worker.id);
    publish(serverChannels.worker, () => ({
      event: 'exit' as const,
      pid: worker.process.pid,
      workerId: worker.id,
      code,
      signal,
    }));
    this.#checkClosed();
    if (this.#onStarted !== null && state.listened.size < this.#keys.length) {
      this.#onStarted({
        error: new SocketError(
          `worker ${worker.process.pid ?? '?'} exited (${signal ?? `code ${code ?? '?'}`}) before it listened`,
          'ERR_SOCKET',
        ),
        key: null,
      });
      return;
    }
    // Replace a worker that served and then died; one that died before it could listen
    // would die again (a bug in the script, a taken port): that fails start() instead.
    if (this.#stopping || state.listened.size === 0) return;
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
      if (!this.#stopping && this.#workers.size < this.#processes) this.#fork();
    }, delayMs);
    this.#restartTimers.add(timer);
  }

  #checkClosed(): void {
    if (this.#onClosed === null) return;
    for (const state of this.#workers.values()) if (!state.closed) return;
    this.#onClosed();
  }

  /**
   * Asks every worker to shut its servers down with `drainSeconds` (undefined: each
   * server's own), waits until all did (or exited, or `boundSeconds` + 5 s passed) —
   * `forced` settling resends the request with no drain — then stops the workers and
   * closes the relayed sockets.
   */
  async shutdown(
    drainSeconds: number | undefined,
    forced: Promise<void>,
    boundSeconds: number,
  ): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#restartTimers) clearTimeout(timer);
    this.#restartTimers.clear();
    const closed = new Promise<void>((resolve) => {
      this.#onClosed = resolve;
    });
    const tell = (drainTimeout: number | null): void => {
      const m: ToWorker = { socketkit: 'shutdown', drainTimeout };
      for (const { worker } of this.#workers.values()) {
        if (worker.isConnected()) worker.send(m, () => {});
      }
    };
    tell(drainSeconds ?? null);
    void forced.then(() => tell(0));
    this.#checkClosed();
    // Workers bound their own drain; this bounds a worker that hangs or ignores us.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      closed,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, boundSeconds * 1000 + 5000);
      }),
    ]);
    clearTimeout(timer);
    await this.stop();
  }

  /** Disconnects every worker (SIGKILL after 5 s) and closes the relayed sockets. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#onClosed = null;
    for (const timer of this.#restartTimers) clearTimeout(timer);
    this.#restartTimers.clear();
    const exits: Promise<void>[] = [];
    for (const { worker } of this.#workers.values()) {
      exits.push(
        new Promise<void>((resolve) => {
          if (worker.isDead()) {
            resolve();
            return;
          }
          const kill = setTimeout(() => worker.process.kill('SIGKILL'), 5000);
          worker.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          if (worker.isConnected()) worker.disconnect();
        }),
      );
    }
    await Promise.all(exits);
    cluster.off('message', this.#onMessage);
    cluster.off('exit', this.#onExit);
    for (const relay of this.#relays.values()) {
      await relay.socket.close().catch(ignoreError('cluster:relay-close'));
      // Unlike a stream socket, nothing removes a datagram socket's file on close.
      await removeOwnSocketFile(relay.path).catch(ignoreError('cluster:relay-unlink'));
    }
    this.#relays.clear();
  }
}
