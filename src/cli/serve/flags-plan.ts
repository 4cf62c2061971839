/**
 * Turns `socketkit serve` flags into service plans: one named service, or the
 * default set (every known service on its default port) when no name is given.
 * @module
 */
import { findService, services as knownServices } from '../../services/registry.js';
import { unknownServiceMessage } from './unknown-service.js';
import type { ServiceDefinition } from '../../services/service.js';
import {
  parseInteger,
  parsePort,
  parseSeconds,
  parseString,
  resolveServiceOptions,
  ServeUsageError,
} from './option-values.js';
import {
  DEFAULT_HOST,
  type LimitsPlan,
  type ListenerPlan,
  networkListeners,
  type ServicePlan,
} from './serve-plan.js';

/** The flags of `socketkit serve` (as commander parsed them: strings, booleans, lists). */
export interface ServeFlags {
  port?: string;
  portOffset?: string;
  host?: string;
  tcp?: boolean;
  udp?: boolean;
  unix?: string;
  unixDgram?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  processes?: string;
  maxConnections?: string;
  maxConnectionsPerIp?: string;
  acceptRate?: string;
  acceptBurst?: string;
  handshakeTimeout?: string;
  backlog?: string;
  idleTimeout?: string;
  maxPacketSize?: string;
  datagramRate?: string;
  datagramBurst?: string;
  datagramSources?: string;
  allow?: string[];
  deny?: string[];
  proxyProtocol?: string[];
  proxyProtocolTimeout?: string;
  [serviceOption: string]: unknown;
}

/** `--port-offset`, checked (0 when absent). */
export function portOffsetOf(flags: ServeFlags): number {
  return flags.portOffset === undefined
    ? 0
    : parseInteger('--port-offset', flags.portOffset, -65535, 65535);
}

/** The limits flags, checked. */
export function limitsFromFlags(flags: ServeFlags): LimitsPlan {
  const limits: LimitsPlan = {};
  if (flags.maxConnections !== undefined)
    limits.maxConnections = parseInteger('--max-connections', flags.maxConnections, 1, 1_000_000);
  if (flags.maxConnectionsPerIp !== undefined)
    limits.maxConnectionsPerIp = parseInteger(
      '--max-connections-per-ip',
      flags.maxConnectionsPerIp,
      0,
      1_000_000,
    );
  if (flags.acceptRate !== undefined)
    limits.acceptRate = parseInteger('--accept-rate', flags.acceptRate, 0, 1_000_000);
  if (flags.acceptBurst !== undefined)
    limits.acceptBurst = parseInteger('--accept-burst', flags.acceptBurst, 1, 1_000_000);
  if (flags.handshakeTimeout !== undefined)
    limits.handshakeTimeout = parseSeconds('--handshake-timeout', flags.handshakeTimeout);
  if (flags.backlog !== undefined)
    limits.backlog = parseInteger('--backlog', flags.backlog, 1, 2_147_483_647);
  if (flags.idleTimeout !== undefined)
    limits.idleTimeout = parseSeconds('--idle-timeout', flags.idleTimeout);
  if (flags.processes !== undefined)
    limits.processes = parseInteger('--processes', flags.processes, 1, 256);
  if (flags.maxPacketSize !== undefined)
    limits.maxPacketSize = parseInteger('--max-packet-size', flags.maxPacketSize, 1, 65535);
  if (flags.datagramRate !== undefined)
    limits.datagramRate = parseInteger('--datagram-rate', flags.datagramRate, 0, 1_000_000);
  if (flags.datagramBurst !== undefined)
    limits.datagramBurst = parseInteger('--datagram-burst', flags.datagramBurst, 1, 1_000_000);
  if (flags.datagramSources !== undefined)
    limits.datagramSources = parseInteger(
      '--datagram-sources',
      flags.datagramSources,
      1,
      1_000_000,
    );
  if (flags.allow !== undefined) limits.allow = flags.allow;
  if (flags.deny !== undefined) limits.deny = flags.deny;
  if (flags.proxyProtocol !== undefined) limits.proxyProtocol = flags.proxyProtocol;
  if (flags.proxyProtocolTimeout !== undefined) {
    if (flags.proxyProtocol === undefined)
      throw new ServeUsageError('--proxy-protocol-timeout needs --proxy-protocol CIDR');
    limits.proxyProtocolTimeout = parseSeconds(
      '--proxy-protocol-timeout',
      flags.proxyProtocolTimeout,
    );
  }
  return limits;
}

/** The service-option flags given on the command line that `service` does not take. */
function foreignOptions(
  service: ServiceDefinition | undefined,
  given: readonly string[],
): string[] {
  const own = new Set((service?.options ?? []).map((o) => o.key));
  return given.filter((key) => !own.has(key));
}

