/**
 * `resetConnection` and `cutConnection`: how a stream socket is closed abruptly without
 * letting the peer mistake the cut for the end of what we sent.
 *
 * A plain `destroy()` closes the descriptor: the kernel still sends what it holds and then
 * a FIN, so a peer whose reply was cut short (bytes still queued in Node, never handed to
 * the kernel) sees a clean end of stream after a partial reply. A reset (`SO_LINGER` 0,
 * Node's `resetAndDestroy()`) sends a TCP RST instead: the peer's next read fails with
 * `ECONNRESET`. The rule: **a connection closed while data we were asked to send is still
 * unsent is reset, never closed cleanly** (nginx and Apache answer a connection they cut
 * mid-response the same way).
 *
 * ```
 *  cutConnection(sock) ─┬─ nothing unsent (or our FIN already out) ─► destroy()  (peer: EOF after every byte)
 *                       └─ bytes still queued in Node ──────────────► resetConnection()
 *  resetConnection(sock) ─┬─ TCP ──────► RST (peer: ECONNRESET; unread data is dropped)
 *                         ├─ TLS ──────► destroy() without close_notify (peer: an unexpected
 *                         │              EOF, which TLS reports as truncation)
 *                         └─ Unix ─────► destroy() (no reset exists for Unix sockets)
 * ```
 * A reset can only precede our FIN: once the FIN is out (`writableFinished`), every byte
 * was handed to the kernel, which delivers it, and a peer that reads to the FIN never
 * sees a later reset.
 * @module
 */
import type * as net from 'node:net';
import { onTcpHandle } from './net-internals.js';

/** Aborts `sock` with a TCP RST where TCP allows (see the module comment); else destroys it. */
export function resetConnection(sock: net.Socket): void {
  if (sock.destroyed) return;
  // Still connecting: Node would wait for the connection to reset it; close now instead.
  if (onTcpHandle(sock) && !sock.connecting && !finOut(sock)) {
    // libuv refuses a reset once its shutdown began; Node then emits 'error': never crash.
    sock.once('error', ignore);
    sock.resetAndDestroy();
    return;
  }
  sock.destroy();
}

/**
 * Closes `sock` at once: a plain `destroy()` when everything we wrote reached the kernel,
 * a reset when bytes would be dropped (so the peer sees an error, not a short reply).
 */
export function cutConnection(sock: net.Socket): void {
  if (sock.destroyed) return;
  if (sock.writableLength > 0) resetConnection(sock);
  else sock.destroy();
}

/**
 * True once our FIN is out or on its way: `end()` was called and every byte reached the
 * kernel (Node then shuts the write side down; a reset is no longer possible, nor needed).
 */
function finOut(sock: net.Socket): boolean {
  return sock.writableFinished || (sock.writableEnded && sock.writableLength === 0);
}

function ignore(): void {}
