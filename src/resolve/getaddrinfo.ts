/**
 * `getaddrinfo`, like Python's `socket.getaddrinfo(host, port, family, type, proto, flags)`:
 * every (address × socket type) a client could connect to or a server bind, as objects
 * instead of Python's `(family, type, proto, canonname, sockaddr)` tuples.
 * @module
 */
import { ADDRCONFIG, V4MAPPED } from 'node:dns';
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import { checkPort } from '../internal/check-option.js';
import { findHostsEntryByName, readHostsFile } from './hosts-file.js';
import {
  checkHostArgument,
  checkLookupOptions,
  DEFAULT_HOSTS_FILE,
  isInvalidName,
  type LookupOptions,
  notFound,
  runLookup,
  systemResolver,
} from './lookup-options.js';
import { getServiceEntry, type ServiceLookupOptions } from './service-names.js';

/** An address family: Python's `AF_INET` / `AF_INET6`. */
export type AddrInfoFamily = 'IPv4' | 'IPv6';

/** A socket type: Python's `SOCK_STREAM` (TCP) / `SOCK_DGRAM` (UDP). */
export type AddrInfoSocketType = 'stream' | 'dgram';

/** getaddrinfo(3)'s `AI_*` flags that make sense in Node. */
export interface AddrInfoFlags {
  /** `AI_PASSIVE`: with no host, return the wildcard addresses (to bind) instead of loopback. */
  passive?: boolean;
  /** `AI_CANONNAME`: fill in `canonname` on the first entry. */
  canonname?: boolean;
  /** `AI_NUMERICHOST`: the host must be an IP literal; never ask the resolver. */
  numericHost?: boolean;
  /** `AI_NUMERICSERV`: the port must be numeric; never read the services database. */
  numericServ?: boolean;
  /** `AI_ADDRCONFIG`: only families this machine has an address of. */
  addrconfig?: boolean;
  /** `AI_V4MAPPED`: with `family: 'IPv6'`, return IPv4 addresses as `::ffff:a.b.c.d` if no IPv6 one. */
  v4mapped?: boolean;
}

/** Options of {@link getaddrinfo}. */
export interface GetAddrInfoOptions extends LookupOptions, ServiceLookupOptions {
  /** Only this family (`AF_INET`/`AF_INET6`); default both (`AF_UNSPEC`). */
  family?: AddrInfoFamily | 'any';
  /** Only this socket type; default both `stream` and `dgram`. */
  type?: AddrInfoSocketType;
  flags?: AddrInfoFlags;
}

/** One result: Python's `(family, type, proto, canonname, sockaddr)`. */
export interface AddrInfo {
  family: AddrInfoFamily;
  type: AddrInfoSocketType;
  /** `tcp` for `stream`, `udp` for `dgram`. */
  protocol: 'tcp' | 'udp';
  /** The canonical host name on the first entry with `flags.canonname`, else `''`. */
  canonname: string;
  /** Python's `sockaddr`: ready to pass to `Socket.connect` or `Listener.bind`. */
  address: { host: string; port: number };
}

const TYPES: readonly AddrInfoSocketType[] = ['stream', 'dgram'];
const PROTOCOL = { stream: 'tcp', dgram: 'udp' } as const;

function checkOptions(options: GetAddrInfoOptions): void {
  checkLookupOptions(options);
  const { family, type } = options;
  if (family !== undefined && family !== 'IPv4' && family !== 'IPv6' && family !== 'any') {
    throw new InvalidArgumentError(
      `family must be 'IPv4', 'IPv6' or 'any', got ${JSON.stringify(family)}`,
    );
  }
  if (type !== undefined && type !== 'stream' && type !== 'dgram') {
    throw new InvalidArgumentError(`type must be 'stream' or 'dgram', got ${JSON.stringify(type)}`);
  }
}

/** The port for each wanted socket type: a number for all, or a service name looked up per protocol. */
async function portsByType(
  port: number | string | null | undefined,
  types: readonly AddrInfoSocketType[],
  options: GetAddrInfoOptions,
): Promise<Map<AddrInfoSocketType, number>> {
  const out = new Map<AddrInfoSocketType, number>();
  let numeric: number | undefined;
  if (port === undefined || port === null || port === '') numeric = 0;
  else if (typeof port === 'number') numeric = port;
  else if (typeof port === 'string' && /^\d+$/.test(port)) numeric = Number(port);
  if (numeric !== undefined) {
    checkPort(numeric);
    for (const t of types) out.set(t, numeric);
    return out;
  }
  if (typeof port !== 'string') {
    throw new InvalidArgumentError(`port must be a number or a service name, got ${typeof port}`);
  }
  if (options.flags?.numericServ) {
    throw new InvalidArgumentError(
      `port ${JSON.stringify(port)} is not numeric and flags.numericServ is set`,
    );
  }
  let lastError: unknown;
  for (const t of types) {
    try {
      out.set(t, (await getServiceEntry(port, PROTOCOL[t], options)).port);
    } catch (err) {
      lastError = err; // e.g. Debian lists http for tcp only: skip udp, like glibc
    }
  }
  if (out.size === 0) throw lastError;
  return out;
}

