/**
 * Where a proxy service (`socks`, `http-proxy`) may connect on a client's behalf: the one
 * destination rule both share. An exposed proxy must not be an open door into the
 * network it sits in, so the addresses that name "inside" — private, loopback,
 * link-local, CGNAT, multicast, unspecified, reserved, and their IPv4-mapped IPv6 forms —
 * are denied unless `--allow-destination CIDR` allows them.
 *
 * ```
 * address ─► --deny-destination matches? ─► refused
 *         ─► --allow-destination matches? ─► allowed
 *         ─► an "inside" range (below)?    ─► refused
 *         ─► allowed
 * port    ─► --allow-port given and the port not in it? ─► refused
 * ```
 *
 * An IPv6 address that carries an IPv4 address for a translator or a tunnel (IPv4-mapped
 * and -compatible, NAT64's 64:ff9b::/96, SIIT's ::ffff:0:0:0/96, 6to4's 2002::/16,
 * Teredo's client) reaches that IPv4 network: it is refused when its IPv4 address is
 * (denied or inside), unless the IPv6 address itself is allowed.
 *
 * The rule is checked on the address actually connected to: a literal, or every address
 * a name resolves to (a name that resolves to 127.0.0.1 is loopback, whatever it is
 * called: no DNS-rebinding bypass, and the connection goes to the checked address, never
 * to a second look-up's answer).
 * @module
 */
import { BlockList, isIP } from 'node:net';
import { InvalidArgumentError, SocketkitError } from '../errors.js';
import { ipv6Groups } from '../internal/ipv6-groups.js';
import { compileAddressList, unmapIPv4 } from '../server/access-list.js';
import { integerOption, numberOption } from './number-option.js';
import type { ServiceOption } from './service.js';

export { unmapIPv4 };

/** The IPv4 ranges no proxy reaches by default (RFC 6890's special-purpose registry). */
const INSIDE_V4: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network", the unspecified address
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // CGNAT shared space (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
];

/** The IPv6 ranges no proxy reaches by default. */
const INSIDE_V6: readonly [string, number][] = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed by some)
  ['ff00::', 8], // multicast
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215): its IPv4 embedding is the operator's choice
];

/** Why a destination was refused (the log line and the channel say which). */
export type RefusalReason = 'denied' | 'inside' | 'port';

/** A proxy refused a destination by its policy: the protocol answers "not allowed". */
export class DestinationRefusedError extends SocketkitError {
  readonly host: string;
  readonly port: number;
  readonly reason: RefusalReason;
  constructor(host: string, port: number, reason: RefusalReason) {
    const why =
      reason === 'port'
        ? 'the port is not in --allow-port'
        : reason === 'denied'
          ? 'it matches --deny-destination'
          : 'it is a private, loopback, link-local or other internal address (see --allow-destination)';
    super(`destination ${host} port ${port} refused: ${why}`, 'ERR_DESTINATION_REFUSED');
    this.host = host;
    this.port = port;
    this.reason = reason;
  }
}

/** What the policy is built from (the services' flags). */
export interface DestinationPolicyOptions {
  /** Addresses or CIDR blocks allowed even when internal (`--allow-destination`). */
  allow?: readonly string[];
  /** Addresses or CIDR blocks always refused (`--deny-destination`). */
  deny?: readonly string[];
  /** The only ports allowed (`--allow-port`); empty or absent: any. */
  ports?: readonly number[];
}

/** The compiled destination rule. */
export class DestinationPolicy {
  readonly #allow: BlockList | null;
  readonly #deny: BlockList | null;
  readonly #ports: ReadonlySet<number> | null;

  /** @throws {InvalidArgumentError} for an entry that is not an address, CIDR block or port. */
  constructor(options: DestinationPolicyOptions = {}) {
    this.#allow = compileAddressList(options.allow, '--allow-destination');
    this.#deny = compileAddressList(options.deny, '--deny-destination');
    const ports = options.ports ?? [];
    for (const p of ports) {
      if (!Number.isInteger(p) || p < 1 || p > 65535) {
        throw new InvalidArgumentError(`--allow-port must be a port in [1, 65535], got ${p}`);
      }
    }
    this.#ports = ports.length > 0 ? new Set(ports) : null;
  }

