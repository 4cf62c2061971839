/**
 * Reads a request body from the client's socket by its framing: exactly Content-Length
 * bytes, or a chunked body decoded (RFC 9112 §7.1) with every line bounded. Yields the
 * body's bytes; the caller forwards them with backpressure (one chunk in flight).
 *
 * ```
 * chunked:  1a;ext=x CRLF  <0x1a bytes> CRLF  …  0 CRLF  [trailer fields CRLF]  CRLF
 * ```
 * @module
 */
import type { Socket } from '../../socket/tcp-socket.js';
import { HttpRefusal, type RequestHead } from './request-head.js';

/** The most bytes read from the socket at once. */
const READ_SIZE = 64 * 1024;
/** A chunk-size line (with extensions) or a trailer line is at most this long. */
const MAX_LINE = 4096;
/** At most this many trailer fields. */
const MAX_TRAILERS = 32;

/** The body's bytes, in order. */
export async function* readRequestBody(
  conn: Socket,
  body: RequestHead['body'],
): AsyncGenerator<Buffer> {
  if (body.kind === 'length') {
    let left = body.length;
    while (left > 0) {
      const chunk = await conn.recv(Math.min(left, READ_SIZE));
      if (chunk.length === 0) throw new HttpRefusal(400, 'the body ended early');
      left -= chunk.length;
      yield chunk;
    }
    return;
  }
  if (body.kind !== 'chunked') return;
  for (;;) {
    const line = (await conn.recvUntil('\r\n', { maxBytes: MAX_LINE })).toString('latin1');
    const m = /^([0-9A-Fa-f]{1,12})(?:[ \t]*;.*)?$/.exec(line);
    if (m === null) throw new HttpRefusal(400, 'malformed chunk size');
    let left = parseInt(m[1]!, 16);
    if (left === 0) break;
    while (left > 0) {
      const chunk = await conn.recv(Math.min(left, READ_SIZE));
      if (chunk.length === 0) throw new HttpRefusal(400, 'the body ended early');
      left -= chunk.length;
      yield chunk;
    }
    if ((await conn.recvExactly(2)).toString('latin1') !== '\r\n') {
      throw new HttpRefusal(400, 'malformed chunk');
    }
  }
  // Trailer fields are read and dropped (a proxy may; RFC 9112 §7.1.2).
  for (let n = 0; ; n++) {
    const line = await conn.recvUntil('\r\n', { maxBytes: MAX_LINE });
    if (line.length === 0) return;
    if (n >= MAX_TRAILERS) throw new HttpRefusal(431, 'too many trailer fields');
  }
}
