/**
 * Ctrl-C for the one-shot time clients: when the CLI's stop signal aborts a wait, the
 * command ends with exit code 130 (interrupted) instead of reporting the abort as an error.
 * @module
 */
import { type CliIO, ExitCode } from '../io.js';

/** Runs `action`; if it fails because `io.signal` was aborted, sets exit code 130. */
export async function interruptible(
  io: CliIO,
  setExitCode: (code: number) => void,
  action: () => Promise<void>,
): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (io.signal.aborted) {
      setExitCode(ExitCode.interrupted);
      return;
    }
    throw err;
  }
}

/** Destroys `closable` when `signal` aborts; returns the function that stops watching. */
export function destroyOnAbort(signal: AbortSignal, closable: { destroy(): void }): () => void {
  const onAbort = (): void => closable.destroy();
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
