/**
 * `socketkit serve`: the superserver. Runs one service, a set from a config file, or
 * (with no arguments, what `npm start` runs) the default set on unprivileged ports,
 * prints what listens where, logs connection events to stderr, and shuts down
 * gracefully on SIGINT/SIGTERM. Documented in docs/serve.md.
 *
 * Exit codes: 0 stopped by a signal after a graceful shutdown, 1 a runtime failure
 * (address in use, unreadable TLS file), 2 a usage error (unknown service, bad flag
 * or config key).
 * @module
 */
import { Command, Option } from 'commander';
import { AddressInUseError, InvalidArgumentError } from '../../errors.js';
import { allServices as knownServices } from '../../services/registry.js';
import { CliError, type CliIO, ExitCode } from '../io.js';
import { loadServeConfig } from '../serve/config-file.js';
import { planFromFlags, portOffsetOf, type ServeFlags } from '../serve/flags-plan.js';
import {
  buildHttpPlan,
  DEFAULT_HTTP_PORT,
  HTTP_FLAG_NAMES,
  HTTP_LIMIT_DEFAULTS,
  type HttpInputs,
  type HttpPlan,
} from '../serve/http/http-plan.js';
import { onPath, renderListeningTable, renderServiceList } from '../serve/listening-table.js';
import { ServeUsageError } from '../serve/option-values.js';
import { type LogFormat, type LogLevel, ServeLogger } from '../serve/serve-logger.js';
import { DEFAULT_DATAGRAM_RATE, type ServicePlan } from '../serve/serve-plan.js';
import {
  inServeWorker,
  ListenerStartError,
  StartAbortedError,
  startServices,
} from '../serve/start-services.js';
import type { CommandFactory } from './index.js';

/** Flags that only make sense for one service or the default set, not with --config. */
const PER_SERVICE_FLAGS = [
  'port',
  'host',
  'tcp',
  'udp',
  'unix',
  'unixDgram',
  'tlsCert',
  'tlsKey',
  'tlsCa',
  'processes',
  'maxConnections',
  'maxConnectionsPerIp',
  'acceptRate',
  'acceptBurst',
  'handshakeTimeout',
  'backlog',
  'idleTimeout',
  'maxPacketSize',
  'datagramRate',
  'datagramBurst',
  'datagramSources',
  'allow',
  'deny',
  'proxyProtocol',
  'proxyProtocolTimeout',
] as const;

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** How long a graceful shutdown lets connections finish, by default (seconds). */
export const DEFAULT_DRAIN_TIMEOUT = 5;

