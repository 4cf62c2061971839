/**
 * The strict parser of a proxy request's head (RFC 9112 §3, §5): the request line and
 * the header fields, already cut at the blank line (`recvUntil('\r\n\r\n')`, bounded by
 * `--max-header-bytes`). Anything a lenient parser would have to guess about is refused,
 * because a proxy and the server behind it that guess differently disagree about where a
 * request ends (request smuggling):
 *
 * - lines end in CRLF; a bare CR or LF, a NUL or another control character → 400
 * - a line starting with a space or tab (obs-fold) → 400; whitespace before a colon → 400
 * - both Content-Length and Transfer-Encoding, more than one Content-Length, a
 *   Content-Length that is not digits, a Transfer-Encoding other than `chunked` → 400
 * - more than `--max-headers` fields → 431
 * @module
 */

/** A refusal with its HTTP status (400, 411, 431 …). */
export class HttpRefusal extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** A parsed request head. Header names are lower-cased; values are trimmed. */
export interface RequestHead {
  method: string;
  target: string;
  /** `1.0` or `1.1`. */
  version: '1.0' | '1.1';
  headers: [string, string][];
  /** The body's framing: none, `length` bytes, or chunked. */
  body: { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/1\.([01])$/;
/** Field values: visible characters, space, tab and obs-text; never CR, LF, NUL or controls. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Parses `head` (latin1 text, without the final blank line).
 * @throws {HttpRefusal} 400 or 431, with what was wrong.
 */
export function parseRequestHead(head: string, maxHeaders: number): RequestHead {
  const lines = head.split('\r\n');
  const requestLine = lines[0] ?? '';
  const m = REQUEST_LINE.exec(requestLine);
  if (m === null) throw new HttpRefusal(400, 'malformed request line');
  if (lines.length - 1 > maxHeaders) {
    throw new HttpRefusal(431, `more than ${maxHeaders} header fields`);
  }
  const headers: [string, string][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith(' ') || line.startsWith('\t')) {
      throw new HttpRefusal(400, 'obsolete line folding');
    }
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HttpRefusal(400, 'malformed header field');
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_VALUE.test(value)) throw new HttpRefusal(400, 'control character in a header field');
    headers.push([name.toLowerCase(), value]);
  }
  return {
    method: m[1]!,
    target: m[2]!,
    version: m[3] === '0' ? '1.0' : '1.1',
    headers,
    body: bodyFraming(headers),
  };
}

function bodyFraming(headers: [string, string][]): RequestHead['body'] {
  const lengths = headers.filter(([n]) => n === 'content-length');
  const codings = headers.filter(([n]) => n === 'transfer-encoding');
  if (lengths.length > 0 && codings.length > 0) {
    throw new HttpRefusal(400, 'both Content-Length and Transfer-Encoding');
  }
  if (lengths.length > 1) throw new HttpRefusal(400, 'more than one Content-Length');
  if (lengths.length === 1) {
    const raw = lengths[0]![1];
    if (!/^\d{1,15}$/.test(raw)) throw new HttpRefusal(400, 'malformed Content-Length');
    const length = Number(raw);
    return length === 0 ? { kind: 'none' } : { kind: 'length', length };
  }
  if (codings.length > 0) {
    const all = codings
      .flatMap(([, v]) => v.split(','))
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== '');
    // Only plain `chunked` is forwarded: any other coding would have to be understood here
    // to find the body's end.
    if (all.length !== 1 || all[0] !== 'chunked') {
      throw new HttpRefusal(400, 'unsupported Transfer-Encoding');
    }
    return { kind: 'chunked' };
  }
  return { kind: 'none' };
}

/** The first value of header `name` (lower-case), or undefined. */
export function headerValue(head: RequestHead, name: string): string | undefined {
  return head.headers.find(([n]) => n === name)?.[1];
}

/**
 * The host and port of an authority (`host:port`, `[v6]:port`), as CONNECT names it.
 * @throws {HttpRefusal} 400 when it is not one.
 */
export function parseAuthority(authority: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_.-]+)):(\d{1,5})$/.exec(authority);
  const port = m === null ? 0 : Number(m[3]);
  if (m === null || port < 1 || port > 65535) {
    throw new HttpRefusal(400, 'CONNECT needs host:port');
  }
  return { host: m[1] ?? m[2]!, port };
}
