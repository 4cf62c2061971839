/**
 * The options and hook types every server shares (see `BaseServer`).
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { onAbort } from '../internal/abort-signal.js';
import { checkSeconds } from '../internal/check-option.js';
import type { AccessOptions } from './access-list.js';
import type { Concurrency } from './concurrency.js';
import type { PeerAddress } from './handler-types.js';

/** Where an error reported to `handleError` came from. */
export interface ErrorContext {
  phase:
    'handler' | 'tls-handshake' | 'proxy-header' | 'accept' | 'listen' | 'reply' | 'serviceActions';
  /** The connection or datagram id. */
  id?: number;
  remote?: PeerAddress;
}

/** Hooks that can be given as options instead of overriding the methods. */
export interface ServerHooks {
  /** Access control after the allow/deny lists: return false to refuse the client. */
  verifyRequest?: (remote: PeerAddress) => boolean | Promise<boolean>;
  /** Called when a handler throws (abrupt disconnects are not errors). Default: publish. */
  handleError?: (error: unknown, ctx: ErrorContext) => void | Promise<void>;
  /** Called about every `pollInterval` seconds while `serveForever()` runs. */
  serviceActions?: () => void | Promise<void>;
  /** Called when `handleRequest()` waited `timeout` seconds and no request came. */
  handleTimeout?: () => void | Promise<void>;
}

/** Options every server takes. */
export interface BaseServerOptions extends AccessOptions, ServerHooks {
  /** `concurrent` (default), `serial` (one request at a time) or a maximum number. */
  concurrency?: Concurrency;
  /** Seconds `handleRequest()` waits for a request before calling `handleTimeout()`; null = for ever. */
  timeout?: number | null;
  /** Seconds `shutdown()` lets running handlers finish before destroying them; default 10. */
  drainTimeout?: number;
  /** Seconds between `serviceActions()` calls while serving; default 0.5 (as in Python). */
  pollInterval?: number;
}

/** The shutdown options. */
export interface ShutdownOptions {
  /** Seconds to let running handlers finish before destroying them; default the server's. */
  drainTimeout?: number;
}

/**
 * Checks the options every server takes (the rest are checked by the access list and the
 * limiter).
 * @throws {InvalidArgumentError} for a bad option.
 */
export function checkBaseOptions(options: BaseServerOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('server options must be an object');
  }
  checkSeconds(options.timeout, 'timeout', true);
  checkSeconds(options.drainTimeout, 'drainTimeout', false);
  checkSeconds(options.pollInterval, 'pollInterval', false);
}

/** Resolves with what `register`'s callback delivers, or undefined after `timeout` seconds. */
export function waitOrTimeout<T>(
  timeout: number | null,
  register: (deliver: (value: T) => void) => void,
  signal?: AbortSignal,
): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer =
      timeout === null ? undefined : setTimeout(() => resolve(undefined), timeout * 1000);
    const unlisten =
      signal === undefined
        ? undefined
        : onAbort(signal, () => {
            clearTimeout(timer);
            reject(signal.reason);
          });
    register((value) => {
      clearTimeout(timer);
      unlisten?.();
      resolve(value);
    });
  });
}
