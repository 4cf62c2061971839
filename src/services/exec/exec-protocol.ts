/**
 * The wire format of the `exec` service (seeds S5/S8, done safely), version 2.
 *
 * A request is two length-prefixed frames: a small signed **header**, then the **body**
 * (the arguments) whose length and SHA-256 the header carries. The server reads at most
 * {@link MAX_HEADER_LENGTH} bytes before it has checked the MAC, so an unauthenticated
 * client can make it buffer no more than that; the body is read only once the header
 * verified, and must hash to what the header says.
 *
 * ```
 *  +----------+---------------------+----------+---------------------------+
 *  | length   | header (JSON)       | length   | body (JSON array of args) |
 *  | u32 BE   | <= 4096 bytes       | u32 BE   | = header.bodyLength bytes |
 *  +----------+---------------------+----------+---------------------------+
 *
 * header = {"v":2,"id":"r1","command":"echo","nonce":"<32 hex>","ts":1700000000000,
 *           "bodyLength":6,"bodyHash":"<64 hex sha256 of the body>","mac":"<64 hex>"}
 * body   = ["hi"]
 * mac    = hex(HMAC-SHA256(secret, "socketkit-exec-v2\n" +
 *              JSON.stringify([v, id, command, nonce, ts, bodyLength, bodyHash])))
 * ```
 *
 * Over UDP the same two frames travel concatenated in one datagram.
 *
 * Every reply is a frame whose payload starts with a type byte:
 *
 * ```
 *  +----------+------+-----------------------------+
 *  | length   | type | body                        |   length = 1 + body bytes
 *  | u32 BE   | u8   |                             |
 *  +----------+------+-----------------------------+
 *   type 0x01 stdout bytes, as the command wrote them
 *   type 0x02 stderr bytes
 *   type 0x03 end   JSON {"id","exit","signal","truncated","timedOut"}   (last frame)
 *   type 0x04 error JSON {"id","code","message"}                         (last frame)
 * ```
 *
 * Because every frame is far below 16 MiB, a request always starts with a 0x00 byte:
 * anything else (a tutorial client sending `dir`) is answered with one plain-text line.
 * @module
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LengthPrefixedCodec } from '../../framing/length-prefixed.js';

/** Protocol version carried in `v` (2: signed header + hashed body). */
export const EXEC_PROTOCOL_VERSION = 2;
/** The unprivileged port `socketkit serve exec` uses by default. */
export const EXEC_DEFAULT_PORT = 7512;
/** Largest header frame payload: all a server reads before the MAC is checked. */
export const MAX_HEADER_LENGTH = 4096;
/** Domain separation: a MAC made for another protocol (or v1) can never verify here. */
const MAC_CONTEXT = 'socketkit-exec-v2\n';

/** Reply frame types (the first payload byte). */
export const ReplyType = { stdout: 1, stderr: 2, end: 3, error: 4 } as const;

/** The signed header of a request, as sent. */
export interface ExecRequestHeader {
  v: number;
  /** Chosen by the client, echoed in the reply (<= 64 characters). */
  id: string;
  /** A name from the server's allowlist, never a path or a command line. */
  command: string;
  /** Random, used once (16-128 characters). */
  nonce: string;
  /** The client's clock, ms since the epoch. */
  ts: number;
  /** Bytes of the body frame that follows. */
  bodyLength: number;
  /** Hex SHA-256 of the body. */
  bodyHash: string;
  /** Hex HMAC-SHA256 of {@link canonicalHeader}. */
  mac: string;
}

/** A signed request ready to send: its header and body. */
export interface SignedRequest {
  header: ExecRequestHeader;
  /** UTF-8 JSON array of the arguments. */
  body: Buffer;
}

/** An authenticated request, as the server runs it. */
export interface ExecRequest {
  id: string;
  command: string;
  args: string[];
  nonce: string;
  ts: number;
}

/** The last frame of a successful run. */
export interface ExecEnd {
  id: string;
  /** The exit code, or `null` when a signal ended the command. */
  exit: number | null;
  signal: string | null;
  /** True when the output passed the server's `maxOutput` and the rest was dropped. */
  truncated: boolean;
  /** True when the server killed the command at its timeout. */
  timedOut: boolean;
}

/** The last frame of a refused request. */
export interface ExecErrorReply {
  id: string | null;
  /** A stable `ERR_EXEC_*` code (see docs/exec.md). */
  code: string;
  message: string;
}

