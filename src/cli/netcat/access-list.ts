/**
 * `--allow` / `--deny` for `socketkit listen`: lists of addresses and CIDR ranges,
 * checked with `node:net`'s `BlockList`. As in ncat, `--allow` wins a conflict: an
 * address on both lists is let in; with an allow list, everything not on it is refused.
 * @module
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { InvalidArgumentError } from '../../errors.js';

/** Strips the `::ffff:` prefix dual-stack sockets put on IPv4 peers. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function addEntry(list: BlockList, entry: string, option: string): void {
  const [addr = '', prefixText] = entry.split('/');
  const family = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : null;
  if (family === null) {
    throw new InvalidArgumentError(
      `${option}: ${JSON.stringify(entry)} is not an IP address or CIDR range (e.g. 127.0.0.1, 10.0.0.0/8, ::1, fd00::/8)`,
    );
  }
  if (prefixText === undefined) {
    list.addAddress(addr, family);
    return;
  }
  const prefix = Number(prefixText);
  const max = family === 'ipv4' ? 32 : 128;
  if (!/^\d+$/.test(prefixText) || prefix > max) {
    throw new InvalidArgumentError(
      `${option}: bad prefix length in ${JSON.stringify(entry)} (0–${max})`,
    );
  }
  list.addSubnet(addr, prefix, family);
}

/** Splits repeated, comma-separated option values into entries. */
function entries(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** Which peers a listener lets in. */
export class AccessList {
  readonly #allow: BlockList | null;
  readonly #deny: BlockList | null;

  /**
   * @param allow values of `--allow` (each may be a comma-separated list).
   * @param deny values of `--deny`.
   * @throws {InvalidArgumentError} for an entry that is not an address or CIDR range.
   */
  constructor(allow: readonly string[] = [], deny: readonly string[] = []) {
    this.#allow = AccessList.#build(allow, '--allow');
    this.#deny = AccessList.#build(deny, '--deny');
  }

  static #build(values: readonly string[], option: string): BlockList | null {
    const list = entries(values);
    if (list.length === 0) return null;
    const blockList = new BlockList();
    for (const entry of list) addEntry(blockList, entry, option);
    return blockList;
  }

  /** True when no list was given: every peer is let in. */
  get open(): boolean {
    return this.#allow === null && this.#deny === null;
  }

  /**
   * Whether a peer may connect. Unix-socket peers (no IP address) are always let in.
   * @example
   * new AccessList(['127.0.0.0/8']).allows('127.0.0.1'); // true
   */
  allows(address: string | undefined): boolean {
    if (address === undefined || address === '') return true;
    const addr = unmapped(address);
    const family = isIPv4(addr) ? 'ipv4' : 'ipv6';
    if (this.#allow?.check(addr, family)) return true;
    if (this.#deny?.check(addr, family)) return false;
    return this.#allow === null;
  }
}
