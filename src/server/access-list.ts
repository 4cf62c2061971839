/**
 * Allow/deny lists of addresses and CIDR blocks, checked on every new client before any
 * byte is read (Python's `verify_request`, with the rules as data). Built on
 * `node:net`'s `BlockList`, which matches IPv4 and IPv6 and knows that `::ffff:10.0.0.1`
 * is `10.0.0.1`.
 *
 * Rule: a client is refused when it matches `deny`; otherwise, when `allow` is given and
 * not empty, it must match `allow` (the one rule of `serve` and `listen` alike). Unix
 * socket peers have no IP address and are always let through (protect the socket file
 * with file permissions instead).
 * @module
 */
import { BlockList, isIP } from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import { ipv6Groups } from '../internal/ipv6-groups.js';
import type { PeerAddress } from './handler-types.js';

/** Allow/deny options shared by every server. */
export interface AccessOptions {
  /** Only these addresses or CIDR blocks (`10.0.0.0/8`, `::1`, `fd00::/8`) may connect. */
  allow?: string[];
  /** These addresses or CIDR blocks are refused (checked before `allow`). */
  deny?: string[];
}

/** A compiled allow/deny list. */
export class AccessList {
  readonly #allow: BlockList | null;
  readonly #deny: BlockList | null;

  /** @throws {InvalidArgumentError} when an entry is not an IP address or CIDR block. */
  constructor(options: AccessOptions = {}) {
    this.#allow = compileAddressList(options.allow, 'allow');
    this.#deny = compileAddressList(options.deny, 'deny');
  }

  /** True when there are no rules (everyone is let through without checks). */
  get empty(): boolean {
    return this.#allow === null && this.#deny === null;
  }

  /** True when `remote` may connect. */
  permits(remote: PeerAddress): boolean {
    if (remote.family === 'unix' || (this.#deny === null && this.#allow === null)) return true;
    const family = remote.family === 'IPv6' ? 'ipv6' : 'ipv4';
    // A v4 client on a dual-stack socket shows up as ::ffff:a.b.c.d: match it as IPv4 too,
    // so `allow: ['127.0.0.1']` works whatever the server's bind address.
    const unmapped = unmapIPv4(remote.address);
    const v4 = unmapped !== remote.address ? unmapped : undefined;
    const check = (list: BlockList): boolean =>
      list.check(remote.address, family) || (v4 !== undefined && list.check(v4, 'ipv4'));
    if (this.#deny !== null && check(this.#deny)) return false;
    if (this.#allow !== null) return check(this.#allow);
    return true;
  }
}

/**
 * Compiles addresses and CIDR blocks into a `BlockList`; `null` for no entries (no rule).
 * @param what names the list in error messages (`allow`, `--deny`, …).
 * @throws {InvalidArgumentError} when an entry is not an IP address or CIDR block.
 */
export function compileAddressList(
  entries: readonly string[] | undefined,
  what: string,
): BlockList | null {
  if (entries === undefined) return null;
  if (!Array.isArray(entries)) {
    throw new InvalidArgumentError(`${what} must be an array of addresses or CIDR blocks`);
  }
  // An empty list means "no rule", not "nobody": `--allow` with no value should not lock everyone out.
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const raw of entries) {
    if (typeof raw !== 'string') {
      throw new InvalidArgumentError(`${what} entries must be strings, got ${String(raw)}`);
    }
    const entry = raw.trim();
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const version = isIP(address);
    if (version === 0) {
      throw new InvalidArgumentError(
        `${what}: ${JSON.stringify(raw)} is not an IP address or CIDR block (like 10.0.0.0/8 or ::1)`,
      );
    }
    const type = version === 6 ? 'ipv6' : 'ipv4';
    if (slash === -1) {
      list.addAddress(address, type);
      continue;
    }
    const prefixText = entry.slice(slash + 1);
    const prefix = Number(prefixText);
    const max = version === 6 ? 128 : 32;
    if (!/^\d+$/.test(prefixText) || prefix > max) {
      throw new InvalidArgumentError(
        `${what}: bad prefix length: ${JSON.stringify(raw)} has a prefix outside 0 to ${max} (IPv${version})`,
      );
    }
    list.addSubnet(address, prefix, type);
  }
  return list;
}

/**
 * `::ffff:a.b.c.d` (or its hex form `::ffff:7f00:1`) as `a.b.c.d`; anything else as is.
 * The mapped form reaches the IPv4 address on a dual-stack host, so it is judged as one.
 */
export function unmapIPv4(address: string): string {
  if (isIP(address) !== 6) return address;
  const groups = ipv6Groups(address);
  if (groups === null || !groups.slice(0, 5).every((g) => g === 0) || groups[5] !== 0xffff) {
    return address;
  }
  const hi = groups[6]!;
  const lo = groups[7]!;
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}
