/**
 * The UDP (and Unix datagram) side of the exec service (seed S8): one authenticated
 * request per datagram (the header frame and the body frame, concatenated; the header
 * is authenticated before the body is looked at); the whole reply (bounded by `maxOutput`) is collected, then
 * sent as numbered chunks (udp-chunks.ts). A per-client token bucket limits how often
 * a source address is answered at all, so the service cannot be used to flood a
 * spoofed victim: an unauthenticated datagram gets at most one short error line back.
 * @module
 */
import { clientKey } from '../../server/address-limits.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { DatagramContext } from '../../server/handler-types.js';
import { RateLimiter } from '../../internal/rate-limiter.js';
import type { ExecEngine } from './exec-engine.js';
import { ExecRefusedError } from './exec-error.js';
import {
  type ExecReplyFrame,
  type ExecRequest,
  encodeReplyFrame,
  MAX_HEADER_LENGTH,
} from './exec-protocol.js';
import { chunkReply } from './udp-chunks.js';

/** Options of {@link createExecDatagramHandler}. */
export interface ExecDatagramHandlerOptions {
  /** Requests per second answered per client address (default 2). */
  rate?: number;
  /** Requests a client may send back to back (default 10). */
  burst?: number;
}

/** What a datagram that is not a request gets back (plain text, like the seed's replies). */
export const NOT_EXEC_DATAGRAM =
  'socketkit exec: refused: not an authenticated exec request (see docs/exec.md)\n';

/** Datagrams sent before yielding to the event loop, so one big reply cannot hog it. */
const BATCH = 32;

/** Builds the datagram handler over an engine. */
export function createExecDatagramHandler(
  engine: ExecEngine,
  options: ExecDatagramHandlerOptions = {},
): { handler: (packet: Buffer, ctx: DatagramContext) => Promise<void>; limiter: RateLimiter } {
  const limiter = new RateLimiter({ rate: options.rate ?? 2, burst: options.burst ?? 10 });
  const handler = async (packet: Buffer, ctx: DatagramContext): Promise<void> => {
    const verdict = limiter.take(clientKey(ctx.remote));
    if (verdict === 'drop') return;
    if (verdict === 'kiss') {
      await sendFrames(ctx, '', [
        engine.refusal(
          new ExecRefusedError('ERR_EXEC_RATE_LIMITED', 'rate limited: slow down'),
          null,
        ),
      ]);
      return;
    }
    if (packet[0] !== 0) {
      await ctx.reply(NOT_EXEC_DATAGRAM);
      return;
    }
    let request: ExecRequest;
    try {
      request = await openDatagram(engine, packet, ctx.truncated);
    } catch (err) {
      await sendFrames(ctx, '', [engine.refusal(err, null)]);
      return;
    }
    const frames: ExecReplyFrame[] = [];
    await engine.execute(
      request,
      (f) => {
        frames.push(f);
      },
      ctx.signal,
    );
    await sendFrames(ctx, request.id, frames);
  };
  return { handler, limiter };
}

/** Splits a request datagram into its header and body frames and authenticates them. */
async function openDatagram(
  engine: ExecEngine,
  packet: Buffer,
  truncated: boolean,
): Promise<ExecRequest> {
  const bad = (why: string): ExecRefusedError => new ExecRefusedError('ERR_EXEC_BAD_REQUEST', why);
  if (truncated) throw bad('request does not fit in one datagram: use TCP');
  const headerLength = packet.length >= 4 ? packet.readUInt32BE(0) : Infinity;
  if (headerLength > MAX_HEADER_LENGTH || 4 + headerLength > packet.length)
    throw bad('not a version 2 exec request (a header frame of at most 4096 bytes, then the body)');
  const header = await engine.authenticateHeader(packet.subarray(4, 4 + headerLength));
  const rest = packet.subarray(4 + headerLength);
  const bodyLength = rest.length >= 4 ? rest.readUInt32BE(0) : -1;
  if (bodyLength !== header.bodyLength || rest.length !== 4 + bodyLength)
    throw bad(`the body frame is not the ${header.bodyLength} bytes the header said`);
  return engine.openBody(header, rest.subarray(4));
}

async function sendFrames(
  ctx: DatagramContext,
  id: string,
  frames: ExecReplyFrame[],
): Promise<void> {
  const body = Buffer.concat(frames.map(encodeReplyFrame));
  const datagrams = chunkReply(id, body);
  for (let i = 0; i < datagrams.length; i++) {
    if (ctx.signal.aborted) return;
    await ctx.reply(datagrams[i] as Buffer);
    if ((i + 1) % BATCH === 0) await yieldToLoop();
  }
}
