/**
 * The exec replay guard's state directory: one empty file per nonce, created with
 * `O_CREAT | O_EXCL` (`open(…, 'wx')`). The kernel makes that create atomic across
 * processes, so it is the lock: two workers of `serve --processes`, or a server and its
 * restarted self, can never both record the same nonce. No lock file, no append log to
 * parse, nothing lost at a restart (the files are on disk; after a power cut only what
 * the file system had not committed is lost).
 *
 * ```
 * DIR/                    mode 0700, owned by the server's user (checked at start)
 *   28567412/             a bucket: nonces expiring in [b·W, (b+1)·W)  (W = clock window)
 *     3f9a…(40 hex)       sha256(nonce), truncated: the client chooses the nonce, not the name
 *   28567413/
 * ```
 *
 * Bounded: a nonce expires at its `ts + W`, so a bucket whose whole range is past is
 * removed (at most once a second, by whichever process looks first); the live buckets
 * are recounted then, and past `maxEntries` live nonces requests are refused as busy
 * rather than recorded. Between two recounts each process adds its own count, so the
 * table holds at most about `maxEntries` plus one second of requests per process.
 * @module
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import { busy, type NonceStore } from './replay-guard.js';
import { ignoreError } from '../../internal/ignore-error.js';

/** Options of {@link FileNonceStore}. */
export interface FileNonceStoreOptions {
  /** The width of a bucket, ms: the replay guard's clock window (default 60 000). */
  bucketMs?: number;
  /** Live nonces at most (default 100 000). */
  maxEntries?: number;
}

/** See the module comment. */
export class FileNonceStore implements NonceStore {
  readonly dir: string;
  readonly description: string;
  readonly bucketMs: number;
  readonly maxEntries: number;
  #count = 0;
  #nextMaintain = 0;
  #maintaining: Promise<void> | null = null;
  readonly #made = new Set<number>();

  /**
   * Creates `dir` (mode 0700) if needed.
   * @throws {InvalidArgumentError} when it is not a directory, is a symbolic link, is
   *   not owned by this user, or other users may write or read it.
   */
  constructor(dir: string, options: FileNonceStoreOptions = {}) {
    this.dir = dir;
    this.description = `file ${dir}`;
    this.bucketMs = options.bucketMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 100_000;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new InvalidArgumentError(
        `exec: cannot create the replay store ${dir}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const st = lstatSync(dir);
    if (!st.isDirectory())
      throw new InvalidArgumentError(`exec: the replay store ${dir} is not a directory`);
    if (process.platform !== 'win32') {
      const uid = process.getuid?.();
      if (uid !== undefined && st.uid !== uid)
        throw new InvalidArgumentError(
          `exec: the replay store ${dir} belongs to uid ${st.uid}, not to this user (${uid})`,
        );
      if ((st.mode & 0o077) !== 0)
        throw new InvalidArgumentError(
          `exec: other users can open the replay store ${dir} (chmod 700 it)`,
        );
    }
  }

  /** Live nonces as last counted (plus this process's since). */
  get size(): number {
    return this.#count;
  }

  async add(nonce: string, expiresAt: number, now: number): Promise<boolean> {
    if (now >= this.#nextMaintain) {
      this.#maintaining ??= this.#maintain(now).finally(() => {
        this.#maintaining = null;
      });
      await this.#maintaining;
    }
    if (this.#count >= this.maxEntries) throw busy('too many recent requests, retry later');
    const bucket = Math.floor(expiresAt / this.bucketMs);
    const name = createHash('sha256').update(nonce, 'utf8').digest('hex').slice(0, 40);
    const file = join(this.dir, String(bucket), name);
    for (let attempt = 0; ; attempt++) {
      try {
        if (!this.#made.has(bucket)) {
          await mkdir(join(this.dir, String(bucket)), { mode: 0o700, recursive: true });
          this.#made.add(bucket);
        }
        await writeFile(file, '', { flag: 'wx', mode: 0o600 });
        this.#count++;
        return true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') return false;
        // Another process removed the bucket (it cannot be live, but be safe): remake it.
        if (code === 'ENOENT' && attempt === 0) {
          this.#made.delete(bucket);
          continue;
        }
        throw busy(`the replay store cannot record the request (${code ?? 'error'})`);
      }
    }
  }

  /** Removes buckets wholly past and recounts the live ones. */
  async #maintain(now: number): Promise<void> {
    this.#nextMaintain = now + 1000;
    let count = 0;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!/^\d+$/.test(name)) continue;
      const bucket = Number(name);
      if ((bucket + 1) * this.bucketMs <= now) {
        this.#made.delete(bucket);
        await rm(join(this.dir, name), { recursive: true, force: true }).catch(
          ignoreError('exec:nonce-bucket-remove'),
        );
      } else {
        count += (await readdir(join(this.dir, name)).catch(() => [])).length;
      }
    }
    this.#count = count;
  }

  async close(): Promise<void> {
    await this.#maintaining;
  }
}