/** Builds the `serve` command. */
export const serveCommand: CommandFactory = (io, setExitCode) => {
  const cmd = new Command('serve')
    .description(
      "run classic services (echo, discard, daytime, qotd, chargen, time, …): one, a config file's, or the default set",
    )
    .argument('[name]', 'the service to run (see --list); without it, the default set')
    .option('-p, --port <n>', "port for TCP and UDP (default: the service's own, see --list)")
    .option(
      '--port-offset <n>',
      'add N to every default port (run a second default set beside the first)',
    )
    .option('--host <host>', 'address to listen on (0.0.0.0 or :: to expose)', undefined)
    .addOption(new Option('--tcp', 'TCP only').conflicts('udp'))
    .addOption(new Option('--udp', 'UDP only').conflicts('tcp'))
    .option('--unix <path>', 'also (or, without --port, only) a Unix stream socket')
    .option('--unix-dgram <path>', 'also (or, without --port, only) a Unix datagram socket')
    .option('--tls-cert <file>', 'serve TCP with TLS: certificate (PEM)')
    .option('--tls-key <file>', 'serve TCP with TLS: private key (PEM)')
    .option('--tls-ca <file>', 'CA for client certificates (PEM)')
    .option(
      '--processes <n>',
      'worker processes serving every listener (default 1: all on the event loop)',
    )
    .option(
      '--max-connections <n>',
      'refuse clients beyond N at once, TLS handshakes included (per listener; default 10000)',
    )
    .option(
      '--max-connections-per-ip <n>',
      'refuse a client address beyond N connections at once (IPv6: per /64; 0 = no limit; default 256; not for Unix sockets)',
    )
    .option(
      '--accept-rate <n>',
      'refuse a client address opening more than N connections a second (0 = no limit; default 200)',
    )
    .option(
      '--accept-burst <n>',
      'connections one address may open back to back (default: 2 × --accept-rate)',
    )
    .option(
      '--handshake-timeout <seconds>',
      'TLS: close a client that has not completed its handshake this long after connecting (default 10)',
    )
    .option(
      '--backlog <n>',
      'listen queue of TCP/Unix stream listeners (default: net.core.somaxconn, at most 4096)',
    )
    .option('--idle-timeout <seconds>', 'close a connection idle this long')
    .option('--max-packet-size <bytes>', 'largest datagram read whole')
    .option(
      '--datagram-rate <n>',
      `UDP: datagrams per second each source address may send; more are dropped (default ${DEFAULT_DATAGRAM_RATE}; 0: no limit)`,
    )
    .option(
      '--datagram-burst <n>',
      'UDP: datagrams a source may send back to back (default 2 × rate)',
    )
    .option(
      '--datagram-sources <n>',
      'UDP: source addresses the rate limit tracks at once (default 10000; least recent forgotten)',
    )
    .option('--allow <cidr>', 'only these clients (address or CIDR; repeatable)', collect)
    .option('--deny <cidr>', 'refuse these clients (address or CIDR; repeatable)', collect)
    .option(
      '--proxy-protocol <cidr>',
      "TCP, TLS and UDP listeners: accept HAProxy's PROXY protocol (v1/v2; UDP: v2 on every datagram) from these proxies (address or CIDR; repeatable): the client it names is the one logged, limited and served",
      collect,
    )
    .option(
      '--proxy-protocol-timeout <seconds>',
      'close a trusted proxy that has not sent its whole PROXY header this long after connecting (default 5)',
    )
    .option(
      '--http <port>',
      `serve the dashboard, /metrics, /healthz, /readyz and browser pages on this port (the default set: ${DEFAULT_HTTP_PORT}; docs/observability.md)`,
    )
    .option('--no-http', 'the default set without its HTTP side')
    .option(
      '--http-host <host>',
      'address of the HTTP side (default 127.0.0.1; any other needs --http-token-file)',
    )
    .option(
      '--http-token-file <file>',
      'dashboard, /metrics and events need this secret (Authorization: Bearer, or ?token= once per browser)',
    )
    .option('--http-tls-cert <file>', 'serve the HTTP side over HTTPS: certificate (PEM)')
    .option('--http-tls-key <file>', 'serve the HTTP side over HTTPS: private key (PEM)')
    .option(
      '--http-allow-host <name>',
      'a host name the HTTP side answers to besides loopback and --http-host (repeatable)',
      collect,
    )
    .option(
      '--http-max-connections <n>',
      `HTTP side: sockets open at once (default ${HTTP_LIMIT_DEFAULTS.maxConnections})`,
    )
    .option(
      '--http-max-sse <n>',
      `HTTP side: dashboards open at once (default ${HTTP_LIMIT_DEFAULTS.maxSseClients})`,
    )
    .option(
      '--http-header-timeout <seconds>',
      `HTTP side: time to send the request headers (default ${HTTP_LIMIT_DEFAULTS.headerTimeout})`,
    )
    .option(
      '--http-max-header-size <bytes>',
      `HTTP side: request line and headers (default ${HTTP_LIMIT_DEFAULTS.maxHeaderSize})`,
    )
    .option(
      '--http-ws-max-payload <bytes>',
      `HTTP side: largest WebSocket message (default ${HTTP_LIMIT_DEFAULTS.wsMaxPayload})`,
    )
    .option(
      '--http-max-room-labels <n>',
      `HTTP side: chat rooms with their own metrics label, the rest are "other" (default ${HTTP_LIMIT_DEFAULTS.maxRoomLabels})`,
    )
    .option('-c, --config <file>', 'run the services of a YAML or JSON file (docs/serve.md)')
    .option(
      '--drain-timeout <seconds>',
      'on shutdown, let connections finish this long, then reset them',
      String(DEFAULT_DRAIN_TIMEOUT),
    )
    .option('-l, --list', 'list the known services and exit')
    .option('-q, --quiet', 'log only warnings and errors')
    .option('-v, --verbose', 'log debug events too (datagrams, listening, shutdown)')
    .addOption(
      new Option('--log-format <format>', 'log lines as text or JSON')
        .choices(['text', 'json'])
        .default('text'),
    );

  // Every service's own options (qotd's --message, …), declared once each.
  const serviceOptionKeys = new Set<string>();
  for (const service of knownServices) {
    for (const option of service.options ?? []) {
      if (
        serviceOptionKeys.has(option.key) ||
        cmd.options.some((o) => o.attributeName() === option.key)
      )
        continue;
      serviceOptionKeys.add(option.key);
      cmd.addOption(
        new Option(option.flags, option.description).helpGroup(`Options of ${service.name}:`),
      );
    }
  }

  cmd.action(async (name: string | undefined, flags: ServeFlags & Record<string, unknown>) => {
    if (flags.list) {
      io.stdout.write(renderServiceList(knownServices, safePortOffset(flags)));
      setExitCode(ExitCode.ok);
      return;
    }
    const givenServiceOptions = [...serviceOptionKeys].filter((key) => flags[key] !== undefined);
    const { plans, http } = await buildPlans(name, flags, givenServiceOptions);
    const drainSeconds = Number(flags.drainTimeout);
    if (!Number.isFinite(drainSeconds) || drainSeconds < 0) {
      throw new CliError(
        `--drain-timeout must be a number of seconds >= 0, got ${JSON.stringify(flags.drainTimeout)}`,
        ExitCode.usage,
      );
    }
    const level: LogLevel = flags.quiet ? 'warn' : flags.verbose ? 'debug' : 'info';
    const logger = new ServeLogger({
      level,
      format: flags.logFormat as LogFormat,
      stream: io.stderr,
      ...(inServeWorker() ? { tag: { pid: process.pid } } : {}),
    });
    setExitCode(await runServe(plans, http, logger, io, drainSeconds));
  });
  return cmd;
};

