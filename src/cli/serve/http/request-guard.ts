/**
 * The checks every request to the HTTP side passes before anything else reads it:
 *
 * - `Host` must name this server (loopback names, the bound host, `--http-allow-host`
 *   names): a DNS-rebinding page, whose own name now resolves to 127.0.0.1, sends its
 *   own name and gets 421, so it cannot read the dashboard or /metrics through a
 *   visitor's browser.
 * - `Origin`, when present (always on a browser's WebSocket, on cross-origin fetches),
 *   must be this server's own origin: 403 otherwise.
 * - The token (when `--http-token-file` is set): `Authorization: Bearer TOKEN`, or the
 *   `socketkit_token` cookie that `?token=TOKEN` sets (HttpOnly, SameSite=Strict).
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The cookie `?token=` sets. */
export const TOKEN_COOKIE = 'socketkit_token';

/** A refusal: the status and a one-line reason (plain text, no request data echoed). */
export interface Refusal {
  status: number;
  reason: string;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Checks Host, Origin and the token of requests to one HTTP side. */
export class RequestGuard {
  readonly #hosts: Set<string>;
  readonly #token: Buffer | null;
  readonly #scheme: 'http' | 'https';

  /**
   * @param boundHost the address the side listens on.
   * @param allowHosts more names accepted in `Host` (lower case).
   * @param token the secret, or null (loopback, no token file).
   */
  constructor(
    boundHost: string,
    allowHosts: readonly string[],
    token: string | null,
    scheme: 'http' | 'https',
  ) {
    const bare = boundHost.toLowerCase().replace(/^\[|\]$/g, '');
    this.#hosts = new Set(['localhost', '127.0.0.1', '::1', ...allowHosts]);
    // A wildcard bind has no name of its own: only the loopback and allowed names pass.
    if (bare !== '0.0.0.0' && bare !== '::' && bare !== '') this.#hosts.add(bare);
    this.#token = token === null ? null : digest(token);
    this.#scheme = scheme;
  }

  /** Whether requests need the token. */
  get tokenRequired(): boolean {
    return this.#token !== null;
  }

  /** The host name of a `Host` header (`[::1]:7080` → `::1`), lower case, or null. */
  static hostName(header: string | undefined): string | null {
    if (header === undefined || header === '' || header.length > 255) return null;
    const m = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+))(?::(\d{1,5}))?$/i.exec(header);
    if (m === null) return null;
    return (m[1] ?? m[2] ?? '').toLowerCase();
  }

  /** Host (and, when present, Origin) check: null when the request may go on. */
  checkHost(req: IncomingMessage, originRequired = false): Refusal | null {
    const host = req.headers.host;
    const name = RequestGuard.hostName(host);
    if (name === null || !this.#hosts.has(name))
      return { status: 421, reason: 'this server does not serve that host name' };
    const origin = req.headers.origin;
    if (origin === undefined) {
      return originRequired ? { status: 403, reason: 'an Origin header is required' } : null;
    }
    if (origin.toLowerCase() !== `${this.#scheme}://${String(host).toLowerCase()}`)
      return { status: 403, reason: 'cross-origin requests are refused' };
    return null;
  }

  /** Token check: null when no token is needed or the request carries it. */
  checkToken(req: IncomingMessage): Refusal | null {
    if (this.#token === null) return null;
    const auth = req.headers.authorization;
    let given: string | undefined;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      given = m?.[1];
    } else {
      given = readCookie(req.headers.cookie, TOKEN_COOKIE);
    }
    if (given !== undefined && this.matches(given)) return null;
    return { status: 401, reason: 'a token is required (Authorization: Bearer, or ?token=)' };
  }

  /** Whether `given` is the token (compared in constant time). */
  matches(given: string): boolean {
    return this.#token !== null && timingSafeEqual(digest(given), this.#token);
  }
}

/** The value of cookie `name` in a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