/** The addresses for `host`, in resolver order, without duplicates. */
async function addressesFor(
  host: string | null | undefined,
  options: GetAddrInfoOptions,
): Promise<{ family: AddrInfoFamily; address: string }[]> {
  const fam = options.family === 'any' ? undefined : options.family;
  const flags = options.flags ?? {};
  if (host === undefined || host === null || host === '') {
    // No host: the wildcard to bind (AI_PASSIVE), else loopback; orders as glibc.
    const pairs: { family: AddrInfoFamily; address: string }[] = flags.passive
      ? [
          { family: 'IPv4', address: '0.0.0.0' },
          { family: 'IPv6', address: '::' },
        ]
      : [
          { family: 'IPv6', address: '::1' },
          { family: 'IPv4', address: '127.0.0.1' },
        ];
    return pairs.filter((p) => fam === undefined || p.family === fam);
  }
  const literal = isIP(host);
  if (literal !== 0) {
    const family: AddrInfoFamily = literal === 4 ? 'IPv4' : 'IPv6';
    if (fam !== undefined && fam !== family) {
      throw new InvalidArgumentError(
        `${host} is an ${family} address but family ${fam} was asked for`,
      );
    }
    return [{ family, address: host }];
  }
  if (flags.numericHost) {
    throw new InvalidArgumentError(
      `host ${JSON.stringify(host)} is not an IP address and flags.numericHost is set`,
    );
  }
  if (isInvalidName(host)) throw notFound(host);
  const hints = (flags.addrconfig ? ADDRCONFIG : 0) | (flags.v4mapped ? V4MAPPED : 0);
  const resolver = options.resolver ?? systemResolver;
  const found = await runLookup(host, 'getaddrinfo', options, () =>
    resolver.lookup(host, {
      all: true,
      family: fam === 'IPv4' ? 4 : fam === 'IPv6' ? 6 : 0,
      hints,
      verbatim: true,
    }),
  );
  const seen = new Set<string>();
  const out: { family: AddrInfoFamily; address: string }[] = [];
  for (const a of found) {
    if (seen.has(a.address)) continue;
    seen.add(a.address);
    out.push({ family: a.family === 6 ? 'IPv6' : 'IPv4', address: a.address });
  }
  if (out.length === 0) throw notFound(host);
  return out;
}

/**
 * Resolves a host and port into every address and socket type to try, like Python's
 * `socket.getaddrinfo`. Addresses keep the system resolver's order (RFC 6724), so
 * trying them in turn is the right way to connect (`Socket.createConnection` does).
 * Python's third kind, `SOCK_RAW`, is left out: Node has no raw sockets.
 *
 * @param host a name, an IP literal, or `null` (loopback; the wildcard with `flags.passive`).
 * @param port a number, a numeric string, a service name (`'http'`), or `null` for 0.
 * @throws {HostNotFoundError} when the host does not resolve (or a `.invalid` name, or timeout).
 * @throws {InvalidArgumentError} for a bad port, an unknown service, or a literal of the wrong family.
 * @example
 * ```ts
 * await getaddrinfo('localhost', 'http', { type: 'stream' });
 * // [{ family: 'IPv4', type: 'stream', protocol: 'tcp', canonname: '',
 * //    address: { host: '127.0.0.1', port: 80 } }]
 * ```
 */
export async function getaddrinfo(
  host: string | null | undefined,
  port?: number | string | null,
  options: GetAddrInfoOptions = {},
): Promise<AddrInfo[]> {
  if (host !== undefined && host !== null) checkHostArgument(host);
  checkOptions(options);
  const types = options.type === undefined ? TYPES : [options.type];
  const ports = await portsByType(port, types, options);
  const addresses = await addressesFor(host, options);
  let canonname = '';
  if (options.flags?.canonname && typeof host === 'string' && host !== '') {
    const hosts = await readHostsFile(options.hostsFile ?? DEFAULT_HOSTS_FILE);
    canonname = findHostsEntryByName(hosts, host)?.hostname ?? host;
  }
  const result: AddrInfo[] = [];
  for (const a of addresses) {
    for (const [type, p] of ports) {
      result.push({
        family: a.family,
        type,
        protocol: PROTOCOL[type],
        canonname: result.length === 0 ? canonname : '',
        address: { host: a.address, port: p },
      });
    }
  }
  return result;
}
