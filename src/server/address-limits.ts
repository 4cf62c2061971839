/**
 * Per-address limits of a stream server (issue 10, defect 10: one address could fill any
 * service): at most `maxConnectionsPerIp` connections open at once from one client
 * address, and at most `acceptRate` new connections a second from it (bursts of
 * `acceptBurst`), through the one keyed token bucket (`internal/rate-limiter.ts`).
 *
 * ```
 *  accept ─► keyOf(remote) ─► open[key] < maxConnectionsPerIp ? ─ no ─► 'maxConnectionsPerIp'
 *                                    │ yes
 *                             bucket[key] has a token ? ─ no ─► 'acceptRate'
 *                                    │ yes: open[key]++   … connection closes: open[key]--
 * ```
 *
 * The key is the IPv4 address, or the /64 prefix of an IPv6 one (what one host or home
 * network is given: counting each of its 2⁶⁴ addresses apart would give one client an
 * unbounded number of slots); IPv4-mapped IPv6 addresses count as IPv4. Unix socket
 * clients have no address: these limits do not apply to them.
 *
 * Both tables are keyed by client input and bounded: the open-connection table holds
 * only keys with at least one open connection (an entry is deleted when its count drops
 * to 0), so it never has more entries than the server has connections, which
 * `maxConnections` bounds; the rate limiter's table is an LRU of at most
 * `maxEntries` buckets.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { RateLimiter } from '../internal/rate-limiter.js';
import type { PeerAddress } from './handler-types.js';

/** Default of `maxConnectionsPerIp`: well under the default `maxConnections` (10 000). */
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 256;
/** Default of `acceptRate`: new connections a second from one address, sustained. */
export const DEFAULT_ACCEPT_RATE = 200;

/** The per-address limit options every stream server takes. */
export interface AddressLimitOptions {
  /**
   * Connections open at once from one client address (an IPv6 client: its /64); 0 = no
   * limit. Default {@link DEFAULT_MAX_CONNECTIONS_PER_IP}. Not applied to Unix sockets.
   */
  maxConnectionsPerIp?: number;
  /**
   * New connections a second from one client address, sustained; 0 = no limit.
   * Default {@link DEFAULT_ACCEPT_RATE}. Not applied to Unix sockets.
   */
  acceptRate?: number;
  /** New connections back to back from one address (the bucket size). Default: twice `acceptRate`. */
  acceptBurst?: number;
}

/** Why a client was turned away by the per-address limits. */
export type AddressRefusal = 'maxConnectionsPerIp' | 'acceptRate';

/** See the module comment. */
export class AddressLimits {
  readonly #max: number;
  readonly #rate: RateLimiter | null;
  readonly #open = new Map<string, number>();

  /** @throws {InvalidArgumentError} for a bad option. */
  constructor(options: AddressLimitOptions = {}) {
    this.#max = checkCount(
      options.maxConnectionsPerIp,
      'maxConnectionsPerIp',
      DEFAULT_MAX_CONNECTIONS_PER_IP,
    );
    const rate = options.acceptRate ?? DEFAULT_ACCEPT_RATE;
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) {
      throw new InvalidArgumentError(
        `acceptRate must be a number >= 0 (connections a second; 0 = no limit), got ${String(options.acceptRate)}`,
      );
    }
    const burst = options.acceptBurst ?? Math.max(1, Math.ceil(2 * rate));
    if (!Number.isInteger(burst) || burst < 1) {
      throw new InvalidArgumentError(
        `acceptBurst must be an integer >= 1, got ${String(options.acceptBurst)}`,
      );
    }
    this.#rate = rate === 0 ? null : new RateLimiter({ rate, burst });
  }

  /** True when neither limit is on: the server skips the bookkeeping. */
  get disabled(): boolean {
    return this.#max === 0 && this.#rate === null;
  }

  /** Addresses with open connections now (bounded by the server's connections). */
  get size(): number {
    return this.#open.size;
  }

  /** The key `remote` is counted under, or null when the limits do not apply to it. */
  keyOf(remote: PeerAddress): string | null {
    if (remote.family === 'unix' || this.disabled) return null;
    return clientKey(remote);
  }

  /**
   * Admits a new connection from `key` and counts it (call {@link release} when it
   * closes), or says why not (then nothing is counted).
   */
  admit(key: string): AddressRefusal | null {
    const open = this.#open.get(key) ?? 0;
    if (this.#max !== 0 && open >= this.#max) return 'maxConnectionsPerIp';
    if (this.#rate !== null && !this.#rate.tryTake(key)) return 'acceptRate';
    this.#open.set(key, open + 1);
    return null;
  }

  /** A connection `admit` counted has closed. */
  release(key: string): void {
    const open = this.#open.get(key);
    if (open === undefined) return;
    if (open <= 1) this.#open.delete(key);
    else this.#open.set(key, open - 1);
  }
}

function checkCount(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      `${name} must be an integer >= 0 (0 = no limit), got ${String(value)}`,
    );
  }
  return value;
}

/**
 * The key a client is counted under in every per-client table (connection caps, accept
 * and datagram rates, exec's pre-auth gate, SNTP's limiter): an IPv4 address as is, an
 * IPv6 one by its /64 (one host owns a whole /64: counting each address apart would let
 * it spread past any limit), a Unix peer by its socket path (`unix:PATH`).
 */
export function clientKey(remote: PeerAddress): string {
  if (remote.family === 'unix') return `unix:${remote.path}`;
  return remote.family === 'IPv6' ? ipv6Key(remote.address) : remote.address;
}

/**
 * The counting key of an IPv6 address: its /64 prefix (`2001:db8:0:1::/64`), or the
 * IPv4 address of an IPv4-mapped one (`::ffff:10.0.0.1` → `10.0.0.1`).
 */
export function ipv6Key(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  const zone = address.indexOf('%');
  const bare = (zone === -1 ? address : address.slice(0, zone)).toLowerCase();
  const gap = bare.indexOf('::');
  let groups: string[];
  if (gap === -1) {
    groups = bare.split(':');
  } else {
    const head = gap === 0 ? [] : bare.slice(0, gap).split(':');
    const tail = gap + 2 >= bare.length ? [] : bare.slice(gap + 2).split(':');
    groups = [
      ...head,
      ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'),
      ...tail,
    ];
  }
  const prefix = groups.slice(0, 4).map((g) => (g === '' ? '0' : g.replace(/^0+(?=.)/, '')));
  while (prefix.length < 4) prefix.push('0');
  return `${prefix.join(':')}::/64`;
}
