/**
 * The listening side of `socketkit relay`: for `tcp-listen:`, `tls-listen:` and
 * `unix-listen:` a `Listener` (access list applied as connections arrive, for TLS before
 * the handshake; handshake deadline), for `udp-listen:` a `DatagramSocket` whose clients
 * are told apart by address (`UdpSessions`). Each client gets its own relay to a fresh
 * opening of the other address; at most `maxConnections` at once (more are reset, or for
 * UDP dropped, and logged). A client whose other side cannot be opened is reset, and the
 * reason logged: it never sees a clean EOF that would look like an empty reply.
 * @module
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { setMaxListeners } from 'node:events';
import type { AccessList } from '../../server/access-list.js';
import type { PeerAddress } from '../../socket/address.js';
import { DatagramSocket } from '../../socket/datagram-socket.js';
import { type Accepted, Listener } from '../../socket/listener.js';
import type { TlsServerOptions } from '../../socket/tls-server.js';
import { describePeer } from '../netcat/netcat-log.js';
import { relayPair, type RelayResult } from '../../socket/relay-pair.js';
import { UdpSessionEnd } from './datagram-end.js';
import type { ListenAddress } from './relay-address.js';
import { type RelayEnd, SocketEnd } from './relay-end.js';
import type { RelayLog } from './relay-log.js';

/** Datagrams a UDP session queues while its other side connects or is slow. */
export const UDP_SESSION_QUEUE = 64;

/** Options of {@link serveRelay}. */
export interface RelayServerOptions {
  address: ListenAddress;
  /** `tls-listen:`'s server options. */
  tls: Omit<TlsServerOptions, 'allowHalfOpen'> | null;
  access: AccessList;
  maxConnections: number;
  /** Seconds without traffic before a relay is closed; null = never (streams). */
  idleTimeout: number | null;
  /** Seconds without traffic before a UDP session ends. */
  udpTimeout: number;
  /**
   * Opens the other address for one client (`signal`: that relay's, aborted with the
   * command; `client`: the client's address, and read when asked (a getsockname(2) or
   * a TLS lookup per client that only `--proxy-protocol` needs) the local address it
   * reached and, for `tls-listen:`, the server name it asked for in its handshake).
   */
  openOther: (
    signal: AbortSignal,
    client?: {
      peer: PeerAddress;
      local: () => PeerAddress | null;
      servername: () => string | undefined;
    },
  ) => Promise<RelayEnd>;
  /** True when the listening address was the first argument (relay direction in logs). */
  listenFirst: boolean;
  /** Serve one client, then stop (the other address is `stdio`, which opens once). */
  once: boolean;
  /** Called after each relay (file: discarded bytes, …). */
  afterRelay?: (other: RelayEnd | null, result: RelayResult) => void;
  log: RelayLog;
  signal: AbortSignal;
}

/** How serving ended: the one relay's result with `once`, else null (interrupted). */
export type RelayServerResult = RelayResult | null;

/** Relays that share one `AbortController` (as a server's connections share `ctx.signal`). */
const RELAYS_PER_SIGNAL = 32;

/** One shared controller and the relays using it. */
interface RelayBatch {
  readonly controller: AbortController;
  /** The controller's signal, what the relays of the batch pass on. */
  readonly signal: AbortSignal;
  /** Relays handed this batch (it takes no more past RELAYS_PER_SIGNAL). */
  joined: number;
  /** Relays still running with it. */
  active: number;
}

/**
 * The relays in progress, aborted together when the command's signal fires: one
 * listener on that signal, not one per relay (an `EventTarget` walks every listener on
 * each add and remove, which 10,000 relays would make quadratic), and one
 * `AbortController` per 32 relays, not one each (making one costs more than the rest of a
 * short relay's bookkeeping); a relay's signal then has at most 32 listeners.
 */
class RelayGroup {
  readonly #batches = new Set<RelayBatch>();
  #current: RelayBatch | null = null;
  readonly #onAbort = (): void => {
    for (const b of this.#batches) b.controller.abort();
  };

