/**
 * `relayPair`: moves bytes both ways between two {@link RelayEnd}s until both directions
 * are done, with socat's half-close and without its fixed buffer: backpressure end to end.
 *
 * ```
 *  a.read ─► b.write(chunk) ─── false ─► a.pauseReading() ─► b.whenDrained() ─► a.resumeReading()
 *  b.read ─► a.write(chunk)     (the same, the other way)
 *  a's EOF ─► b.end() (FIN after a's data)      b's EOF ─► a.end()
 *  both ends done ─► close both: 'done'
 *  a fails (reset, error) ─► reset both: b's peer sees a reset, never a clean EOF after
 *                            a cut stream (no silent truncation); 'error'
 *  --idle-timeout: nothing either way for that long ─► close both: 'idle'
 * ```
 *
 * Each direction holds at most what one side's send buffer holds (its high-water mark
 * plus the chunk that crossed it): a peer that never reads pauses the other peer through
 * the relay, and the relay's memory stays bounded. Pauses are published on the
 * `socketkit:relay:pause` diagnostics channel (when someone listens) with the bytes the
 * slow side held then, so tests can see the relay hold instead of timing it.
 * @module
 */
import { channel } from 'node:diagnostics_channel';
import type { RelayEnd } from './relay-end.js';

/** Published when a direction pauses: `{ from, to, buffered }` (labels, bytes held by `to`). */
export const relayPauseChannel = channel('socketkit:relay:pause');

/** Options of {@link relayPair}. */
export interface RelayPairOptions {
  /** Seconds without a byte either way before both sides are closed; null = never. */
  idleTimeout: number | null;
  /** Aborts the relay (both sides reset). */
  signal: AbortSignal;
}

/** How a relay ended. */
export interface RelayResult {
  /** `done`: both directions ended; `idle`: the idle timeout; `error`: a side failed; `aborted`. */
  end: 'done' | 'idle' | 'error' | 'aborted';
  /** The failure, for `error`. */
  error: Error | null;
  /** The side that failed, for `error`. */
  failed: RelayEnd | null;
  /** Bytes from `a` to `b`. */
  forward: number;
  /** Bytes from `b` to `a`. */
  backward: number;
}

/** Relays between `a` and `b`; always resolves, with both sides closed or reset. */
export function relayPair(
  a: RelayEnd,
  b: RelayEnd,
  options: RelayPairOptions,
): Promise<RelayResult> {
  return new Promise((resolve) => {
    let settled = false;
    let directionsDone = 0;
    const result: RelayResult = { end: 'done', error: null, failed: null, forward: 0, backward: 0 };
    const idle = options.idleTimeout;
    const timer = idle === null ? undefined : setTimeout(() => finish('idle'), idle * 1000);

    const finish = (
      end: RelayResult['end'],
      error: Error | null = null,
      failed: RelayEnd | null = null,
    ): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      Object.assign(result, { end, error, failed });
      if (end === 'done' || end === 'idle') {
        void Promise.allSettled([a.close(), b.close()]).then(() => resolve(result));
        return;
      }
      // A failure on one side is passed on as a failure: the other peer gets a reset.
      a.reset();
      b.reset();
      resolve(result);
    };

    const direction = (from: RelayEnd, to: RelayEnd, forward: boolean): void => {
      const resume = (): void => {
        if (!settled) from.resumeReading();
      };
      const drainFailed = (err: unknown): void => finish('error', toError(err), to);
      from
        .read((chunk) => {
          if (settled) return;
          if (forward) result.forward += chunk.length;
          else result.backward += chunk.length;
          timer?.refresh();
          if (to.write(chunk)) return;
          from.pauseReading();
          if (relayPauseChannel.hasSubscribers) {
            relayPauseChannel.publish({
              from: from.label,
              to: to.label,
              buffered: to.bufferedAmount,
            });
          }
          to.whenDrained().then(resume, drainFailed);
        })
        .then(
          () => {
            if (settled) return;
            // The peer's EOF, passed on after its data; the other way may go on.
            to.end().then(
              () => {
                directionsDone += 1;
                if (directionsDone === 2) finish('done');
              },
              (err: unknown) => finish('error', toError(err), to),
            );
          },
          (err: unknown) => finish('error', toError(err), from),
        );
    };

    const onAbort = (): void => finish('aborted');
    if (options.signal.aborted) {
      onAbort();
      return;
    }
    options.signal.addEventListener('abort', onAbort, { once: true });
    direction(a, b, true);
    direction(b, a, false);
  });
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
