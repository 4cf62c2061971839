/**
 * Recognises another protocol's greeting in the first bytes of a connection to a
 * line-based service (chat, strftime over TCP), so that the service closes it without
 * acting on it: a port scanner's probes must not become chat lines, and a web page
 * must not be able to make a browser POST lines into the chat (the cross-protocol
 * attack IRC servers stop by closing connections that open with `POST `).
 *
 * ```
 *  16 03 xx …                              a TLS (or SSL 3) record: a ClientHello   → 'tls'
 *  GET /index.html HTTP/1.1\r\n             METHOD SP target SP HTTP/d.d             → 'http'
 *  OPTIONS sip:nm SIP/2.0\r\n               METHOD SP target SP PROTO/d.d (SIP, RTSP) → 'request-line'
 *  hello everyone\n                         anything else                            → null
 *  GET /ind                                 could still be a request line            → undefined
 * ```
 *
 * A request line is what RFC 9112 §3 (and SIP, RTSP) define: an upper-case method of
 * three or more letters, one space, a target without spaces, one space, a protocol
 * name and version. {@link ForeignProtocolGuard} applies the check to any
 * {@link Decoder} (strftime's `LineCodec`); the chat calls {@link detectForeignProtocol}
 * itself, on its first line.
 * @module
 */
import { ForeignProtocolError } from '../errors.js';
import type { ByteQueue, Decoder } from './codec.js';

/** What {@link detectForeignProtocol} recognised. */
export type ForeignProtocol = 'tls' | 'http' | 'request-line';

/** The longest request line looked at; a longer first line is not one. */
export const MAX_REQUEST_LINE = 8192;

const REQUEST_LINE_RE = /^[A-Z][A-Z_-]{2,23} [^\s]+ ([A-Z][A-Z0-9]{1,15})\/\d{1,2}\.\d{1,2}\r?$/;
/** A prefix that a request line could still grow from (no newline seen yet). */
const PREFIX_RE = /^[A-Z][A-Z_-]{0,23}(?: [^\s]*(?: [A-Z0-9/.]*\r?)?)?$/;

/**
 * Looks at a connection's first bytes.
 * @returns the protocol recognised, `null` when the bytes are not another protocol's
 *   greeting, or `undefined` when more bytes are needed to tell.
 */
export function detectForeignProtocol(head: Uint8Array): ForeignProtocol | null | undefined {
  if (head.length === 0) return undefined;
  if (head[0] === 0x16) {
    // A TLS handshake record: content type 22, then a 3.x record version.
    if (head.length < 2) return undefined;
    if (head[1] === 0x03) return 'tls';
  }
  const limit = Math.min(head.length, MAX_REQUEST_LINE);
  let nl = -1;
  for (let i = 0; i < limit; i += 1) {
    if (head[i] === 0x0a) {
      nl = i;
      break;
    }
  }
  const text = Buffer.from(head.buffer, head.byteOffset, nl === -1 ? limit : nl).toString('latin1');
  if (nl === -1) {
    return limit < MAX_REQUEST_LINE && PREFIX_RE.test(text) ? undefined : null;
  }
  const m = REQUEST_LINE_RE.exec(text);
  if (m === null) return null;
  return m[1] === 'HTTP' ? 'http' : 'request-line';
}

/**
 * A {@link Decoder} that first checks the connection's opening bytes with
 * {@link detectForeignProtocol}, then hands everything to `inner`. Use one guard per
 * connection (it checks once).
 * @throws {ForeignProtocolError} when the connection opens with another protocol.
 */
export class ForeignProtocolGuard<T> implements Decoder<T> {
  readonly inner: Decoder<T>;
  readonly maxHead: number;
  #checked = false;

  /**
   * @param inner the service's decoder.
   * @param maxHead the most bytes buffered while undecided (default: the request-line
   *   limit); past it the bytes are not a request line.
   */
  constructor(inner: Decoder<T>, maxHead = MAX_REQUEST_LINE) {
    this.inner = inner;
    this.maxHead = maxHead;
  }

  decode(buf: ByteQueue): T | null {
    if (!this.#checked && !this.#check(buf, false)) return null;
    return this.inner.decode(buf);
  }

  decodeEnd(buf: ByteQueue): T | null {
    if (!this.#checked) this.#check(buf, true);
    return this.inner.decodeEnd !== undefined ? this.inner.decodeEnd(buf) : this.inner.decode(buf);
  }

  /** @returns true once decided (and not foreign); false while more bytes are needed. */
  #check(buf: ByteQueue, atEnd: boolean): boolean {
    const n = Math.min(buf.length, this.maxHead);
    let verdict = detectForeignProtocol(buf.peek(n));
    if (verdict === undefined && atEnd && n > 0) {
      verdict = detectForeignProtocol(Buffer.concat([buf.peek(n), Buffer.from('\n')]));
    }
    if (verdict === undefined && !atEnd && buf.length < this.maxHead) return false;
    if (verdict !== undefined && verdict !== null) throw new ForeignProtocolError(verdict);
    this.#checked = true;
    return true;
  }
}
