/**
 * Counts the exec connections that have not authenticated yet, per client address and
 * in all, and refuses more than `perAddress` from one address or `maxTotal` in all. The
 * table has an entry only for addresses with a connection in it, so it never holds more
 * than `maxTotal` entries: bounded whatever the clients do. A connection leaves it as
 * soon as its first request header verified, or when it closes.
 * @module
 */
import { InvalidArgumentError } from '../../errors.js';

/** Options of {@link PreauthGate}. */
export interface PreauthGateOptions {
  /** Unauthenticated connections from one address (default 8). */
  perAddress?: number;
  /** Unauthenticated connections in all (default 256). */
  maxTotal?: number;
}

/** See the module comment. */
export class PreauthGate {
  readonly perAddress: number;
  readonly maxTotal: number;
  readonly #byAddress = new Map<string, number>();
  #total = 0;

  /** @throws {InvalidArgumentError} for a limit that is not an integer >= 1. */
  constructor(options: PreauthGateOptions = {}) {
    this.perAddress = options.perAddress ?? 8;
    this.maxTotal = options.maxTotal ?? 256;
    for (const [name, v] of [
      ['perAddress', this.perAddress],
      ['maxTotal', this.maxTotal],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new InvalidArgumentError(`exec: ${name} must be an integer >= 1, got ${v}`);
  }

  /** Unauthenticated connections now. */
  get total(): number {
    return this.#total;
  }

  /** Addresses in the table now (at most `maxTotal`). */
  get addresses(): number {
    return this.#byAddress.size;
  }

  /**
   * Admits one unauthenticated connection from `address` (`null`: a Unix socket peer,
   * which counts only against the total).
   * @returns why it is refused, or null when admitted.
   */
  acquire(address: string | null): string | null {
    if (this.#total >= this.maxTotal)
      return `too many unauthenticated connections (${this.maxTotal}); retry later`;
    if (address !== null) {
      const n = this.#byAddress.get(address) ?? 0;
      if (n >= this.perAddress)
        return `too many unauthenticated connections from your address (${this.perAddress}); retry later`;
      this.#byAddress.set(address, n + 1);
    }
    this.#total++;
    return null;
  }

  /** Releases what {@link acquire} admitted. */
  release(address: string | null): void {
    this.#total--;
    if (address === null) return;
    const n = (this.#byAddress.get(address) ?? 1) - 1;
    if (n <= 0) this.#byAddress.delete(address);
    else this.#byAddress.set(address, n);
  }
}