function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function checkOffsetPort(service: ServiceDefinition, port: number): number {
  if (port < 0 || port > 65535) {
    throw new ServeUsageError(
      `--port-offset puts ${service.name} on port ${port}, outside 0…65535`,
    );
  }
  return port;
}

/**
 * The plan for `socketkit serve NAME …` or, with `name` undefined, for the default set.
 * @param givenServiceOptions keys of the service options that were on the command line.
 */
export function planFromFlags(
  name: string | undefined,
  flags: ServeFlags,
  givenServiceOptions: readonly string[],
): ServicePlan[] {
  const portOffset = portOffsetOf(flags);
  const host = flags.host === undefined ? DEFAULT_HOST : parseString('--host', flags.host);
  const only = flags.tcp ? 'tcp' : flags.udp ? 'udp' : undefined;
  const limits = limitsFromFlags(flags);
  const optionValues: Record<string, unknown> = {};
  for (const key of givenServiceOptions) optionValues[key] = flags[key];

  if (name === undefined) {
    for (const flag of ['port', 'unix', 'unixDgram', 'tlsCert', 'tlsKey', 'tlsCa'] as const) {
      if (flags[flag] !== undefined) {
        throw new ServeUsageError(
          `${flagOf(flag)} needs a service name (socketkit serve NAME ${flagOf(flag)} …)`,
        );
      }
    }
    const plans = knownServices.map((service) => ({
      service,
      options: resolveServiceOptions(service, optionValues, flagOf),
      listeners: networkListeners(
        service,
        host,
        checkOffsetPort(service, service.defaultPort + portOffset),
        only,
        false,
      ),
      limits,
    }));
    // `serve --tcp` leaves out the UDP-only services, and `--udp` the TCP-only ones.
    return plans.filter((plan) => plan.listeners.length > 0);
  }

  const service = findService(name);
  if (!service) {
    throw new ServeUsageError(`${unknownServiceMessage(name)}; see socketkit serve --list`);
  }
  const foreign = foreignOptions(service, givenServiceOptions);
  if (foreign.length > 0) {
    throw new ServeUsageError(
      `${foreign.map(flagOf).join(', ')}: not an option of ${service.name}`,
    );
  }
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new ServeUsageError('--tls-cert and --tls-key go together');
  }
  if (flags.tlsCa !== undefined && flags.tlsCert === undefined)
    throw new ServeUsageError('--tls-ca needs --tls-cert and --tls-key');
  const tls = flags.tlsCert !== undefined && flags.tlsKey !== undefined;
  if (only !== undefined && !service.transports.includes(only)) {
    throw new ServeUsageError(`--${only}: ${service.name} does not speak ${only}`);
  }
  if (tls && !service.transports.includes('tcp'))
    throw new ServeUsageError(`--tls-cert: ${service.name} has no stream side`);
  if (tls && only === 'udp') throw new ServeUsageError('--tls-cert applies to TCP, not --udp');

  const listeners: ListenerPlan[] = [];
  const unixGiven = flags.unix !== undefined || flags.unixDgram !== undefined;
  // A Unix path alone means "only there"; add --port, --tcp or --udp to listen on the network too.
  if (!unixGiven || flags.port !== undefined || only !== undefined || tls) {
    const port =
      flags.port === undefined
        ? checkOffsetPort(service, service.defaultPort + portOffset)
        : parsePort('--port', flags.port);
    listeners.push(...networkListeners(service, host, port, only, tls));
  }
  if (flags.unix !== undefined) {
    if (!service.transports.includes('tcp'))
      throw new ServeUsageError(`--unix: ${service.name} has no stream side`);
    listeners.push({ kind: 'unix', path: parseString('--unix', flags.unix) });
  }
  if (flags.unixDgram !== undefined) {
    if (!service.transports.includes('udp'))
      throw new ServeUsageError(`--unix-dgram: ${service.name} has no datagram side`);
    listeners.push({ kind: 'unix-dgram', path: parseString('--unix-dgram', flags.unixDgram) });
  }
  const plan: ServicePlan = {
    service,
    options: resolveServiceOptions(service, optionValues, flagOf),
    listeners,
    limits,
  };
  if (tls && flags.tlsCert !== undefined && flags.tlsKey !== undefined) {
    plan.tls = {
      cert: flags.tlsCert,
      key: flags.tlsKey,
      ...(flags.tlsCa ? { ca: flags.tlsCa } : {}),
    };
  }
  return plan.listeners.length > 0 ? [plan] : [];
}
