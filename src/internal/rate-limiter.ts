/**
 * A per-client token bucket with a bounded table (an LRU over a `Map`): the one rate
 * limiter of socketkit (SNTP's Kiss-o'-Death limiter, exec, per-source datagram limits,
 * per-address accept rates and, through {@link TokenBucket}, chat's per-client line rate).
 *
 * Every client key (an IP address) gets `burst` tokens that refill at `rate` per
 * second; a request costs one. The table holds at most `maxEntries` clients: when it
 * is full the least recently seen client is forgotten, so a flood of spoofed source
 * addresses costs bounded memory (a forgotten client just starts again with a full
 * bucket). A `Map` keeps insertion order, so "delete and re-insert on use" makes its
 * first key the least recently used one: O(1) per request, no extra structure.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Tokens added per second (sustained requests per second per client). Default 1. */
  rate?: number;
  /** Bucket size (requests allowed back to back). Default 8 (an NTP `iburst`). */
  burst?: number;
  /** Most clients tracked at once. Default 10 000. */
  maxEntries?: number;
  /** Least ms between two "limited" verdicts that ask for a Kiss-o'-Death. Default 1000. */
  kissIntervalMs?: number;
  /** Injected for tests: a monotonic clock in ms. */
  nowMs?: () => number;
}

/** What to do with one request. */
export type RateVerdict =
  /** Under the limit: answer. */
  | 'allow'
  /** Over the limit: answer with a Kiss-o'-Death (at most once per `kissIntervalMs`). */
  | 'kiss'
  /** Over the limit and kissed recently: drop silently. */
  | 'drop';

/**
 * One token bucket: `burst` tokens that refill at `rate` per second; a request costs
 * one. {@link RateLimiter} keeps one per client key; a long-lived per-connection
 * limit (chat's line rate) holds one directly, without a keyed table.
 */
export class TokenBucket {
  tokens: number;
  lastMs: number;
  /** When the bucket last asked for a Kiss-o'-Death (see {@link RateLimiter.take}). */
  lastKissMs = Number.NEGATIVE_INFINITY;

  /** @param nowMs the current time of the caller's monotonic clock, in ms. */
  constructor(
    readonly rate: number,
    readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.lastMs = nowMs;
  }

  /** Refills for the time elapsed since the last call, then takes a token if there is one. */
  take(nowMs: number): boolean {
    const refill = ((nowMs - this.lastMs) / 1000) * this.rate;
    this.tokens = Math.min(this.burst, this.tokens + Math.max(0, refill));
    this.lastMs = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** See the module comment. */
export class RateLimiter {
  readonly rate: number;
  readonly burst: number;
  readonly maxEntries: number;
  readonly #kissIntervalMs: number;
  readonly #nowMs: () => number;
  readonly #buckets = new Map<string, TokenBucket>();
  /** The most recently used key: already last in the map, so no re-insertion (a flood from one source). */
  #newest: string | undefined = undefined;
  #evictions = 0;

  /** @throws {InvalidArgumentError} for a non-positive rate, burst or table size. */
  constructor(options: RateLimiterOptions = {}) {
    this.rate = options.rate ?? 1;
    this.burst = options.burst ?? 8;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.#kissIntervalMs = options.kissIntervalMs ?? 1000;
    this.#nowMs = options.nowMs ?? (() => performance.now());
    if (!(this.rate > 0) || !Number.isFinite(this.rate)) {
      throw new InvalidArgumentError(`rate must be a positive number, got ${this.rate}`);
    }
    if (!Number.isInteger(this.burst) || this.burst < 1) {
      throw new InvalidArgumentError(`burst must be an integer >= 1, got ${this.burst}`);
    }
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new InvalidArgumentError(`maxEntries must be an integer >= 1, got ${this.maxEntries}`);
    }
  }

  /** Takes a token for `key` and says whether to answer, kiss or drop. */
  take(key: string): RateVerdict {
    const now = this.#nowMs();
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.maxEntries) {
        const oldest = this.#buckets.keys().next();
        if (!oldest.done) {
          this.#buckets.delete(oldest.value);
          this.#evictions++;
        }
      }
      bucket = new TokenBucket(this.rate, this.burst, now);
      this.#buckets.set(key, bucket);
      this.#newest = key;
    } else if (key !== this.#newest) {
      this.#buckets.delete(key);
      this.#buckets.set(key, bucket);
      this.#newest = key;
    }
    if (bucket.take(now)) return 'allow';
    if (now - bucket.lastKissMs >= this.#kissIntervalMs) {
      bucket.lastKissMs = now;
      return 'kiss';
    }
    return 'drop';
  }

  /** Clients tracked now (never more than `maxEntries`). */
  get size(): number {
    return this.#buckets.size;
  }

  /** Clients forgotten so far to keep the table bounded. */
  get evictions(): number {
    return this.#evictions;
  }

  /** Takes a token for `key`: true when under the limit ('allow'). */
  tryTake(key: string): boolean {
    return this.take(key) === 'allow';
  }

  /** Forgets every client. */
  clear(): void {
    this.#buckets.clear();
    this.#newest = undefined;
  }
}
