/**
 * Starts the servers of a serve plan and stops them again. All listeners are bound
 * before any is reported, and if one cannot bind (a port in use, a bad TLS file) the
 * ones already bound are closed and the error names the listener that failed.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { SocketkitError } from '../../errors.js';
import {
  ClusterSupervisor,
  failedServerKey,
  isServerWorker,
  type ServerSet,
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
import { ignoreError } from '../../internal/ignore-error.js';

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
  /** Every running service instance, by service name, in plan order. */
  readonly instances: ReadonlyArray<{ name: string; instance: ServiceInstance }>;
}

/** Told about every server before it listens (the metrics of `serve --http` count from it). */
export type ServerObserver = (
  server: object,
  label: { service: string; transport: string; key?: string },
) => void;

/**
 * True when a service runs in worker processes (`--processes N` > 1): all its listeners,
 * whatever the transport (TCP/TLS and Unix stream share the listening socket, UDP workers
 * share one socket, Unix datagrams are relayed by the primary). They are run by one
 * `ClusterSupervisor`, keyed by their listener's name; a worker (the same command, re-run
 * by the primary through `node:cluster`) starts only these.
 */
function isMultiProcess(plan: ServicePlan): boolean {
  return (plan.limits.processes ?? 1) > 1;
}

/** A listener the supervisor runs: what its server is made of, under its key. */
interface Supervised {
  key: string;
  label: string;
  plan: ServicePlan;
  listener: ListenerPlan;
  instance: ServiceInstance;
  tls: TlsFiles | undefined;
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
  observe?: ServerObserver,
): Promise<RunningServices> {
  const worker = isServerWorker();
  const stopController = new AbortController();
  const instances: ServiceInstance[] = [];
  const named: Array<{ name: string; instance: ServiceInstance }> = [];
  const track = (
    server: object,
    label: { service: string; transport: string; key?: string },
  ): void => {
    logger.track(server, label);
    observe?.(server, label);
  };
  const servers: RunnableServer[] = [];
  const serving: Promise<unknown>[] = [];
  /** Where each listener of the table comes from, in plan order. */
  const order: Array<{ plan: ServicePlan; listener: ListenerPlan; address: () => unknown }> = [];
  const supervised: Supervised[] = [];
  let supervisor: ClusterSupervisor | null = null;

  const closeAll = async (drainTimeout: number): Promise<void> => {
    stopController.abort();
    await Promise.allSettled([
      ...servers.map((s) => s.shutdown({ drainTimeout })),
      supervisor?.shutdown({ drainTimeout }),
    ]);
    await Promise.allSettled(serving);
    await Promise.allSettled(instances.map(async (i) => i.close?.()));
  };

  try {
    for (const plan of plans) {
      // A worker serves only what the primary supervises.
      if (worker && !isMultiProcess(plan)) continue;
      const name = plan.service.name;
      const instance = await createInstance(plan, logger, stopController.signal);
      instances.push(instance);
      named.push({ name, instance });
      const tls = await readTls(plan);
      for (const listener of plan.listeners) {
        if (signal?.aborted) throw new StartAbortedError();
        const label = describeListener(name, listener);
        if (isMultiProcess(plan)) {
          // Keys are listener names, unique even if two listeners look alike.
          let key = label;
          for (let n = 2; supervised.some((e) => e.key === key); n++) key = `${label} #${n}`;
          supervised.push({ key, label, plan, listener, instance, tls });
          order.push({ plan, listener, address: () => supervisor?.address(key) });
          continue;
        }
        let server: RunnableServer;
        try {
          server = createServer(plan, listener, instance, tls);
          track(server, { service: name, transport: listener.kind });
          await server.listen();
        } catch (err) {
          throw new ListenerStartError(label, err);
        }
        servers.push(server);
        order.push({ plan, listener, address: () => server.address });
      }
    }
    if (supervised.length > 0) {
      supervisor = new ClusterSupervisor({
        processes: Math.max(...supervised.map((e) => e.plan.limits.processes ?? 1)),
        servers: () => {
          const set: Record<string, ServerSet[string]> = {};
          for (const e of supervised) {
            const server = createServer(e.plan, e.listener, e.instance, e.tls);
            // The key: how a worker's metrics report finds this server in the primary.
            track(server, { service: e.plan.service.name, transport: e.listener.kind, key: e.key });
            set[e.key] = server;
          }
          return set;
        },
      });
      try {
        await supervisor.start(signal === undefined ? {} : { signal });
      } catch (err) {
        if (signal?.aborted) throw new StartAbortedError();
        const key = failedServerKey(err);
        const label = supervised.find((e) => e.key === key)?.label;
        throw new ListenerStartError(label ?? describeAll(supervised), err);
      }
    }
    if (signal?.aborted) throw new StartAbortedError();
  } catch (err) {
    await closeAll(0);
    throw err;
  }
  for (const server of servers)
    serving.push(Promise.resolve(server.serveForever()).catch(ignoreError('serve:serve-forever')));
  if (supervisor !== null)
    serving.push(supervisor.serveForever().catch(ignoreError('serve:serve-forever')));
  const listeners = order.map(({ plan, listener, address }) => bound(plan, listener, address()));
  let stopping: Promise<void> | undefined;
  return {
    listeners,
    instances: named,
    closed: Promise.allSettled(serving).then(() => {}),
    stop: (drainTimeout) => {
      stopping ??= closeAll(drainTimeout);
      return stopping;
    },
  };
}

