/**
 * Opens one load connection with Node's `onread` option: the kernel's bytes land in a
 * buffer we own and reuse, so reading allocates nothing per chunk (a plain `'data'`
 * listener would allocate a Buffer each time).
 * @module
 */
import net from 'node:net';
import type { LoadContext } from './load-control.js';

/** Called with the number of bytes now at the start of the connection's buffer. */
export type OnBytes = (n: number) => void;

/**
 * Connects to the target; resolves to the socket, or `null` after counting the error
 * (refused, reset, timeout). Connect time is recorded in `ctx.connectLatency`.
 */
export function openConnection(
  ctx: LoadContext,
  buffer: Buffer,
  onBytes: OnBytes,
): Promise<net.Socket | null> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const sock = net.connect({
      host: ctx.address,
      port: ctx.options.port,
      family: ctx.family,
      noDelay: true,
      onread: {
        buffer,
        callback: (n: number) => {
          // A throw here would silently stop this socket's reads: count it instead.
          try {
            onBytes(n);
          } catch (err) {
            ctx.counters.errors++;
            ctx.note(err);
          }
          return true;
        },
      },
    });
    const timer = setTimeout(() => {
      sock.destroy(new Error(`connect timed out after ${ctx.options.timeout} s`));
    }, ctx.options.timeout * 1000);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      ctx.counters.errors++;
      ctx.note(err);
      resolve(null);
    };
    sock.once('error', onError);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.off('error', onError);
      ctx.counters.connected++;
      const ms = performance.now() - t0;
      ctx.connectLatency.recordValue(Math.max(1, Math.round(ms * 1000)));
      resolve(sock);
    });
  });
}

/**
 * Opens `n` connections, at most `parallel` connecting at once.
 * @returns one entry per attempt (null for a failed one), in order.
 */
export async function openMany<T>(
  n: number,
  parallel: number,
  open: (i: number) => Promise<T | null>,
): Promise<(T | null)[]> {
  const out = new Array<T | null>(n).fill(null);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      out[i] = await open(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, lane));
  return out;
}
