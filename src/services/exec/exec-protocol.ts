/**
 * The wire format of the `exec` service (seeds S5/S8, done safely).
 *
 * A request is one JSON object, signed with HMAC-SHA256 under a shared secret:
 *
 * ```
 * {"v":1,"id":"r1","command":"echo","args":["hi"],"nonce":"<32 hex>","ts":1700000000000,"mac":"<64 hex>"}
 *
 * mac = hex(HMAC-SHA256(secret, "socketkit-exec-v1\n" + JSON.stringify([v, id, command, args, nonce, ts])))
 * ```
 *
 * Over TCP every message travels in a frame with a 4-byte big-endian length; the
 * payload of a reply frame starts with a type byte:
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
 * Requests are frames too (the JSON is the whole payload, no type byte). Because the
 * request limit is far below 16 MiB, a request frame always starts with a 0x00 byte:
 * anything else (a tutorial client sending `dir`) is answered with one plain-text line.
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LengthPrefixedCodec } from '../../framing/length-prefixed.js';

/** Protocol version carried in `v`. */
export const EXEC_PROTOCOL_VERSION = 1;
/** The unprivileged port `socketkit serve exec` uses by default. */
export const EXEC_DEFAULT_PORT = 7512;
/** Domain separation: a MAC made for another protocol can never verify here. */
const MAC_CONTEXT = 'socketkit-exec-v1\n';

/** Reply frame types (the first payload byte). */
export const ReplyType = { stdout: 1, stderr: 2, end: 3, error: 4 } as const;

/** A signed request, as sent. */
export interface ExecRequest {
  v: number;
  /** Chosen by the client, echoed in the reply (≤ 64 characters). */
  id: string;
  /** A name from the server's allowlist, never a path or a command line. */
  command: string;
  args: string[];
  /** Random, used once (16–128 characters). */
  nonce: string;
  /** The client's clock, ms since the epoch. */
  ts: number;
  /** Hex HMAC-SHA256 of {@link canonicalRequest}. */
  mac: string;
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
export function canonicalRequest(r: Omit<ExecRequest, 'mac'>): string {
  return MAC_CONTEXT + JSON.stringify([r.v, r.id, r.command, r.args, r.nonce, r.ts]);
}

/** The hex MAC of a request under `secret`. */
export function requestMac(secret: Uint8Array, r: Omit<ExecRequest, 'mac'>): string {
  return createHmac('sha256', secret).update(canonicalRequest(r), 'utf8').digest('hex');
}

/** True when `mac` is the request's MAC; compares in constant time. */
export function verifyMac(secret: Uint8Array, r: ExecRequest): boolean {
  const want = Buffer.from(requestMac(secret, r), 'hex');
  const got = /^[0-9a-f]{64}$/i.test(r.mac) ? Buffer.from(r.mac, 'hex') : Buffer.alloc(0);
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * Builds a signed request.
 * @example
 * ```ts
 * const req = signRequest(secret, 'echo', ['hello']);
 * await sock.sendFrame(new LengthPrefixedCodec(), JSON.stringify(req));
 * ```
 */
export function signRequest(
  secret: Uint8Array,
  command: string,
  args: readonly string[],
  options: { id?: string; now?: number } = {},
): ExecRequest {
  const unsigned = {
    v: EXEC_PROTOCOL_VERSION,
    id: options.id ?? randomBytes(6).toString('hex'),
    command,
    args: [...args],
    nonce: randomBytes(16).toString('hex'),
    ts: Math.round(options.now ?? Date.now()),
  };
  return { ...unsigned, mac: requestMac(secret, unsigned) };
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
  if (type === ReplyType.end) return { type: 'end', end: JSON.parse(body.toString('utf8')) };
  if (type === ReplyType.error) return { type: 'error', error: JSON.parse(body.toString('utf8')) };
  throw new Error(`unknown reply frame type ${String(type)}`);
}
