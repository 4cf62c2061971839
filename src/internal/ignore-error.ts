/**
 * `ignoreError`: the one way socketkit drops an error on purpose. Nothing is swallowed in
 * silence: each dropped error is published on the `socketkit:error:ignored` diagnostics
 * channel as `{ reason, error }`, where `reason` is a short stable string naming the place
 * and why the error cannot matter there (`'socket:connect-unawaited'`). An operator or a
 * test subscribes to see them; with no subscriber it costs one `hasSubscribers` check.
 *
 * A bare `.catch(() => {})` is refused by the lint (eslint.config.js): use
 * `.catch(ignoreError('area:what'))`, or `ignored('area:what', error)` in a `catch` block.
 * @module
 */
import { channel } from 'node:diagnostics_channel';

/** What `socketkit:error:ignored` publishes. */
export interface IgnoredErrorMessage {
  /** Where and why, short and stable (`'server:linger-close'`): docs/errors.md lists them. */
  reason: string;
  /** The error as it came. */
  error: unknown;
}

const ignoredChannel = channel('socketkit:error:ignored');

/** Drops `error` for `reason`, publishing it when someone listens. */
export function ignored(reason: string, error: unknown): void {
  if (ignoredChannel.hasSubscribers) {
    ignoredChannel.publish({ reason, error } satisfies IgnoredErrorMessage);
  }
}

/** A rejection handler that drops the error for `reason`: `p.catch(ignoreError('…'))`. */
export function ignoreError(reason: string): (error: unknown) => void {
  return (error) => ignored(reason, error);
}
