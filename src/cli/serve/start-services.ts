/**
 * Starts the servers of a serve plan and stops them again. All listeners are bound
 * before any is reported, and if one cannot bind (a port in use, a bad TLS file) the
 * ones already bound are closed and the error names the listener that failed.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { SocketkitError } from '../../errors.js';
import { claimUnixSocketPath } from '../../socket/unix-path.js';
import {
  isServerWorker,
  TcpServer,
  UdpServer,
  UnixDatagramServer,
  UnixStreamServer,
} from '../../server/index.js';
import type { ServiceEnv, ServiceInstance } from '../../services/service.js';
import type { BoundListener } from './listening-table.js';
import type { ServeLogger } from './serve-logger.js';
import {
  DEFAULT_DATAGRAM_RATE,
  describeListener,
  type ListenerPlan,
  type ServicePlan,
} from './serve-plan.js';

/** What every socketkit server offers the superserver. */
interface RunnableServer {
  listen(): Promise<unknown>;
  readonly address: unknown;
  serveForever(): Promise<void> | void;
  shutdown(options?: { drainTimeout?: number }): Promise<void>;
  close(): Promise<void>;
}

/**
 * A service or one of its listeners could not be started; `listener` names it
 * (`echo/tcp 127.0.0.1:7007`, `qotd`), `cause` says why.
 */
export class ListenerStartError extends Error {
  readonly listener: string;
  /** @param verb what failed: `listen for` (default), `start`, `read the TLS files of`. */
  constructor(listener: string, cause: unknown, verb = 'listen for') {
    const why =
      cause instanceof SocketkitError
        ? `${cause.message} [${cause.code}]`
        : cause instanceof Error
          ? cause.message
          : String(cause);
    super(`cannot ${verb} ${listener}: ${why}`, { cause });
    this.name = 'ListenerStartError';
    this.listener = listener;
  }
}

/** The running superserver. */
export interface RunningServices {
  /** Every bound listener, in plan order, with real ports. */
  readonly listeners: readonly BoundListener[];
  /** Graceful stop: stop accepting, let handlers finish for `drainTimeout` seconds, close the rest. */
  stop(drainTimeout: number): Promise<void>;
  /** Settles once every server has closed (by `stop()`, or by the primary in a worker). */
  readonly closed: Promise<void>;
}

/**
 * True when a listener runs in worker processes (`--processes N` > 1): every transport
 * (TCP/TLS and Unix stream share the listening socket, UDP workers share one socket, Unix
 * datagrams are relayed by the primary). A worker (the same command, re-run by the
 * primary through `node:cluster`) starts only these, in the same order, so the server
 * framework can pair them with the primary's.
 */
function isMultiProcess(plan: ServicePlan, _listener: ListenerPlan): boolean {
  return (plan.limits.processes ?? 1) > 1;
}

/** True in a worker process of a `--processes N` superserver. */
export function inServeWorker(): boolean {
  return isServerWorker();
}

/** Thrown by {@link startServices} when `signal` aborts before every listener is bound. */
export class StartAbortedError extends Error {
  constructor() {
    super('stopped before every listener was bound');
    this.name = 'StartAbortedError';
  }
}

/**
 * Binds every listener of `plans` and starts serving. A `signal` aborted meanwhile (Ctrl-C
 * while workers start) closes what is bound and throws {@link StartAbortedError}.
 * @throws {ListenerStartError}
 */
export async function startServices(
  plans: readonly ServicePlan[],
  logger: ServeLogger,
  signal?: AbortSignal,
): Promise<RunningServices> {
  const worker = isServerWorker();
  const stopController = new AbortController();
  const instances: ServiceInstance[] = [];
  const servers: RunnableServer[] = [];
  const listeners: BoundListener[] = [];
  const serving: Promise<unknown>[] = [];

  const closeAll = async (drainTimeout: number): Promise<void> => {
    stopController.abort();
    await Promise.allSettled(servers.map((s) => s.shutdown({ drainTimeout })));
    await Promise.allSettled(serving);
    await Promise.allSettled(instances.map((i) => i.close?.()));
  };

  try {
    // The primary of a multi-process set claims every Unix stream path first: the workers
    // forked for the first server start all of them, and would have it bind a later
    // server's path before that server came to remove a stale file there.
    if (!worker) {
      for (const plan of plans) {
        for (const l of plan.listeners) {
          if (l.kind !== 'unix' || !isMultiProcess(plan, l)) continue;
          try {
            await claimUnixSocketPath(l.path);
          } catch (err) {
            throw new ListenerStartError(describeListener(plan.service.name, l), err);
          }
        }
      }
    }
    for (const plan of plans) {
      if (worker && !plan.listeners.some((l) => isMultiProcess(plan, l))) continue;
      const name = plan.service.name;
      const env: ServiceEnv = {
        signal: stopController.signal,
        // Services may name themselves already ("sntp: stopped"): do not say it twice.
        // `fields.repeat` (a key) marks an event a client or an outage can repeat at will:
        // the logger writes the first and summarises the rest (ServeLogger.repeated).
        log: (level, message, fields) => {
          const text = message.startsWith(name) ? message : `${name}: ${message}`;
          const all = { service: name, ...fields };
          const repeat = fields?.repeat;
          if (typeof repeat !== 'string') {
            logger.log(level, text, all);
            return;
          }
          const kind = typeof fields?.repeatKind === 'string' ? fields.repeatKind : repeat;
          logger.repeated(
            level,
            `${name} ${repeat}`,
            kind,
            () => text,
            (n, s) => `${name}: ${n} more "${repeat}" events in the last ${s} s`,
            all,
          );
        },
      };
      let instance: ServiceInstance;
      try {
        // Where it listens, for services that refuse to be exposed (exec: loopback unless TLS).
        const net = plan.listeners.find(
          (l) => l.kind === 'tcp' || l.kind === 'tls' || l.kind === 'udp',
        );
        const where = {
          ...(net && 'host' in net ? { host: net.host } : {}),
          tlsEnabled: plan.tls !== undefined,
          udpEnabled: plan.listeners.some((l) => l.kind === 'udp'),
        };
        instance = await plan.service.create({ ...plan.options, ...where }, env);
      } catch (err) {
        throw new ListenerStartError(name, err, 'start');
      }
      instances.push(instance);
      let tls: TlsFiles | undefined;
      if (plan.tls) {
        try {
          tls = {
            cert: await readFile(plan.tls.cert),
            key: await readFile(plan.tls.key),
            ...(plan.tls.ca ? { ca: await readFile(plan.tls.ca) } : {}),
            ...(plan.tls.requestCert !== undefined ? { requestCert: plan.tls.requestCert } : {}),
          };
        } catch (err) {
          throw new ListenerStartError(name, err, 'read the TLS files of');
        }
      }
      for (const listener of plan.listeners) {
        if (worker && !isMultiProcess(plan, listener)) continue;
        if (signal?.aborted) throw new StartAbortedError();
        const label = describeListener(name, listener);
        let server: RunnableServer;
        try {
          server = createServer(plan, listener, instance, tls);
          logger.track(server, { service: name, transport: listener.kind });
          await server.listen();
        } catch (err) {
          throw new ListenerStartError(label, err);
        }
        servers.push(server);
        listeners.push(bound(plan, listener, server.address));
      }
    }
    if (signal?.aborted) throw new StartAbortedError();
  } catch (err) {
    await closeAll(0);
    throw err;
  }
  for (const server of servers)
    serving.push(Promise.resolve(server.serveForever()).catch(() => {}));
  let stopping: Promise<void> | undefined;
  return {
    listeners,
    closed: Promise.allSettled(serving).then(() => {}),
    stop: (drainTimeout) => {
      stopping ??= closeAll(drainTimeout);
      return stopping;
    },
  };
}