/** One decoded reply frame. */
export type ExecReplyFrame =
  | { type: 'stdout' | 'stderr'; data: Buffer }
  | { type: 'end'; end: ExecEnd }
  | { type: 'error'; error: ExecErrorReply };

/** The bytes the MAC covers. */
export function canonicalHeader(h: Omit<ExecRequestHeader, 'mac'>): string {
  return (
    MAC_CONTEXT + JSON.stringify([h.v, h.id, h.command, h.nonce, h.ts, h.bodyLength, h.bodyHash])
  );
}

/** The hex MAC of a header under `secret`. */
export function headerMac(secret: Uint8Array, h: Omit<ExecRequestHeader, 'mac'>): string {
  return createHmac('sha256', secret).update(canonicalHeader(h), 'utf8').digest('hex');
}

/** True when `h.mac` is the header's MAC; compares in constant time. */
export function verifyMac(secret: Uint8Array, h: ExecRequestHeader): boolean {
  const want = Buffer.from(headerMac(secret, h), 'hex');
  const got = /^[0-9a-f]{64}$/i.test(h.mac) ? Buffer.from(h.mac, 'hex') : Buffer.alloc(0);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Hex SHA-256 of a request body. */
export function bodyHash(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * Builds a signed request.
 * @example
 * ```ts
 * const req = signRequest(secret, 'echo', ['hello']);
 * await sock.sendAll(encodeRequest(req));
 * ```
 */
export function signRequest(
  secret: Uint8Array,
  command: string,
  args: readonly string[],
  options: { id?: string; now?: number; nonce?: string } = {},
): SignedRequest {
  const body = Buffer.from(JSON.stringify(args), 'utf8');
  const unsigned = {
    v: EXEC_PROTOCOL_VERSION,
    id: options.id ?? randomBytes(6).toString('hex'),
    command,
    nonce: options.nonce ?? randomBytes(16).toString('hex'),
    ts: Math.round(options.now ?? Date.now()),
    bodyLength: body.length,
    bodyHash: bodyHash(body),
  };
  return { header: { ...unsigned, mac: headerMac(secret, unsigned) }, body };
}

/** A frame: 4-byte big-endian length, then the payload. */
export function lengthPrefixed(payload: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length);
  return Buffer.concat([head, payload]);
}

/** The bytes of a request on the wire: the header frame, then the body frame. */
export function encodeRequest(request: SignedRequest): Buffer {
  return Buffer.concat([
    lengthPrefixed(Buffer.from(JSON.stringify(request.header), 'utf8')),
    lengthPrefixed(request.body),
  ]);
}

/** A length-prefixed codec for requests or replies, bounded by `maxFrameLength`. */
export function execCodec(maxFrameLength: number): LengthPrefixedCodec {
  return new LengthPrefixedCodec({ maxFrameLength, discardOnOverflow: false });
}

/** Encodes one reply frame's payload (without the length header). */
export function encodeReplyPayload(frame: ExecReplyFrame): Buffer {
  switch (frame.type) {
    case 'stdout':
    case 'stderr':
      return Buffer.concat([Buffer.of(ReplyType[frame.type]), frame.data]);
    case 'end':
      return Buffer.concat([Buffer.of(ReplyType.end), Buffer.from(JSON.stringify(frame.end))]);
    case 'error':
      return Buffer.concat([Buffer.of(ReplyType.error), Buffer.from(JSON.stringify(frame.error))]);
  }
}

/** Encodes one reply frame with its 4-byte length header. */
export function encodeReplyFrame(frame: ExecReplyFrame): Buffer {
  const payload = encodeReplyPayload(frame);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}

/**
 * Decodes one reply frame's payload.
 * @throws {Error} on an unknown type or bad JSON (the caller wraps it).
 */
export function decodeReplyPayload(payload: Buffer): ExecReplyFrame {
  const type = payload[0];
  const body = payload.subarray(1);
  if (type === ReplyType.stdout) return { type: 'stdout', data: body };
  if (type === ReplyType.stderr) return { type: 'stderr', data: body };
  if (type === ReplyType.end)
    return { type: 'end', end: JSON.parse(body.toString('utf8')) as ExecEnd };
  if (type === ReplyType.error)
    return { type: 'error', error: JSON.parse(body.toString('utf8')) as ExecErrorReply };
  throw new Error(`unknown reply frame type ${String(type)}`);
}
