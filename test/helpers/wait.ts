/**
 * Event waits for tests: a test waits for the thing it means (a `socketkit:*` diagnostics
 * message, an emitter's event, a condition that an event makes true), never for a sleep.
 * Every wait has a timeout, and that timeout is only a safety bound: it is generous
 * (WAIT_MS, 60 s by default) so a loaded machine never trips it, and when it does trip the
 * error says what was being waited for.
 *
 *     const closed = waitForChannel<CloseMessage>('socketkit:server:close', (m) => m.id === id);
 *     client.end();
 *     await closed;
 *
 *     const refused = watchChannel<RefusedMessage>(t, 'socketkit:server:refused');
 *     … act …
 *     await refused.waitFor((all) => all.length === 3);
 */
import diagnostics from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import type { TestContext } from 'node:test';

/** The default safety bound of every wait, in ms. */
export const WAIT_MS = 60_000;

export interface WaitOptions {
  /** Safety bound in ms (default {@link WAIT_MS}). */
  timeout?: number;
  /** What is awaited, for the timeout error. */
  what?: string;
  /** Gives up the wait (rejecting with the signal's reason) and frees its timer. */
  signal?: AbortSignal;
}

/** Races `promise` against the safety bound; the error names what was awaited. */
export async function within<T>(
  promise: Promise<T>,
  options: WaitOptions | string = {},
): Promise<T> {
  const { timeout = WAIT_MS, what = 'a promise' } =
    typeof options === 'string' ? { what: options } : options;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${timeout} ms waiting for ${what}`)),
          timeout,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The first message on diagnostics channel `name` that satisfies `predicate`. Subscribes
 * at once (synchronously), so start the wait BEFORE the action that publishes.
 */
export function waitForChannel<T = unknown>(
  name: string,
  predicate: (message: T) => boolean = () => true,
  options: WaitOptions = {},
): Promise<T> {
  const { timeout = WAIT_MS, what = `a message on ${name}` } = options;
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      let ok: boolean;
      try {
        ok = predicate(message as T);
      } catch (err) {
        done();
        reject(err);
        return;
      }
      if (!ok) return;
      done();
      resolve(message as T);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${timeout} ms waiting for ${what}`));
    }, timeout);
    const onAbort = (): void => {
      done();
      reject(options.signal?.reason as Error);
    };
    const done = (): void => {
      clearTimeout(timer);
      diagnostics.unsubscribe(name, onMessage);
      options.signal?.removeEventListener('abort', onAbort);
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort);
    diagnostics.subscribe(name, onMessage);
  });
}

/** Every message published on a channel since {@link watchChannel}, with a way to wait for more. */
export interface ChannelWatch<T> {
  /** The messages so far, oldest first. */
  readonly messages: T[];
  /** Resolves once `predicate(messages)` holds (checked now and after every message). */
  waitFor(predicate: (messages: T[]) => boolean, options?: WaitOptions): Promise<T[]>;
  /** Resolves once at least `n` messages were seen. */
  count(n: number, options?: WaitOptions): Promise<T[]>;
}

/** Collects the messages of channel `name` from now until the end of the test. */
export function watchChannel<T = unknown>(t: TestContext, name: string): ChannelWatch<T> {
  const messages: T[] = [];
  const events = new EventEmitter();
  const onMessage = (message: unknown): void => {
    messages.push(message as T);
    events.emit('message');
  };
  diagnostics.subscribe(name, onMessage);
  t.after(() => diagnostics.unsubscribe(name, onMessage));
  const watch: ChannelWatch<T> = {
    messages,
    waitFor: (predicate, options = {}) =>
      until(() => predicate(messages), events, 'message', {
        what: `a state of ${name} (${messages.length} messages so far)`,
        ...options,
      }).then(() => messages),
    count: (n, options = {}) =>
      watch.waitFor((all) => all.length >= n, { what: `${n} messages on ${name}`, ...options }),
  };
  return watch;
}

