/**
 * Turns `--replay-store` into a nonce store: `memory`, a directory path (or
 * `file:PATH`), or `redis://…` / `rediss://…`. Without it, `socketkit serve exec` uses a
 * state directory named after the secret (so every server and worker using that secret
 * on this machine shares it, and a restart finds it again):
 * `$XDG_STATE_HOME/socketkit/exec-replay/<id>` (default `~/.local/state/…`, or the
 * temporary directory when there is no home).
 * @module
 */
import { createHmac } from 'node:crypto';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileNonceStore } from './file-nonce-store.js';
import { MemoryNonceStore, type NonceStore } from './replay-guard.js';

/** Options of {@link openNonceStore}. */
export interface OpenNonceStoreOptions {
  /** The shared secret: names the default directory and the Redis key prefix. */
  secret: Uint8Array;
  /** The clock window, ms (bucket width of the file store). */
  windowMs: number;
  /** Live nonces at most (memory and file stores). */
  maxEntries?: number;
  /** The environment (default `process.env`), for `XDG_STATE_HOME`. */
  environment?: NodeJS.ProcessEnv;
}

/** A short name derived from the secret that reveals nothing about it. */
export function storeId(secret: Uint8Array): string {
  return createHmac('sha256', secret)
    .update('socketkit-exec replay store')
    .digest('hex')
    .slice(0, 16);
}

/** The default state directory of the replay store for `secret`. */
export function defaultReplayDir(secret: Uint8Array, environment = process.env): string {
  let home: string | undefined;
  try {
    home = homedir();
  } catch {
    home = undefined;
  }
  const base =
    environment.XDG_STATE_HOME || (home ? join(home, '.local', 'state') : join(tmpdir()));
  return join(base, 'socketkit', 'exec-replay', storeId(secret));
}

/**
 * Opens the store a spec names (see the module comment).
 * @throws {InvalidArgumentError} when the directory is unsafe or Redis is unreachable.
 */
export async function openNonceStore(
  spec: string | undefined,
  options: OpenNonceStoreOptions,
): Promise<NonceStore> {
  const max = options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries };
  if (spec === 'memory') return new MemoryNonceStore(max);
  if (spec !== undefined && /^rediss?:\/\//i.test(spec)) {
    // Loaded on use: a program that never names Redis never loads ioredis.
    const { RedisNonceStore } = await import('./redis-nonce-store.js');
    return RedisNonceStore.open(spec, {
      prefix: `socketkit:exec:replay:${storeId(options.secret)}`,
    });
  }
  const dir =
    spec === undefined || spec === ''
      ? defaultReplayDir(options.secret, options.environment)
      : spec.replace(/^file:/, '');
  return new FileNonceStore(dir, { bucketMs: options.windowMs, ...max });
}
