/**
 * Refuses stale and replayed requests: a request's `ts` must lie within `windowMs` of
 * the server clock, and its nonce must not have been seen while it could still be
 * valid. The nonce table is bounded: entries expire once their timestamp leaves the
 * window (a replay of them fails the clock check anyway); when it is full of live
 * entries the request is refused as busy rather than forgetting a nonce that could
 * still be replayed.
 * @module
 */
import { ExecRefusedError } from './exec-error.js';

/** Options of {@link ReplayGuard}. */
export interface ReplayGuardOptions {
  /** Largest |server clock − request ts|, ms (default 60 000). */
  windowMs?: number;
  /** Nonces remembered at most (default 10 000). */
  maxEntries?: number;
  /** Injected for tests: the wall clock in ms. */
  now?: () => number;
}

/** See the module comment. */
export class ReplayGuard {
  readonly windowMs: number;
  readonly maxEntries: number;
  readonly #now: () => number;
  /** nonce → the time after which it can be forgotten. Insertion order ≈ expiry order. */
  readonly #seen = new Map<string, number>();

  constructor(options: ReplayGuardOptions = {}) {
    this.windowMs = options.windowMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Nonces remembered now. */
  get size(): number {
    return this.#seen.size;
  }

  /** Checks the timestamp only (done before the MAC: cheap, and says "fix your clock"). */
  checkClock(ts: number): void {
    const skew = ts - this.#now();
    if (Math.abs(skew) > this.windowMs) {
      throw new ExecRefusedError(
        'ERR_EXEC_CLOCK_SKEW',
        `request timestamp is ${Math.round(skew / 1000)} s off the server clock (allowed ±${this.windowMs / 1000} s): check the client's clock`,
      );
    }
  }

  /**
   * Records the nonce of an authenticated request.
   * @throws {ExecRefusedError} `ERR_EXEC_REPLAY` when seen before, `ERR_EXEC_BUSY` when full.
   */
  admit(nonce: string, ts: number): void {
    const now = this.#now();
    this.#expire(now);
    if (this.#seen.has(nonce))
      throw new ExecRefusedError(
        'ERR_EXEC_REPLAY',
        'request refused: this nonce was already used (replay)',
      );
    if (this.#seen.size >= this.maxEntries)
      throw new ExecRefusedError(
        'ERR_EXEC_BUSY',
        'server busy: too many recent requests, retry later',
      );
    this.#seen.set(nonce, Math.max(ts, now) + this.windowMs);
  }

  #expire(now: number): void {
    for (const [nonce, until] of this.#seen) {
      if (until > now) break;
      this.#seen.delete(nonce);
    }
  }
}
