/**
 * The user/password list of the proxies (`--socks-users`, `--proxy-users`): a file of
 * `user:password` lines (the password is everything after the first colon; blank lines
 * and lines starting with `#` are skipped). Passwords are compared in constant time, and
 * an unknown user costs the same comparison as a known one, so the answer's timing tells
 * a client nothing about either.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { InvalidArgumentError } from '../errors.js';

/** Users and passwords are at most this long (RFC 1929 allows 255 bytes each). */
const MAX_FIELD = 255;
/** A credentials file is at most this big. */
const MAX_FILE = 1 << 20;

function digest(value: Uint8Array): Buffer {
  return createHash('sha256').update(value).digest();
}

/** A loaded credentials file. */
export class Credentials {
  readonly #users: Map<string, Buffer>;
  /** Compared against when the user is unknown, so both paths cost the same. */
  readonly #dummy = digest(Buffer.from('\0socketkit: no such user\0'));

  constructor(users: Map<string, Buffer>) {
    this.#users = users;
  }

  /** How many users the file names. */
  get size(): number {
    return this.#users.size;
  }

  /** True when `user` exists and `password` is theirs. */
  verify(user: Uint8Array | string, password: Uint8Array | string): boolean {
    const name = typeof user === 'string' ? user : Buffer.from(user).toString('utf8');
    const known = this.#users.get(name);
    const given = digest(typeof password === 'string' ? Buffer.from(password, 'utf8') : password);
    const ok = timingSafeEqual(given, known ?? this.#dummy);
    return ok && known !== undefined;
  }
}

/**
 * Parses `user:password` lines.
 * @throws {InvalidArgumentError} naming the line of a bad entry.
 */
export function parseCredentials(text: string, what: string): Credentials {
  const users = new Map<string, Buffer>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = colon === -1 ? '' : line.slice(0, colon);
    const password = colon === -1 ? '' : line.slice(colon + 1);
    if (
      user === '' ||
      Buffer.byteLength(user) > MAX_FIELD ||
      Buffer.byteLength(password) > MAX_FIELD
    ) {
      throw new InvalidArgumentError(
        `${what} line ${i + 1}: expected user:password (each 1 to ${MAX_FIELD} bytes)`,
      );
    }
    users.set(user, digest(Buffer.from(password, 'utf8')));
  });
  if (users.size === 0) throw new InvalidArgumentError(`${what} names no user`);
  return new Credentials(users);
}

/**
 * Reads a credentials file; `warn` is told when other users may read it.
 * @throws {InvalidArgumentError} when it cannot be read or holds a bad line.
 */
export async function loadCredentials(
  path: string,
  flag: string,
  warn: (message: string) => void,
): Promise<Credentials> {
  let text: string;
  try {
    const info = await stat(path);
    if (info.size > MAX_FILE) throw new Error(`larger than ${MAX_FILE} bytes`);
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      warn(`${path} is readable by other users (chmod 600 it)`);
    }
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${flag} ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseCredentials(text, `${flag} ${path}`);
}
