/**
 * The TCP (and TLS, Unix stream) side of the exec service: length-prefixed request
 * frames in, reply frames out, one request at a time per connection.
 *
 * What the tutorial server (seed S5) got wrong, and what this does instead:
 * - `recv(1024)` cut long commands and long output: every message here is a frame with
 *   a 4-byte length, read whole however TCP splits it, and output is streamed in as
 *   many frames as it takes.
 * - A client vanishing mid-command killed the server: here a failed write or a closed
 *   connection kills that command's process group and ends this handler only.
 * - A client speaking the tutorial's raw protocol made it run a shell: here the first
 *   byte gives it away (a request frame starts with 0x00) and it gets one plain-text
 *   line saying why it was refused, then the connection closes.
 * @module
 */
import { FrameReader } from '../../framing/frame-reader.js';
import type { ConnectionContext } from '../../server/handler-types.js';
import type { Socket } from '../../socket/tcp-socket.js';
import type { ExecEngine } from './exec-engine.js';
import { ExecRefusedError } from './exec-error.js';
import {
  type ExecReplyFrame,
  type ExecRequest,
  encodeReplyFrame,
  execCodec,
} from './exec-protocol.js';

/** What a client that does not speak the protocol is told (one line, then close). */
export const NOT_EXEC_PROTOCOL_LINE =
  'socketkit exec: refused: not an authenticated exec request (send length-prefixed, HMAC-signed JSON; see docs/exec.md)\n';

/** Options of {@link createExecStreamHandler}. */
export interface ExecStreamHandlerOptions {
  /** Seconds a connection may wait between requests, or block a write (default 60). */
  idleTimeout?: number;
}

/** Builds the stream handler over an engine. */
export function createExecStreamHandler(
  engine: ExecEngine,
  options: ExecStreamHandlerOptions = {},
): (conn: Socket, ctx: ConnectionContext) => Promise<void> {
  const idle = options.idleTimeout ?? 60;
  return async (conn, ctx) => {
    conn.setTimeout(idle);
    const gone = new AbortController();
    const onGone = (): void => gone.abort();
    conn.raw.once('close', onGone);
    ctx.signal.addEventListener('abort', onGone, { once: true });
    const reader = new FrameReader(execCodec(engine.maxRequest + 4));
    const send = async (frame: ExecReplyFrame): Promise<void> => {
      await conn.sendAll(encodeReplyFrame(frame));
    };
    let first = true;
    try {
      while (!gone.signal.aborted) {
        const chunk = await conn.recv(64 * 1024);
        if (chunk.length === 0) return;
        if (first && chunk[0] !== 0) {
          await conn.sendAll(NOT_EXEC_PROTOCOL_LINE);
          return;
        }
        first = false;
        reader.push(chunk);
        let frames: Buffer[];
        try {
          frames = reader.drain();
        } catch (err) {
          await send(
            engine.refusal(
              new ExecRefusedError(
                'ERR_EXEC_BAD_REQUEST',
                `bad request frame: ${(err as Error).message}`,
              ),
              null,
            ),
          );
          return;
        }
        for (const payload of frames) {
          let request: ExecRequest;
          try {
            request = engine.authenticate(payload);
          } catch (err) {
            // A failed authentication ends the connection: no retries on a socket.
            await send(engine.refusal(err, null));
            return;
          }
          await engine.execute(request, send, gone.signal);
          if (gone.signal.aborted) return;
        }
      }
    } catch {
      // The client went away or timed out: its command (if any) was killed above.
    } finally {
      conn.raw.off('close', onGone);
      ctx.signal.removeEventListener('abort', onGone);
      gone.abort();
    }
  };
}
