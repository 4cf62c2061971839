/**
 * What `socketkit serve` is asked to run, whatever it came from (flags, a config file,
 * or the default set): for each service, its options, its listeners and its limits.
 * Plain data, checked once when built, so the runner has nothing left to validate.
 * @module
 */
import type { ServiceDefinition } from '../../services/service.js';

/** A transport a listener speaks. `tls` is TCP with TLS; `unix-dgram` is AF_UNIX SOCK_DGRAM. */
export type ListenerKind = 'tcp' | 'tls' | 'udp' | 'unix' | 'unix-dgram';

/** One socket to listen on. */
export type ListenerPlan =
  | { kind: 'tcp' | 'tls' | 'udp'; host: string; port: number }
  | { kind: 'unix' | 'unix-dgram'; path: string };

/** TLS settings, as file paths (read when the service starts). */
export interface TlsPlan {
  cert: string;
  key: string;
  ca?: string;
  requestCert?: boolean;
}

/** Limits shared by every listener of a service. */
export interface LimitsPlan {
  maxConnections?: number;
  /** Connections open at once from one address (0: no limit). */
  maxConnectionsPerIp?: number;
  /** New connections a second from one address (0: no limit), and the burst allowed. */
  acceptRate?: number;
  acceptBurst?: number;
  /** TLS: seconds from accept to a completed handshake. */
  handshakeTimeout?: number;
  /** The listen backlog of stream listeners (default: somaxconn, at most 4096). */
  backlog?: number;
  /** Seconds without traffic before a connection is closed. */
  idleTimeout?: number;
  processes?: number;
  maxPacketSize?: number;
  /** Datagrams per second per source address on UDP listeners; 0 = no limit. */
  datagramRate?: number;
  /** Datagrams a source may send back to back (default 2 × the rate). */
  datagramBurst?: number;
  /** Source addresses the rate limiter tracks at once (default 10 000). */
  datagramSources?: number;
  allow?: string[];
  deny?: string[];
  /** Stream listeners: accept HAProxy's PROXY protocol from these addresses/CIDR blocks. */
  proxyProtocol?: string[];
  /** Seconds a trusted proxy has to send its PROXY header (default 5). */
  proxyProtocolTimeout?: number;
}

/** One service to run. */
export interface ServicePlan {
  service: ServiceDefinition;
  /** The service's parsed options (every declared option present, defaults applied). */
  options: Record<string, unknown>;
  listeners: ListenerPlan[];
  tls?: TlsPlan;
  limits: LimitsPlan;
}

/**
 * The default per-source datagram rate of UDP listeners (datagrams/s; the burst is twice
 * it): far above what a person or an NTP client sends, far below a reflection loop's
 * 100 000/s. `socketkit bench udp` needs `--datagram-rate 0`.
 */
export const DEFAULT_DATAGRAM_RATE = 100;

/** Default host: loopback only, so `npm start` exposes nothing by accident. */
export const DEFAULT_HOST = '127.0.0.1';

/**
 * The listeners a service gets on `host:port`: TCP (or TLS) and UDP where it speaks them,
 * narrowed by `only`. With TLS there is no UDP unless asked for: DTLS is not offered,
 * and silently serving plain UDP next to a TLS port would surprise.
 */
export function networkListeners(
  service: ServiceDefinition,
  host: string,
  port: number,
  only: 'tcp' | 'udp' | undefined,
  tls: boolean,
): ListenerPlan[] {
  const out: ListenerPlan[] = [];
  const wantTcp = only !== 'udp' && service.transports.includes('tcp');
  const wantUdp =
    (only === 'udp' || (only === undefined && !tls)) && service.transports.includes('udp');
  if (wantTcp) out.push({ kind: tls ? 'tls' : 'tcp', host, port });
  if (wantUdp) out.push({ kind: 'udp', host, port });
  return out;
}

/** `echo/tcp 127.0.0.1:7007`, `echo/unix /tmp/echo.sock`: how logs and errors name a listener. */
export function describeListener(service: string, listener: ListenerPlan): string {
  if ('path' in listener) return `${service}/${listener.kind} ${listener.path}`;
  const host = listener.host.includes(':') ? `[${listener.host}]` : listener.host;
  return `${service}/${listener.kind} ${host}:${listener.port}`;
}
