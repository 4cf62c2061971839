/**
 * What every host look-up shares: a timeout (the system resolver can hang for tens of
 * seconds when DNS is unreachable), an abort signal, the hosts file to consult, and the
 * translation of Node's `dns` errors into the socketkit error tree.
 * @module
 */
import { lookup, lookupService } from 'node:dns/promises';
import { fromSystemError, HostNotFoundError, InvalidArgumentError } from '../errors.js';
import { onAbort } from '../internal/abort-signal.js';

/** One address a {@link Resolver} found. */
export interface ResolvedAddress {
  address: string;
  /** 4 or 6. */
  family: number;
}

/**
 * The two system-resolver calls the look-ups make. The default is Node's `dns` module
 * (getaddrinfo(3) and getnameinfo(3)); pass your own to answer from a fixed table, a
 * DNS-over-HTTPS client, or a test double. Errors should carry Node's `code`
 * (`ENOTFOUND`, `EAI_AGAIN`, …) so that they map into the error tree.
 */
export interface Resolver {
  lookup(
    hostname: string,
    options: { family: 0 | 4 | 6; all: true; hints: number; verbatim: true },
  ): Promise<ResolvedAddress[]>;
  lookupService(address: string, port: number): Promise<{ hostname: string; service: string }>;
}

/** The system resolver: `dns.lookup` and `dns.lookupService`. */
export const systemResolver: Resolver = {
  lookup: (hostname, options) => lookup(hostname, options),
  lookupService: (address, port) => lookupService(address, port),
};

/** Options every host look-up accepts. */
export interface LookupOptions {
  /**
   * Give up after this many seconds with a `HostNotFoundError` (errno `EAI_AGAIN`);
   * `null` waits as long as the system resolver does. Default {@link DEFAULT_LOOKUP_TIMEOUT}.
   */
  timeout?: number | null;
  /** Abort the look-up (it rejects with the signal's reason). */
  signal?: AbortSignal;
  /** The hosts database to consult for names and aliases. Default `/etc/hosts`. */
  hostsFile?: string;
  /** Who answers the look-ups. Default {@link systemResolver}. */
  resolver?: Resolver;
}

/**
 * The default look-up timeout in seconds. glibc's resolver waits 5 s per server and
 * try (`options timeout:5 attempts:2`), so 10 s lets one retry through and no more.
 */
export const DEFAULT_LOOKUP_TIMEOUT = 10;

/** The default hosts database. */
export const DEFAULT_HOSTS_FILE = '/etc/hosts';

/** @throws {InvalidArgumentError} when `options` holds a bad timeout or hosts file. */
export function checkLookupOptions(options: LookupOptions): void {
  const { timeout, hostsFile } = options;
  if (
    timeout !== undefined &&
    timeout !== null &&
    (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0)
  ) {
    throw new InvalidArgumentError(
      `timeout must be a positive number of seconds or null, got ${String(timeout)}`,
    );
  }
  if (hostsFile !== undefined && (typeof hostsFile !== 'string' || hostsFile === '')) {
    throw new InvalidArgumentError('hostsFile must be a non-empty path');
  }
  const { resolver } = options;
  if (
    resolver !== undefined &&
    (typeof resolver?.lookup !== 'function' || typeof resolver.lookupService !== 'function')
  ) {
    throw new InvalidArgumentError('resolver must have lookup() and lookupService() methods');
  }
}

/** @throws {InvalidArgumentError} unless `name` is a string (a host name or address). */
export function checkHostArgument(name: unknown, what = 'host'): asserts name is string {
  if (typeof name !== 'string') {
    throw new InvalidArgumentError(`${what} must be a string, got ${typeof name}`);
  }
  if (name.length > 1024 || name.includes('\0')) {
    throw new InvalidArgumentError(`${what} is not a valid host name or address`);
  }
}

/**
 * True for names under the reserved `.invalid` top-level domain. RFC 6761 §6.4 asks
 * resolver libraries to answer them negatively at once instead of querying DNS, which
 * also makes "not found" instant and deterministic in tests.
 * https://www.rfc-editor.org/rfc/rfc6761#section-6.4
 */
export function isInvalidName(name: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === 'invalid' || n.endsWith('.invalid');
}

/**
 * Runs one resolver call with the caller's timeout and abort signal, and maps its
 * failure into the error tree (`ENOTFOUND` → `HostNotFoundError`, …).
 *
 * Node cannot cancel a `getaddrinfo`/`getnameinfo` running on the libuv thread pool:
 * on timeout the promise settles at once and the call is left to finish in the
 * background (its result is ignored).
 */
export function runLookup<T>(
  name: string,
  syscall: string,
  options: LookupOptions,
  call: () => Promise<T>,
): Promise<T> {
  const { signal } = options;
  const timeout = options.timeout === undefined ? DEFAULT_LOOKUP_TIMEOUT : options.timeout;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    // The one `{ signal }` rule of socketkit (internal/abort-signal.ts).
    const unlisten =
      signal === undefined
        ? null
        : onAbort(signal, () => {
            cleanup();
            reject(signal.reason);
          });
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      unlisten?.();
    };
    if (timeout !== null) {
      timer = setTimeout(() => {
        cleanup();
        reject(
          new HostNotFoundError(name, {
            errno: 'EAI_AGAIN',
            syscall,
            cause: new Error(`${syscall} did not answer within ${timeout} s`),
          }),
        );
      }, timeout * 1000);
    }
    call().then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (err: unknown) => {
        cleanup();
        reject(fromSystemError(err, { syscall, hostname: name }));
      },
    );
  });
}

/** The error for a name that the resolver was never asked about (`.invalid`). */
export function notFound(name: string, syscall = 'getaddrinfo'): HostNotFoundError {
  return new HostNotFoundError(name, { errno: 'ENOTFOUND', syscall });
}
