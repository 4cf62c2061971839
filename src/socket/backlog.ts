/**
 * The listen backlog: its default and its check, shared by `Listener` and the stream
 * servers (`TcpServer`, `UnixStreamServer`).
 * @module
 */
import { readFileSync } from 'node:fs';
import { checkInteger } from '../internal/check-option.js';

/** The largest default backlog: see {@link defaultBacklog}. */
export const MAX_DEFAULT_BACKLOG = 4096;
/** The largest backlog accepted: `listen(2)` takes a C `int`. */
const MAX_BACKLOG = 2 ** 31 - 1;
let defaultBacklogValue: number | undefined;

/**
 * The listen backlog socketkit uses when none is given (`Listener.bind`, `TcpServer`,
 * `UnixStreamServer`): `net.core.somaxconn`, the kernel's cap on any backlog (read once
 * from `/proc/sys/net/core/somaxconn`), but at most {@link MAX_DEFAULT_BACKLOG}; 4096 where
 * `/proc` cannot be read (the kernel then caps it at its own limit).
 *
 * Why not Node's 511: a burst of connects larger than the queue overflows it, and the
 * kernel drops those handshakes; the clients retry only after a second or more. Go and
 * Netty default to somaxconn for that reason. Why a cap: a deeper queue only makes
 * clients of an overloaded server wait longer instead of failing fast; at the accept rate
 * of one Node process (several thousand per second) 4096 queued connections are well
 * under a second of work, and 4096 is Linux's own default somaxconn since 5.4.
 */
export function defaultBacklog(): number {
  if (defaultBacklogValue === undefined) {
    let somaxconn = Number.NaN;
    try {
      somaxconn = Number.parseInt(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'), 10);
    } catch {
      // Not Linux, or /proc hidden: the kernel caps the value itself.
    }
    defaultBacklogValue =
      Number.isInteger(somaxconn) && somaxconn > 0
        ? Math.min(somaxconn, MAX_DEFAULT_BACKLOG)
        : MAX_DEFAULT_BACKLOG;
  }
  return defaultBacklogValue;
}

/**
 * Checks a `backlog` option: an integer from `min` to 2³¹ − 1.
 * @throws {InvalidArgumentError} otherwise.
 */
export function checkBacklog(value: unknown, min: 0 | 1): void {
  checkInteger(value, 'backlog', min, MAX_BACKLOG);
}
