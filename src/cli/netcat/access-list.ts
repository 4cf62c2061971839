/**
 * `--allow` / `--deny` for `socketkit listen`: lists of addresses and CIDR ranges,
 * compiled by the server framework's `compileAddressList` (one parser for both). As in
 * ncat, `--allow` wins a conflict: an address on both lists is let in; with an allow list,
 * everything not on it is refused.
 * @module
 */
import { type BlockList, isIPv4 } from 'node:net';
import { compileAddressList } from '../../server/access-list.js';

/** Strips the `::ffff:` prefix dual-stack sockets put on IPv4 peers. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
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
    return compileAddressList(entries(values), option);
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