/** The listeners a supervisor start failure cannot pin on one of them. */
function describeAll(supervised: readonly Supervised[]): string {
  return supervised.map((e) => e.label).join(', ');
}

/** Creates a service's handlers, with its log going through the serve logger. */
async function createInstance(
  plan: ServicePlan,
  logger: ServeLogger,
  signal: AbortSignal,
): Promise<ServiceInstance> {
  const name = plan.service.name;
  const env: ServiceEnv = {
    signal,
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
    return await plan.service.create({ ...plan.options, ...where }, env);
  } catch (err) {
    throw new ListenerStartError(name, err, 'start');
  }
}

/** Reads a service's TLS files, if it has any. */
async function readTls(plan: ServicePlan): Promise<TlsFiles | undefined> {
  if (!plan.tls) return undefined;
  try {
    return {
      cert: await readFile(plan.tls.cert),
      key: await readFile(plan.tls.key),
      ...(plan.tls.ca ? { ca: await readFile(plan.tls.ca) } : {}),
      ...(plan.tls.requestCert !== undefined ? { requestCert: plan.tls.requestCert } : {}),
    };
  } catch (err) {
    throw new ListenerStartError(plan.service.name, err, 'read the TLS files of');
  }
}

type TlsFiles = { cert: Buffer; key: Buffer; ca?: Buffer; requestCert?: boolean };

function createServer(
  plan: ServicePlan,
  listener: ListenerPlan,
  instance: ServiceInstance,
  tls: TlsFiles | undefined,
): TcpServer | UdpServer | UnixStreamServer | UnixDatagramServer {
  const {
    maxConnections,
    maxConnectionsPerIp,
    acceptRate,
    acceptBurst,
    handshakeTimeout,
    backlog,
    idleTimeout,
    maxPacketSize,
    allow,
    deny,
    proxyProtocol,
    proxyProtocolTimeout,
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
  };
  // TCP and UDP listeners only: a Unix listener has no peer address to trust, so it
  // would demand a header from every client. UDP takes v2 over datagrams (no timeout:
  // a datagram is whole).
  const proxyLimits =
    proxyProtocol !== undefined
      ? {
          proxyProtocol: {
            trusted: proxyProtocol,
            ...(proxyProtocolTimeout !== undefined ? { timeout: proxyProtocolTimeout } : {}),
          },
        }
      : {};
  const datagramLimits = {
    ...access,
    ...(maxPacketSize !== undefined ? { maxPacketSize } : {}),
  };
  const need = <K extends 'stream' | 'datagram'>(what: K): NonNullable<ServiceInstance[K]> => {
    const handler = instance[what];
    if (!handler) throw new Error(`${plan.service.name} has no ${what} handler`);
    return handler;
  };
  switch (listener.kind) {
    case 'tcp':
    case 'tls':
      return new TcpServer({
        host: listener.host,
        port: listener.port,
        ...streamLimits,
        ...(listener.kind === 'tls' && tls ? { tls } : {}),
        ...proxyLimits,
        handler: need('stream'),
      });
    case 'udp':
      return new UdpServer({
        host: listener.host,
        port: listener.port,
        ...datagramLimits,
        ...(proxyProtocol !== undefined ? { proxyProtocol: { trusted: proxyProtocol } } : {}),
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