/**
 * Resolves once `condition()` holds, re-checking it each time `emitter` emits `event` (an
 * event that can make it true): a condition wait without polling.
 */
export function until(
  condition: () => boolean,
  emitter: NodeJS.EventEmitter,
  event: string | symbol,
  options: WaitOptions = {},
): Promise<void> {
  return untilAny(condition, [[emitter, event]], {
    what: `a condition (re-checked on ${String(event)})`,
    ...options,
  });
}

/**
 * Like {@link until}, re-checking on any of several events: e.g. a child's output and its
 * exit, `[[child.stdout, 'data'], [child.stderr, 'data'], [child, 'exit']]`.
 */
export function untilAny(
  condition: () => boolean,
  sources: ReadonlyArray<readonly [NodeJS.EventEmitter, string | symbol]>,
  options: WaitOptions = {},
): Promise<void> {
  const { timeout = WAIT_MS, what = 'a condition' } = options;
  return new Promise<void>((resolve, reject) => {
    const check = (): void => {
      let ok: boolean;
      try {
        ok = condition();
      } catch (err) {
        done();
        reject(err);
        return;
      }
      if (ok) {
        done();
        resolve();
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${timeout} ms waiting for ${what}`));
    }, timeout);
    const onAbort = (): void => {
      done();
      reject(options.signal?.reason as Error);
    };
    const done = (): void => {
      clearTimeout(timer);
      for (const [emitter, event] of sources) emitter.off(event, check);
      options.signal?.removeEventListener('abort', onAbort);
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort);
    for (const [emitter, event] of sources) emitter.on(event, check);
    check();
  });
}

/**
 * `events.once` with a safety bound: the arguments of the first `event` from `emitter`;
 * rejects if the emitter emits 'error' first or the bound passes.
 */
export function onceWithin<T extends unknown[] = unknown[]>(
  emitter: NodeJS.EventEmitter,
  event: string | symbol,
  options: WaitOptions = {},
): Promise<T> {
  const { timeout = WAIT_MS, what = `'${String(event)}'` } = options;
  return new Promise<T>((resolve, reject) => {
    const onEvent = (...args: unknown[]): void => {
      done();
      resolve(args as T);
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${timeout} ms waiting for ${what}`));
    }, timeout);
    const onAbort = (): void => {
      done();
      reject(options.signal?.reason as Error);
    };
    const done = (): void => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
      if (event !== 'error') emitter.off('error', onError);
      options.signal?.removeEventListener('abort', onAbort);
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort);
    emitter.on(event, onEvent);
    if (event !== 'error') emitter.on('error', onError);
  });
}

/** An array that can be waited on: every push re-checks the waits. */
export type Recorder<T> = T[] & {
  /** Resolves once `predicate(items)` holds (default: at least one item). */
  waitFor(predicate?: (items: T[]) => boolean, options?: WaitOptions): Promise<T[]>;
};

/**
 * An array for what hooks and handlers record (errors, replies, calls), that a test can
 * wait on instead of polling it: `const errors = recorder<unknown>(); … handleError: (e) =>
 * errors.push(e) … await errors.waitFor((e) => e.length === 1);`.
 */
export function recorder<T>(): Recorder<T> {
  const items = [] as unknown as Recorder<T>;
  const events = new EventEmitter();
  Object.defineProperty(items, 'push', {
    value: (...added: T[]): number => {
      const n = Array.prototype.push.apply(items, added);
      events.emit('push');
      return n;
    },
  });
  Object.defineProperty(items, 'waitFor', {
    value: (
      predicate: (all: T[]) => boolean = (all) => all.length > 0,
      options: WaitOptions = {},
    ) =>
      until(() => predicate(items), events, 'push', {
        what: `recorded items (${items.length} so far)`,
        ...options,
      }).then(() => items),
  });
  return items;
}

/** A promise with its resolve function: a gate a test opens when it decides. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
