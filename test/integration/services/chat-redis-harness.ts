/**
 * Redis helpers for the chat tests: reachability (CI fails, elsewhere skips loudly),
 * unique key prefixes, and a private `redis-server` for tests that kill Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { Redis } from 'ioredis';

/** The shared development/CI Redis. */
export const SHARED_REDIS_URL = process.env.SOCKETKIT_TEST_REDIS ?? 'redis://127.0.0.1:6379';

/** Whether a Redis answers PING at `url` within a second. */
export async function pingRedis(url: string): Promise<boolean> {
  const r = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/**
 * Why the Redis tests cannot run here, or `null` when they can. In CI an unreachable
 * Redis is an error (thrown); elsewhere it is a loud warning and a skip.
 */
export async function redisSkipReason(url = SHARED_REDIS_URL): Promise<string | null> {
  if (await pingRedis(url)) return null;
  const reason = `no Redis reachable at ${url}: the chat's Redis tests are SKIPPED`;
  if (process.env.CI) throw new Error(`${reason} (CI requires Redis)`);
  console.warn(`\n!!! ${reason} !!!\n`);
  return reason;
}

/** A key prefix unique to this test run. */
export function uniquePrefix(): string {
  return `sktest:chat:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under `prefix`. */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    let cursor = '0';
    for (let i = 0; i < 10000; i += 1) {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await r.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } catch {
    // The server may already be gone (private servers).
  } finally {
    r.disconnect();
  }
}

/** A free loopback TCP port (bind 0, read it back, release it). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A private, non-persistent redis-server this test may kill and restart. */
export class PrivateRedis {
  readonly port: number;
  #proc: ChildProcess | null = null;

  private constructor(port: number) {
    this.port = port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort());
    await r.restart();
    return r;
  }

  /** Starts (again) on the same port, and waits until it answers. */
  async restart(): Promise<void> {
    const proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    this.#proc = proc;
    for (let i = 0; i < 100; i += 1) {
      if (await pingRedis(this.url)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('private redis-server did not start');
  }

  /** Kills it (SIGKILL, by PID) and waits for it to exit. */
  async kill(): Promise<void> {
    const proc = this.#proc;
    this.#proc = null;
    if (proc === null || proc.exitCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGKILL');
    await exited;
  }
}
