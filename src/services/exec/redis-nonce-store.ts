/**
 * The exec replay guard in Redis (`--replay-store redis://…`): `SET key 1 NX PX ttl`
 * records a nonce atomically for every server sharing the Redis, and the TTL forgets it
 * once the clock window has passed (bounded without any pruning). Fails closed: while
 * Redis is down or slow (a 2 s command timeout), requests are refused as busy.
 * @module
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { InvalidArgumentError } from '../../errors.js';
import { busy, type NonceStore } from './replay-guard.js';
import { ignoreError } from '../../internal/ignore-error.js';

/** Options of {@link RedisNonceStore}. */
export interface RedisNonceStoreOptions {
  /** Key prefix (default `socketkit:exec:replay`). */
  prefix?: string;
  /** Ms a command may take before the request is refused (default 2000). */
  timeoutMs?: number;
}

/** See the module comment. */
export class RedisNonceStore implements NonceStore {
  readonly description: string;
  readonly prefix: string;
  readonly #redis: Redis;

  private constructor(url: string, redis: Redis, prefix: string) {
    this.description = `redis ${url.replace(/\/\/[^@/]*@/, '//…@')}`;
    this.#redis = redis;
    this.prefix = prefix;
  }

  /**
   * Connects.
   * @throws {InvalidArgumentError} when Redis cannot be reached: exec does not start
   *   with a replay guard that cannot work.
   */
  static async open(url: string, options: RedisNonceStoreOptions = {}): Promise<RedisNonceStore> {
    const timeoutMs = options.timeoutMs ?? 2000;
    const redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: timeoutMs,
      connectTimeout: timeoutMs,
      retryStrategy: (times: number) => Math.min(times * 100, 1000),
    });
    redis.on('error', ignoreError('exec:redis-connection'));
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      redis.disconnect();
      throw new InvalidArgumentError(
        `exec: cannot reach the replay store ${url}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return new RedisNonceStore(url, redis, options.prefix ?? 'socketkit:exec:replay');
  }

  async add(nonce: string, expiresAt: number, now: number): Promise<boolean> {
    const key = `${this.prefix}:${createHash('sha256').update(nonce, 'utf8').digest('hex').slice(0, 40)}`;
    try {
      const ok = await this.#redis.set(key, '1', 'PX', Math.max(1, expiresAt - now), 'NX');
      return ok === 'OK';
    } catch {
      throw busy('the replay store (Redis) is unreachable');
    }
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