  constructor(readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** A batch whose signal a relay uses, aborted with the group; `release` it when the relay ends. */
  join(): RelayBatch {
    let batch = this.#current;
    if (batch === null || batch.joined >= RELAYS_PER_SIGNAL) {
      if (batch !== null && batch.active === 0) this.#batches.delete(batch);
      const controller = new AbortController();
      // Each relay of the batch listens while it connects and while it relays: by design
      // more than Node's warning threshold of 10.
      setMaxListeners(0, controller.signal);
      batch = { controller, signal: controller.signal, joined: 0, active: 0 };
      this.#current = batch;
      if (this.signal.aborted) batch.controller.abort();
      else this.#batches.add(batch);
    }
    batch.joined += 1;
    batch.active += 1;
    return batch;
  }

  release(batch: RelayBatch): void {
    batch.active -= 1;
    if (batch.active === 0 && batch !== this.#current) this.#batches.delete(batch);
  }

  close(): void {
    this.signal.removeEventListener('abort', this.#onAbort);
  }
}

/** The name of relay number `n` in log lines. */
const relayName = (n: number): string => `relay #${n}`;

/** Serves until the signal fires (or, with `once`, until the one relay is done). */
export async function serveRelay(options: RelayServerOptions): Promise<RelayServerResult> {
  return options.address.kind === 'udp-listen' ? serveUdp(options) : serveStream(options);
}

/**
 * The address a client reached (not the wildcard bound), or null once it is gone. A
 * Unix socket accepted from a listener names no path of its own (getsockname on it is
 * empty): the client reached the listening socket's path.
 */
function localOf(socket: Accepted['socket'], listening: PeerAddress): PeerAddress | null {
  try {
    const local = socket.getSockName();
    return local.family === 'unix' && local.path === '' && listening.family === 'unix'
      ? listening
      : local;
  } catch {
    return null; // the client is gone already: the connect that follows fails anyway
  }
}

/** A `tls-listen:` client's SNI (what `--proxy-protocol v2` sends as AUTHORITY), if any. */
function servernameOf(socket: Accepted['socket']): string | undefined {
  let name: unknown;
  try {
    // A handshaken TLSSocket's `servername`: the SNI, or false without one.
    name = (socket.raw as { servername?: unknown }).servername;
  } catch {
    return undefined; // gone already
  }
  return typeof name === 'string' && name !== '' ? name : undefined;
}

function peerText(address: PeerAddress, listening: ListenAddress): string {
  if (address.family === 'unix') return `${'path' in listening ? listening.path : ''} client`;
  return describePeer({ address: address.address, port: address.port });
}

async function serveStream(options: RelayServerOptions): Promise<RelayServerResult> {
  const { address, log } = options;
  const admit = (peer: PeerAddress): boolean => {
    if (options.access.permits(peer)) return true;
    log.info(`connection from ${peerText(peer, address)} denied (--allow/--deny)`);
    return false;
  };
  const common = { ...(options.tls === null ? {} : { tls: options.tls }), admit };
  const listener =
    address.kind === 'unix-listen'
      ? await Listener.bind({ path: address.path }, common)
      : await Listener.bind(
          {
            host: (address as { bind: { host: string } }).bind.host,
            port: (address as { bind: { port: number } }).bind.port,
          },
          common,
        );
  const local = listener.address;
  log.info(
    `listening on ${local.family === 'unix' ? local.path : describePeer({ address: local.address, port: local.port })}`,
  );
  const onHandshake = (message: unknown): void => {
    const m = message as { listener: Listener; address: PeerAddress; error: Error };
    if (m.listener === listener) {
      log.info(`TLS handshake with ${peerText(m.address, address)} failed: ${m.error.message}`);
    }
  };
  subscribe('socketkit:listener:handshake', onHandshake);
  let count = 0;
  let active = 0;
  const running = new Set<Promise<void>>();
  const group = new RelayGroup(options.signal);
  try {
    return await new Promise<RelayServerResult>((resolve) => {
      let stopped = false;
      const stop = (result: RelayServerResult): void => {
        if (stopped) return;
        stopped = true;
        void listener.close().then(() => resolve(result));
      };
      options.signal.addEventListener('abort', () => stop(null), { once: true });
      if (options.signal.aborted) stop(null);

      const serve = ({ socket, address: peer }: Accepted): void => {
        if (active >= options.maxConnections) {
          log.info(
            `connection from ${peerText(peer, address)} refused: --max-connections ${options.maxConnections} reached`,
          );
          socket.reset();
          return;
        }
        active += 1;
        count += 1;
        const name = relayName(count);
        const client = new SocketEnd(socket, peerText(peer, address));
        if (options.once) void listener.close();
        const controller = group.join();
        const job = (async (): Promise<void> => {
          const startedAt = performance.now();
          let other: RelayEnd;
          try {
            other = await options.openOther(controller.signal, {
              peer,
              local: () => localOf(socket, listener.address),
              servername: () => servernameOf(socket),
            });
          } catch (err) {
            // The client is reset: a clean EOF would look like an empty answer.
            log.warn(
              `${name}: ${client.label}: cannot open the other address: ${(err as Error).message}`,
            );
            client.side.reset();
            if (options.once) stop(null);
            return;
          }
          if (log.verbose) log.info(`${name}: ${client.label} ⇄ ${other.label}`);
          const [a, b] = options.listenFirst ? [client, other] : [other, client];
          const result = await relayPair(a.side, b.side, {
            idleTimeout: options.idleTimeout,
            signal: controller.signal,
            labels: [a.label, b.label],
          });
          log.closed(name, result, startedAt, [a.label, b.label]);
          options.afterRelay?.(other, result);
          if (options.once) stop(result);
        })().finally(() => {
          active -= 1;
          group.release(controller);
          running.delete(job);
        });
        running.add(job);
      };

      const acceptLoop = async (): Promise<void> => {
        while (!stopped && !listener.closed) {
          let accepted: Accepted;
          try {
            accepted = await listener.accept();
          } catch (err) {
            if (listener.closed) return;
            log.warn(err instanceof Error ? err.message : String(err));
            continue;
          }
          if (stopped) accepted.socket.reset();
          else serve(accepted);
        }
      };
      void acceptLoop();
    });
  } finally {
    group.close();
    unsubscribe('socketkit:listener:handshake', onHandshake);
    // Interrupted: the relays see the same signal and reset; wait for them to finish.
    await Promise.allSettled([...running]);
  }
}

async function serveUdp(options: RelayServerOptions): Promise<RelayServerResult> {
  const { log } = options;
  const bind = (options.address as Extract<ListenAddress, { kind: 'udp-listen' }>).bind;
  const v6 = bind.host.includes(':');
  const sock = new DatagramSocket({ family: v6 ? 'IPv6' : 'IPv4' });
  try {
    await sock.bind({ host: bind.host, port: bind.port });
  } catch (err) {
    await sock.close();
    throw err;
  }
  const local = sock.getSockName();
  if (local.family !== 'unix')
    log.info(`listening on ${describePeer({ address: local.address, port: local.port })} (UDP)`);
  const sessions = new Map<string, UdpSessionEnd>();
  const running = new Set<Promise<void>>();
  let count = 0;
  let refused = 0;
  const onAbort = (): void => void sock.close();
  options.signal.addEventListener('abort', onAbort, { once: true });
  const group = new RelayGroup(options.signal);
  try {
    while (!options.signal.aborted) {
      let datagram;
      try {
        datagram = await sock.recvFrom(65536);
      } catch (err) {
        if (sock.closed) break;
        log.warn(err instanceof Error ? err.message : String(err));
        continue;
      }
      const { data, address: from } = datagram;
      if (from.family === 'unix') continue;
      const key = `${from.address}|${from.port}`;
      let session = sessions.get(key);
      if (session === undefined) {
        const who = describePeer({ address: from.address, port: from.port });
        if (!options.access.permits(from)) {
          log.info(`datagram from ${who} denied (--allow/--deny)`);
          continue;
        }
        if (options.once && count > 0) {
          log.info(`datagram from ${who} dropped: stdio relays one client only`);
          continue;
        }
        if (sessions.size >= options.maxConnections) {
          refused += 1;
          log.info(
            `datagram from ${who} dropped: --max-connections ${options.maxConnections} sessions (${refused} dropped so far)`,
          );
          continue;
        }
        count += 1;
        const s = new UdpSessionEnd(sock, from, who, UDP_SESSION_QUEUE);
        session = s;
        sessions.set(key, s);
        const name = relayName(count);
        const controller = group.join();
        const job = (async (): Promise<void> => {
          const startedAt = performance.now();
          let other: RelayEnd;
          try {
            // The local address is the bound one (the wildcard when bound to all: UDP
            // does not say which address a datagram reached).
            other = await options.openOther(controller.signal, {
              peer: from,
              local: () => local,
              servername: () => undefined,
            });
          } catch (err) {
            log.warn(`${name}: ${who}: cannot open the other address: ${(err as Error).message}`);
            return;
          }
          log.info(`${name}: ${who} ⇄ ${other.label} (UDP session)`);
          const [a, b] = options.listenFirst ? [s, other] : [other, s];
          const idle = Math.min(options.udpTimeout, options.idleTimeout ?? Infinity);
          const result = await relayPair(a.side, b.side, {
            idleTimeout: idle,
            signal: controller.signal,
            labels: [a.label, b.label],
          });
          if (s.dropped > 0)
            log.warn(
              `${name}: ${s.dropped} datagrams from ${who} dropped (the other side was not taking them)`,
            );
          log.closed(name, result, startedAt, [a.label, b.label]);
          options.afterRelay?.(other, result);
          if (options.once) void sock.close();
        })().finally(() => {
          group.release(controller);
          sessions.delete(key);
          void s.close();
          running.delete(job);
        });
        running.add(job);
      }
      session.deliver(data);
    }
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    group.close();
    await sock.close();
    await Promise.allSettled([...running]);
  }
  return null;
}