  /**
   * Why `address` (an IP literal) and `port` are refused, or null when allowed. An
   * IPv4-mapped IPv6 address is judged as the IPv4 address it maps.
   */
  refusal(address: string, port: number): RefusalReason | null {
    if (this.#ports !== null && !this.#ports.has(port)) return 'port';
    const ip = unmapIPv4(address);
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (isIP(ip) === 0) return 'inside'; // not an address: nothing to connect to
    // The IPv4 address a translator or tunnel would deliver to: judged too, as deny and
    // inside go; an allow names the IPv6 address itself (the path differs).
    const v4 = family === 'ipv6' ? embeddedIPv4(ip) : null;
    if (this.#deny?.check(ip, family) === true) return 'denied';
    if (v4 !== null && this.#deny?.check(v4, 'ipv4') === true) return 'denied';
    if (this.#allow?.check(ip, family) === true) return null;
    if (INSIDE.check(ip, family)) return 'inside';
    return v4 !== null && INSIDE.check(v4, 'ipv4') ? 'inside' : null;
  }

  /** @throws {DestinationRefusedError} when `address` and `port` are refused. */
  check(address: string, port: number, shownAs: string = address): void {
    const reason = this.refusal(address, port);
    if (reason !== null) throw new DestinationRefusedError(shownAs, port, reason);
  }
}

/** `a.b.c.d` from two 16-bit groups. */
const dotted = (hi: number, lo: number): string => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/**
 * The IPv4 address an IPv6 literal carries for a translator or a tunnel, or null:
 * IPv4-compatible `::a.b.c.d` (deprecated, RFC 4291), SIIT's `::ffff:0:a.b.c.d` (RFC 2765),
 * NAT64's well-known `64:ff9b::a.b.c.d` (RFC 6052), 6to4's `2002:AABB:CCDD::/48`
 * (RFC 3056) and Teredo's client, stored inverted in the last 32 bits of `2001:0::/32`
 * (RFC 4380). (IPv4-mapped `::ffff:a.b.c.d` is the socket's own form: `unmapIPv4`.)
 */
export function embeddedIPv4(address: string): string | null {
  const g = ipv6Groups(address);
  if (g === null) return null;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const zeros = (...groups: number[]): boolean => groups.every((x) => x === 0);
  if (zeros(g0, g1, g2, g3, g4) && (g5 === 0 || g5 === 0xffff)) return dotted(g6, g7);
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0xffff && g5 === 0) {
    return dotted(g6, g7);
  }
  if (g0 === 0x64 && g1 === 0xff9b && zeros(g2, g3, g4, g5)) return dotted(g6, g7);
  if (g0 === 0x2002) return dotted(g1, g2);
  if (g0 === 0x2001 && g1 === 0) return dotted(g6 ^ 0xffff, g7 ^ 0xffff);
  return null;
}

const INSIDE = ((): BlockList => {
  const list = new BlockList();
  for (const [net, prefix] of INSIDE_V4) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of INSIDE_V6) list.addSubnet(net, prefix, 'ipv6');
  return list;
})();

/** The default time to connect to a destination, in seconds. */
export const DEFAULT_CONNECT_TIMEOUT = 10;
/** The default time a client has to finish its proxy request, in seconds. */
export const DEFAULT_REQUEST_TIMEOUT = 10;
/** The default idle timeout of an open tunnel, in seconds. */
export const DEFAULT_TUNNEL_IDLE_TIMEOUT = 300;

/** Parses `--send-proxy-protocol`'s value (`v1`, `v2`). */
export function parseProxyProtocolVersion(raw: string): 1 | 2 {
  if (raw === 'v1' || raw === '1') return 1;
  if (raw === 'v2' || raw === '2') return 2;
  throw new InvalidArgumentError(
    `--send-proxy-protocol must be v1 or v2, got ${JSON.stringify(raw)}`,
  );
}

/**
 * The options both proxies take, declared once here so `serve` shows one flag each (the
 * superserver declares a key once, whichever service names it first).
 */
export const destinationOptions: readonly ServiceOption[] = [
  {
    flags: '--allow-destination <cidr...>',
    key: 'allowDestination',
    description:
      'proxies: allow these addresses/CIDR blocks even when private, loopback, link-local … (repeatable; default: none)',
  },
  {
    flags: '--deny-destination <cidr...>',
    key: 'denyDestination',
    description: 'proxies: always refuse these addresses/CIDR blocks (repeatable)',
  },
  {
    flags: '--allow-port <port...>',
    key: 'allowPort',
    description: 'proxies: only these destination ports (repeatable; default: any)',
  },
  {
    flags: '--connect-timeout <seconds>',
    key: 'connectTimeout',
    defaultValue: DEFAULT_CONNECT_TIMEOUT,
    description: `proxies: give up connecting to a destination after this long (default ${DEFAULT_CONNECT_TIMEOUT})`,
    parse: numberOption('connect-timeout', 0.001, 3600),
  },
  {
    flags: '--request-timeout <seconds>',
    key: 'requestTimeout',
    defaultValue: DEFAULT_REQUEST_TIMEOUT,
    description: `proxies: close a client that has not finished its request this long after connecting (default ${DEFAULT_REQUEST_TIMEOUT})`,
    parse: numberOption('request-timeout', 0.001, 3600),
  },
  {
    flags: '--send-proxy-protocol <version>',
    key: 'sendProxyProtocol',
    description:
      "proxies: send HAProxy's PROXY header (v1 or v2) naming the client to each destination before its data (default: none)",
    parse: parseProxyProtocolVersion,
  },
  {
    flags: '--tunnel-idle-timeout <seconds>',
    key: 'tunnelIdleTimeout',
    defaultValue: DEFAULT_TUNNEL_IDLE_TIMEOUT,
    description: `proxies: close a tunnel with no byte either way for this long (0 = never; default ${DEFAULT_TUNNEL_IDLE_TIMEOUT})`,
    parse: numberOption('tunnel-idle-timeout', 0, 86_400),
  },
];

/** A list option's values: a flag's array, a config's array or one string. */
function listOf(raw: unknown, flag: string): string[] {
  if (raw === undefined || raw === null) return [];
  const items = Array.isArray(raw) ? raw : [raw];
  return items.flatMap((item) => {
    if (typeof item !== 'string' && typeof item !== 'number') {
      throw new InvalidArgumentError(`${flag} takes addresses, CIDR blocks or ports`);
    }
    return String(item)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  });
}

/** The policy from a service's parsed options (`allowDestination`, `denyDestination`, `allowPort`). */
export function policyFromOptions(options: Record<string, unknown>): DestinationPolicy {
  const parsePort = integerOption('allow-port', 1, 65535);
  return new DestinationPolicy({
    allow: listOf(options.allowDestination, '--allow-destination'),
    deny: listOf(options.denyDestination, '--deny-destination'),
    ports: listOf(options.allowPort, '--allow-port').map(parsePort),
  });
}

/**
 * The warning a proxy logs at start when it listens beyond loopback with no password
 * (`options.host` is what `serve` passes), or null: anyone who can reach it may use it,
 * within the destination policy.
 */
export function exposureWarning(
  options: Record<string, unknown>,
  name: string,
  usersFlag: string,
): string | null {
  const host = typeof options.host === 'string' ? options.host.replace(/^\[|\]$/g, '') : '';
  const loopback =
    host === '' || host === 'localhost' || /^127\./.test(unmapIPv4(host)) || host === '::1';
  if (loopback) return null;
  return `${name} listens on ${host} without ${usersFlag}: anyone who can reach it can use it (within the destination policy)`;
}
