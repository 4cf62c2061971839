/**
 * Waiting for one event of a socket with a timeout and an abort signal, turning `error`
 * and `close` into rejections: the building block of connect, drain and shutdown.
 * @module
 */
import type { EventEmitter } from 'node:events';
import { onAbort } from '../internal/abort-signal.js';
import {
  type ErrorAddress,
  fromSystemError,
  InvalidArgumentError,
  SocketClosedError,
  SocketTimeoutError,
} from '../errors.js';

/** How `waitForEvent` waits and what it rejects with. */
export interface EventWait {
  /** Milliseconds to wait, or null for ever. */
  timeoutMs: number | null;
  onTimeout: () => Error;
  /** Converts the emitter's `error` into the rejection. */
  convert: (err: unknown) => Error;
  /** The rejection when the emitter closes before the event. */
  closedError: () => Error;
  /** Aborts the wait: it rejects with `signal.reason` (see internal/abort-signal.ts). */
  signal?: AbortSignal | undefined;
}

/**
 * Resolves on `event`; rejects on `error`, on `close`, on timeout and when `wait.signal`
 * aborts (at once if it already has). Removes its listeners either way.
 */
export function waitForEvent(emitter: EventEmitter, event: string, wait: EventWait): Promise<void> {
  const signal = wait.signal;
  if (signal?.aborted === true) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let unlisten: (() => void) | null = null;
    const cleanup = (): void => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
      emitter.off('error', onError);
      emitter.off('close', onClose);
      if (unlisten !== null) unlisten();
    };
    const onEvent = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: unknown): void => {
      cleanup();
      reject(wait.convert(err));
    };
    const onClose = (): void => {
      cleanup();
      reject(wait.closedError());
    };
    emitter.on(event, onEvent);
    emitter.on('error', onError);
    emitter.on('close', onClose);
    if (wait.timeoutMs !== null) {
      timer = setTimeout(() => {
        cleanup();
        reject(wait.onTimeout());
      }, wait.timeoutMs);
    }
    if (signal !== undefined) {
      unlisten = onAbort(signal, () => {
        cleanup();
        reject(signal.reason);
      });
    }
  });
}

/**
 * Checks a timeout in seconds: `null` (none), `0` (non-blocking) or a positive finite number.
 * @throws {InvalidArgumentError} otherwise.
 */
export function checkTimeout(seconds: number | null, what = 'timeout'): number | null {
  if (seconds === null) return null;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw new InvalidArgumentError(
      `${what} must be null (wait for ever), 0 (non-blocking) or a positive number of seconds, got ${String(seconds)}`,
    );
  }
  if (seconds * 1000 > 2 ** 31 - 1) {
    throw new InvalidArgumentError(
      `${what} of ${seconds} s is too long (at most 24 days); use null for no timeout`,
    );
  }
  return seconds;
}

/**
 * The usual `EventWait` of a socket operation: times out after the socket's timeout
 * (none when it is null or 0), converts Node errors keeping the address, and reports
 * an early close as the stream's own failure or `SocketClosedError`.
 */
export function socketWait(
  op: string,
  timeout: number | null,
  where: () => ErrorAddress,
  failure: () => Error | null = () => null,
  signal?: AbortSignal,
): EventWait {
  return {
    signal,
    timeoutMs: timeout === null || timeout === 0 ? null : timeout * 1000,
    onTimeout: () => new SocketTimeoutError(op, timeout ?? 0, where()),
    convert: (err) => fromSystemError(err, { ...where(), syscall: op }),
    closedError: () => failure() ?? new SocketClosedError(op, where()),
  };
}
