/**
 * The one rule of every `{ signal }` in socketkit (the same as `resolve`'s, and as Node's
 * own `fs`/`timers/promises` APIs): an operation given an `AbortSignal` rejects with
 * `signal.reason` — by default a `DOMException` named `AbortError` — at once when the
 * signal is already aborted, or as soon as it aborts while the operation waits. The
 * listener is added only while the operation actually waits and is removed when it
 * settles, so one long-lived signal can be passed to any number of operations.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

/** The options every waiting operation takes as its last parameter. */
export interface AbortOptions {
  /** Aborts the wait: the operation rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
}

/**
 * Checks an optional signal.
 * @throws {InvalidArgumentError} when it is not an `AbortSignal`.
 */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw new InvalidArgumentError(`signal must be an AbortSignal, got ${String(signal)}`);
}

/**
 * Calls `onAbort` once when `signal` aborts; returns the function that removes the
 * listener (call it when the operation settles, whichever way).
 */
export function onAbort(signal: AbortSignal, onAbort: () => void): () => void {
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** `promise`, or `signal.reason` when the signal aborts first (the listener is removed either way). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const unlisten = onAbort(signal, () => reject(signal.reason));
    promise.then(
      (v) => {
        unlisten();
        resolve(v);
      },
      (err: unknown) => {
        unlisten();
        reject(err);
      },
    );
  });
}

/**
 * The signal of an operation's options, checked; throws its reason when it is already
 * aborted (the operation must then do nothing).
 * @throws {InvalidArgumentError} when `signal` is not an `AbortSignal`.
 */
export function throwIfAborted(options: AbortOptions | undefined): AbortSignal | undefined {
  if (options === undefined) return undefined;
  const signal = checkSignal(options.signal);
  if (signal?.aborted === true) throw signal.reason;
  return signal;
}

/**
 * For operations that run until stopped (`serveForever`): `signal` aborting calls
 * `stop()`; once `run()` has settled, an aborted run rejects with `signal.reason`, so the
 * caller's next line never runs while the work is still winding down.
 */
export async function runUntilAborted(
  run: () => Promise<void>,
  stop: () => void,
  signal: AbortSignal,
): Promise<void> {
  const unlisten = onAbort(signal, stop);
  try {
    await run();
  } finally {
    unlisten();
  }
  if (signal.aborted) throw signal.reason;
}