/**
 * A port of the set already taken (often by another `socketkit serve`): say how to run a
 * second set beside it rather than leave the user to find the flag.
 */
function portInUseHint(err: ListenerStartError): string {
  if (!(err.cause instanceof AddressInUseError) || err.listener.includes('/unix')) return '';
  return '\n(to run beside whatever holds it, move every port with --port-offset N, e.g. --port-offset 1000)';
}

function safePortOffset(flags: ServeFlags): number {
  try {
    return portOffsetOf(flags);
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.usage);
  }
}

/** The `--http-*` flags, as plan inputs (all but `--http` itself). */
const HTTP_INPUT_FLAGS: Record<Exclude<keyof HttpInputs, 'port'>, string> = {
  host: 'httpHost',
  tokenFile: 'httpTokenFile',
  tlsCert: 'httpTlsCert',
  tlsKey: 'httpTlsKey',
  allowHosts: 'httpAllowHost',
  maxConnections: 'httpMaxConnections',
  maxSseClients: 'httpMaxSse',
  headerTimeout: 'httpHeaderTimeout',
  maxHeaderSize: 'httpMaxHeaderSize',
  wsMaxPayload: 'httpWsMaxPayload',
  maxRoomLabels: 'httpMaxRoomLabels',
};

/**
 * The HTTP side's plan from the flags: `--http PORT`; in the default set, on
 * {@link DEFAULT_HTTP_PORT} (+ `--port-offset`) unless `--no-http`; else none.
 */
function httpPlanFromFlags(
  flags: ServeFlags & Record<string, unknown>,
  defaultSet: boolean,
  fromConfig: HttpPlan | undefined,
): HttpPlan | undefined {
  const inputs: HttpInputs = {};
  for (const [key, attr] of Object.entries(HTTP_INPUT_FLAGS))
    if (flags[attr] !== undefined) inputs[key as keyof HttpInputs] = flags[attr];
  const given = Object.keys(inputs);
  if (flags.http === false) {
    if (given.length > 0)
      throw new ServeUsageError(
        `${HTTP_FLAG_NAMES[given[0] as keyof HttpInputs]} cannot be combined with --no-http`,
      );
    return undefined;
  }
  if (flags.http === undefined) {
    if (fromConfig !== undefined) {
      if (given.length > 0)
        throw new ServeUsageError(
          `${HTTP_FLAG_NAMES[given[0] as keyof HttpInputs]} cannot be combined with the config file's http: section: set it there`,
        );
      return fromConfig;
    }
    if (!defaultSet) {
      if (given.length > 0)
        throw new ServeUsageError(
          `${HTTP_FLAG_NAMES[given[0] as keyof HttpInputs]} needs --http PORT`,
        );
      return undefined;
    }
    inputs.port = DEFAULT_HTTP_PORT + portOffsetOf(flags);
  } else {
    if (fromConfig !== undefined)
      throw new ServeUsageError(`--http cannot be combined with the config file's http: section`);
    inputs.port = flags.http;
  }
  return buildHttpPlan(inputs, (key) => HTTP_FLAG_NAMES[key]);
}

async function buildPlans(
  name: string | undefined,
  flags: ServeFlags & Record<string, unknown>,
  givenServiceOptions: string[],
): Promise<{ plans: ServicePlan[]; http: HttpPlan | undefined }> {
  try {
    const { plans, http } = await buildServicePlans(name, flags, givenServiceOptions);
    const defaultSet = name === undefined && typeof flags.config !== 'string';
    return { plans, http: httpPlanFromFlags(flags, defaultSet, http) };
  } catch (err) {
    if (err instanceof ServeUsageError) throw new CliError(err.message, ExitCode.usage);
    throw err;
  }
}

