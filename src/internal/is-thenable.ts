/**
 * `isThenable`: how the server framework tells a handler that returned a promise (it
 * must be awaited) from one that returned nothing (it is done: no promise is made).
 * @module
 */

/** True for a promise, or any object with a `then` method (what `await` would wait for). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
