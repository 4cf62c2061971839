/**
 * Refuses stale and replayed requests: a request's `ts` must lie within `windowMs` of
 * the server clock, and its nonce must not have been recorded while it could still be
 * valid. Nonces live in a {@link NonceStore}: in memory (one process, forgotten at a
 * restart: for tests and programs that mount the handlers themselves), in a state
 * directory (`FileNonceStore`: survives restarts, shared by every worker of
 * `serve --processes` and by every server on the machine using the same secret and
 * directory) or in Redis (`RedisNonceStore`: shared across machines). `socketkit serve
 * exec` uses the state directory unless told otherwise.
 *
 * A nonce is remembered until `ts + windowMs`: after that the clock check refuses a
 * replay anyway, so stores forget it (bounded: at most one window of requests).
 * @module
 */
import { ExecRefusedError } from './exec-error.js';

/** Where nonces are recorded. */
export interface NonceStore {
  /** For the log: `memory`, `file /path`, `redis redis://…`. */
  readonly description: string;
  /**
   * Records `nonce` until `expiresAt` (ms since the epoch), atomically across every
   * process sharing the store.
   * @returns false when it was recorded already (a replay).
   * @throws {ExecRefusedError} `ERR_EXEC_BUSY` when the store is full or unreachable
   *   (fail closed: never run a request that might be a replay).
   */
  add(nonce: string, expiresAt: number, now: number): Promise<boolean>;
  /** Releases files or connections. */
  close(): Promise<void>;
}

/** Options of {@link MemoryNonceStore}. */
export interface MemoryNonceStoreOptions {
  /** Nonces remembered at most (default 10 000). */
  maxEntries?: number;
}

/** Nonces in a `Map` of this process (lost at a restart, not shared by workers). */
export class MemoryNonceStore implements NonceStore {
  readonly description = 'memory (this process only, forgotten at a restart)';
  readonly maxEntries: number;
  /** nonce → the time after which it can be forgotten. Insertion order ≈ expiry order. */
  readonly #seen = new Map<string, number>();

  constructor(options: MemoryNonceStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** Nonces remembered now. */
  get size(): number {
    return this.#seen.size;
  }

  async add(nonce: string, expiresAt: number, now: number): Promise<boolean> {
    for (const [key, until] of this.#seen) {
      if (until > now) break;
      this.#seen.delete(key);
    }
    if (this.#seen.has(nonce)) return false;
    if (this.#seen.size >= this.maxEntries) throw busy('too many recent requests, retry later');
    this.#seen.set(nonce, expiresAt);
    return true;
  }

  async close(): Promise<void> {
    this.#seen.clear();
  }
}

/** The refusal a store gives when it cannot record a nonce. */
export function busy(why: string): ExecRefusedError {
  return new ExecRefusedError('ERR_EXEC_BUSY', `server busy: ${why}`);
}

/** Options of {@link ReplayGuard}. */
export interface ReplayGuardOptions {
  /** Largest |server clock − request ts|, ms (default 60 000). */
  windowMs?: number;
  /** Where nonces are recorded (default: a {@link MemoryNonceStore} of `maxEntries`). */
  store?: NonceStore;
  /** Nonces remembered at most by the default memory store (default 10 000). */
  maxEntries?: number;
  /** Injected for tests: the wall clock in ms. */
  now?: () => number;
}

/** See the module comment. */
export class ReplayGuard {
  readonly windowMs: number;
  readonly store: NonceStore;
  readonly #now: () => number;

  constructor(options: ReplayGuardOptions = {}) {
    this.windowMs = options.windowMs ?? 60_000;
    this.store =
      options.store ??
      new MemoryNonceStore(
        options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries },
      );
    this.#now = options.now ?? Date.now;
  }

  /**
   * Checks the timestamp. Called only once the MAC verified: before that, a refusal
   * must not tell an unauthenticated client anything (such as the server's clock).
   */
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
   * Records the nonce of an authenticated request whose clock was checked.
   * @throws {ExecRefusedError} `ERR_EXEC_REPLAY` when seen before, `ERR_EXEC_BUSY` when
   *   the store is full or unreachable.
   */
  async admit(nonce: string, ts: number): Promise<void> {
    const now = this.#now();
    if (!(await this.store.add(nonce, ts + this.windowMs, now)))
      throw new ExecRefusedError(
        'ERR_EXEC_REPLAY',
        'request refused: this nonce was already used (replay)',
      );
  }

  /** Closes the store. */
  async close(): Promise<void> {
    await this.store.close();
  }
}