async function buildServicePlans(
  name: string | undefined,
  flags: ServeFlags & Record<string, unknown>,
  givenServiceOptions: string[],
): Promise<{ plans: ServicePlan[]; http?: HttpPlan }> {
  {
    if (typeof flags.config === 'string') {
      if (name !== undefined)
        throw new ServeUsageError(`give a service name or --config, not both`);
      const clash = [...PER_SERVICE_FLAGS, ...givenServiceOptions].filter(
        (key) => flags[key] !== undefined,
      );
      if (clash.length > 0) {
        throw new ServeUsageError(
          `--${(clash[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} cannot be combined with --config: set it in the file`,
        );
      }
      return await loadServeConfig(flags.config, portOffsetOf(flags));
    }
    return { plans: planFromFlags(name, flags, givenServiceOptions) };
  }
}

/** Starts the plans, prints the table, waits for the stop signal, shuts down. Returns the exit code. */
async function runServe(
  plans: ServicePlan[],
  httpPlan: HttpPlan | undefined,
  logger: ServeLogger,
  io: CliIO,
  drainSeconds: number,
): Promise<number> {
  if (plans.length === 0) throw new CliError('nothing to serve', ExitCode.usage);
  logger.attach();
  try {
    let running: Awaited<ReturnType<typeof startServices>>;
    // The HTTP side runs in the primary only; loaded only when asked for (prom-client, ws).
    const httpModule =
      httpPlan !== undefined && !inServeWorker()
        ? await import('../serve/http/http-runner.js')
        : null;
    const http =
      httpModule !== null && httpPlan !== undefined
        ? httpModule.prepareHttp(httpPlan, plans)
        : null;
    let httpSide: Awaited<ReturnType<NonNullable<typeof http>['listen']>> | null = null;
    // A --processes worker counts its traffic for the primary's HTTP side (no prom-client).
    const reporter =
      httpPlan !== undefined && inServeWorker()
        ? (await import('../serve/http/worker-report.js')).reportToPrimary()
        : null;
    try {
      // A worker waits for the primary's word, not for the signal (see server/cluster-worker.ts).
      running = await startServices(
        plans,
        logger,
        inServeWorker() ? undefined : io.signal,
        http?.observe ?? reporter?.observe,
      );
      if (http !== null && httpPlan !== undefined) {
        try {
          httpSide = await http.listen(running.instances);
        } catch (err) {
          await running.stop(0);
          const host = httpPlan.host.includes(':') ? `[${httpPlan.host}]` : httpPlan.host;
          const hint =
            (err as { code?: unknown }).code === 'EADDRINUSE'
              ? '\n(move it with --http PORT, or leave it out with --no-http)'
              : '';
          throw new CliError(
            `cannot start the HTTP side on ${host}:${httpPlan.port}: ${(err as Error).message}${hint}`,
            ExitCode.failure,
          );
        }
      }
    } catch (err) {
      http?.detach();
      reporter?.stop();
      if (err instanceof StartAbortedError) {
        logger.log('info', 'stopped before everything listened', { event: 'stopped' });
        return ExitCode.ok;
      }
      if (err instanceof ListenerStartError) {
        // A service refusing its options (exec with no command allowed, …) is a usage
        // error (exit 2), like a bad flag; a port in use or a missing file is not.
        const usage = err.cause instanceof InvalidArgumentError;
        throw new CliError(
          err.message + portInUseHint(err),
          usage ? ExitCode.usage : ExitCode.failure,
        );
      }
      throw err;
    }
    if (inServeWorker()) {
      // A --processes worker: the primary printed the table and decides when to stop
      // (Ctrl-C reaches the whole process group: the primary drains the workers).
      logger.log('debug', `worker pid ${process.pid} serving`, { event: 'ready' });
      await running.closed;
      await running.stop(0);
      reporter?.stop();
      return ExitCode.ok;
    } else {
      io.stdout.write(
        renderListeningTable(running.listeners, {
          socketkitOnPath: onPath('socketkit', io.env.PATH),
          ...(httpSide !== null && httpModule !== null
            ? { extraRows: httpModule.httpTableRows(httpSide, httpPlan?.tokenFile) }
            : {}),
        }),
      );
      logger.log('info', `serving ${running.listeners.length} listener(s); Ctrl-C to stop`, {
        event: 'ready',
      });
    }
    await untilAborted(io.signal);
    const reason: unknown = io.signal.reason;
    logger.log(
      'info',
      `stopping${typeof reason === 'string' ? ` on ${reason}` : ''}: draining connections (up to ${drainSeconds} s)`,
      {
        event: 'stopping',
      },
    );
    await httpSide?.close();
    await running.stop(drainSeconds);
    http?.detach();
    logger.log('info', 'stopped', { event: 'stopped' });
    return ExitCode.ok;
  } finally {
    logger.detach();
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}
