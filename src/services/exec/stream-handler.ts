/**
 * The TCP (and TLS, Unix stream) side of the exec service: requests in (a signed header
 * frame, then a body frame), reply frames out, one request at a time per connection.
 *
 * Before the first header verified, a connection is unauthenticated, and then:
 * - nothing large is buffered: the header frame may be at most 4 KiB (MAX_HEADER_LENGTH)
 *   and the body, whose length and hash the header signs, is read only once the MAC
 *   verified;
 * - it must authenticate within `authTimeout` (default 5 s) of being accepted, however
 *   slowly its bytes trickle in, or it is closed;
 * - it counts against a per-address cap and a total (PreauthGate), so one address
 *   cannot hold many of them;
 * - a refusal tells it nothing but "not authenticated" (the clock check comes after the MAC).
 *
 * What the tutorial server (seed S5) got wrong, and what this does instead:
 * - `recv(1024)` cut long commands and long output: every message here is a frame with
 *   a 4-byte length, read whole however TCP splits it, and output is streamed in as
 *   many frames as it takes.
 * - A client vanishing mid-command killed the server: here a failed write or a closed
 *   connection kills that command (and everything it started) and ends this handler only.
 * - A client speaking the tutorial's raw protocol made it run a shell: here the first
 *   byte gives it away (a request frame starts with 0x00) and it gets one plain-text
 *   line saying why it was refused, then the connection closes.
 * @module
 */
import { channel } from 'node:diagnostics_channel';
import { clientKey } from '../../server/address-limits.js';
import type { ConnectionContext } from '../../server/handler-types.js';
import type { Socket } from '../../socket/tcp-socket.js';
import type { ExecEngine } from './exec-engine.js';
import { ExecRefusedError } from './exec-error.js';
import {
  type ExecReplyFrame,
  type ExecRequest,
  encodeReplyFrame,
  MAX_HEADER_LENGTH,
} from './exec-protocol.js';
import { PreauthGate } from './preauth-gate.js';
import { ignoreError } from '../../internal/ignore-error.js';

/**
 * Unauthenticated connections: `{event: 'refused' | 'timeout' | 'authenticated' | 'closed', remote}`
 * ('closed': one left the table without authenticating).
 */
const preauthChannel = channel('socketkit:exec:preauth');

/** What a client that does not speak the protocol is told (one line, then close). */
export const NOT_EXEC_PROTOCOL_LINE =
  'socketkit exec: refused: not an authenticated exec request (send a length-prefixed, HMAC-signed header and body; see docs/exec.md)\n';

/** Options of {@link createExecStreamHandler}. */
export interface ExecStreamHandlerOptions {
  /** Seconds an authenticated connection may wait between requests, or block a write (default 60). */
  idleTimeout?: number;
  /** Seconds a new connection has to send a header that verifies (default 5). */
  authTimeout?: number;
  /** Caps on unauthenticated connections (default: 8 per address, 256 in all). */
  gate?: PreauthGate;
}

/**
 * The key of a client address in the gate (`null` for Unix peers: local, one key would
 * lump them). An IPv6 client counts by its /64, as in the server's per-address limits
 * (`ipv6Key`): one host has 2⁶⁴ addresses, and counting each apart would let it take
 * every unauthenticated slot.
 */
function addressKey(ctx: ConnectionContext): string | null {
  const remote = ctx.remote;
  return remote.family === 'unix' ? null : clientKey(remote);
}

/** Builds the stream handler over an engine. */
export function createExecStreamHandler(
  engine: ExecEngine,
  options: ExecStreamHandlerOptions = {},
): (conn: Socket, ctx: ConnectionContext) => Promise<void> {
  const idle = options.idleTimeout ?? 60;
  const authTimeout = options.authTimeout ?? 5;
  const gate = options.gate ?? new PreauthGate();
  return async (conn, ctx) => {
    const send = async (frame: ExecReplyFrame): Promise<void> => {
      await conn.sendAll(encodeReplyFrame(frame));
    };
    const key = addressKey(ctx);
    const refused = gate.acquire(key);
    if (refused !== null) {
      if (preauthChannel.hasSubscribers)
        preauthChannel.publish({ event: 'refused', remote: ctx.remote, reason: refused });
      await send(engine.refusal(new ExecRefusedError('ERR_EXEC_BUSY', refused), null)).catch(
        ignoreError('exec:refusal-send'),
      );
      return;
    }
    let unauthenticated = true;
    const authenticated = (): void => {
      if (!unauthenticated) return;
      unauthenticated = false;
      clearTimeout(deadline);
      gate.release(key);
      conn.setOperationTimeout(idle);
      if (preauthChannel.hasSubscribers)
        preauthChannel.publish({ event: 'authenticated', remote: ctx.remote });
    };
    const gone = new AbortController();
    const onGone = (): void => gone.abort();
    // However slowly the bytes come, a connection authenticates in time or is dropped.
    const deadline = setTimeout(() => {
      if (preauthChannel.hasSubscribers)
        preauthChannel.publish({ event: 'timeout', remote: ctx.remote });
      conn.destroy();
    }, authTimeout * 1000);
    conn.setOperationTimeout(authTimeout);
    conn.raw.once('close', onGone);
    ctx.signal.addEventListener('abort', onGone, { once: true });
    try {
      for (;;) {
        // The header's length. EOF here, between requests, is a normal end.
        let head = await conn.recv(4);
        if (head.length === 0) return;
        if (head[0] !== 0) {
          await conn.sendAll(NOT_EXEC_PROTOCOL_LINE);
          return;
        }
        if (head.length < 4) head = Buffer.concat([head, await conn.recvExactly(4 - head.length)]);
        const headerLength = head.readUInt32BE(0);
        if (headerLength > MAX_HEADER_LENGTH) {
          await send(
            engine.refusal(
              new ExecRefusedError(
                'ERR_EXEC_BAD_REQUEST',
                `request header of ${headerLength} bytes is over ${MAX_HEADER_LENGTH}: not a version 2 exec request`,
              ),
              null,
            ),
          );
          return;
        }
        let request: ExecRequest;
        try {
          const header = await engine.authenticateHeader(await conn.recvExactly(headerLength));
          authenticated();
          const bodyLength = (await conn.recvExactly(4)).readUInt32BE(0);
          if (bodyLength !== header.bodyLength)
            throw new ExecRefusedError(
              'ERR_EXEC_BAD_REQUEST',
              `body frame of ${bodyLength} bytes, the header said ${header.bodyLength}`,
            );
          request = engine.openBody(header, await conn.recvExactly(bodyLength));
        } catch (err) {
          if (!(err instanceof ExecRefusedError)) throw err;
          // A refused request ends the connection: no retries on a socket.
          await send(engine.refusal(err, null));
          return;
        }
        await engine.execute(request, send, gone.signal);
        if (gone.signal.aborted) return;
      }
    } catch {
      // The client went away or timed out: its command (if any) was killed above.
    } finally {
      clearTimeout(deadline);
      if (unauthenticated) {
        gate.release(key);
        if (preauthChannel.hasSubscribers)
          preauthChannel.publish({ event: 'closed', remote: ctx.remote });
      }
      conn.raw.off('close', onGone);
      ctx.signal.removeEventListener('abort', onGone);
      gone.abort();
    }
  };
}