type TlsFiles = { cert: Buffer; key: Buffer; ca?: Buffer; requestCert?: boolean };

function createServer(
  plan: ServicePlan,
  listener: ListenerPlan,
  instance: ServiceInstance,
  tls: TlsFiles | undefined,
): RunnableServer {
  const {
    maxConnections,
    maxConnectionsPerIp,
    acceptRate,
    acceptBurst,
    handshakeTimeout,
    backlog,
    idleTimeout,
    processes,
    maxPacketSize,
    allow,
    deny,
  } = plan.limits;
  const rate = plan.limits.datagramRate ?? DEFAULT_DATAGRAM_RATE;
  const access = { ...(allow ? { allow } : {}), ...(deny ? { deny } : {}) };
  const streamLimits = {
    ...access,
    ...(maxConnections !== undefined ? { maxConnections } : {}),
    ...(maxConnectionsPerIp !== undefined ? { maxConnectionsPerIp } : {}),
    ...(acceptRate !== undefined ? { acceptRate } : {}),
    ...(acceptBurst !== undefined ? { acceptBurst } : {}),
    ...(handshakeTimeout !== undefined ? { handshakeTimeout } : {}),
    ...(backlog !== undefined ? { backlog } : {}),
    ...(idleTimeout !== undefined ? { idleTimeout } : {}),
    ...(isMultiProcess(plan, listener) ? { processes } : {}),
  };
  const datagramLimits = {
    ...access,
    ...(maxPacketSize !== undefined ? { maxPacketSize } : {}),
    ...(isMultiProcess(plan, listener) ? { processes } : {}),
  };
  const need = <K extends 'stream' | 'datagram'>(what: K): NonNullable<ServiceInstance[K]> => {
    const handler = instance[what];
    if (!handler) throw new Error(`${plan.service.name} has no ${what} handler`);
    return handler as NonNullable<ServiceInstance[K]>;
  };
  switch (listener.kind) {
    case 'tcp':
    case 'tls':
      return new TcpServer({
        host: listener.host,
        port: listener.port,
        ...streamLimits,
        ...(listener.kind === 'tls' && tls ? { tls } : {}),
        handler: need('stream'),
      });
    case 'udp':
      return new UdpServer({
        host: listener.host,
        port: listener.port,
        ...datagramLimits,
        ignorePrivilegedPorts: plan.service.ignorePrivilegedPorts === true,
        ...(rate > 0
          ? {
              rateLimit: {
                rate,
                ...(plan.limits.datagramBurst !== undefined
                  ? { burst: plan.limits.datagramBurst }
                  : {}),
                ...(plan.limits.datagramSources !== undefined
                  ? { maxSources: plan.limits.datagramSources }
                  : {}),
              },
            }
          : {}),
        handler: need('datagram'),
      });
    case 'unix':
      return new UnixStreamServer({
        path: listener.path,
        ...streamLimits,
        handler: need('stream'),
      });
    case 'unix-dgram':
      return new UnixDatagramServer({
        path: listener.path,
        ...datagramLimits,
        handler: need('datagram'),
      });
  }
}

function bound(plan: ServicePlan, listener: ListenerPlan, address: unknown): BoundListener {
  const a = address as { address?: string; port?: number; path?: string } | null;
  if ('path' in listener)
    return { service: plan.service, kind: listener.kind, path: a?.path || listener.path };
  return {
    service: plan.service,
    kind: listener.kind,
    host: a?.address ?? listener.host,
    port: a?.port ?? listener.port,
  };
}
