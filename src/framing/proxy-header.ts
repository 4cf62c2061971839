/**
 * HAProxy's PROXY protocol header, versions 1 and 2 (haproxy's doc/proxy-protocol.txt):
 * the few bytes a proxy or load balancer sends before a relayed connection's data to say
 * whom it relays for. {@link encodeProxyHeader} writes one, {@link parseProxyHeader}
 * reads one incrementally from the first bytes of a connection.
 *
 * ```
 *  v1 (text, at most 107 bytes with its CRLF):
 *    PROXY TCP4 203.0.113.7 192.0.2.1 56324 443\r\n
 *    PROXY TCP6 2001:db8::7 2001:db8::1 56324 443\r\n
 *    PROXY UNKNOWN\r\n                       (anything up to the CRLF is ignored)
 *  v2 (binary):
 *    \r\n\r\n\0\r\nQUIT\n   12-byte signature
 *    0x2C                   version 2 (high nibble), command LOCAL 0 / PROXY 1
 *    0xFT                   family F: UNSPEC 0, INET 1, INET6 2, UNIX 3;
 *                           transport T: UNSPEC 0, STREAM 1, DGRAM 2
 *    len (u16 BE)           bytes that follow: the address block, then TLVs
 *    INET 12 B: src4 dst4 sport dport · INET6 36 B: src16 dst16 sport dport ·
 *    UNIX 216 B: src path[108] dst path[108] (NUL-padded) · UNSPEC 0 B ·
 *    then TLVs: type (u8) · length (u16 BE) · value, to the header's end (proxy-tlvs.ts)
 * ```
 *
 * The parser follows the spec's receiver rules: it never guesses (bytes that are not a
 * header's are an error, not data), a v1 line without its CRLF in the first 107 bytes
 * is an error, and a v2 header longer than `maxLength` (default
 * {@link DEFAULT_MAX_PROXY_HEADER_LENGTH}; the format allows 16 + 65 535) is refused as
 * soon as its length field is read, before the bytes arrive. A LOCAL command, an UNSPEC
 * family or a v1 UNKNOWN header carries no usable address: `source` is then null and the
 * receiver keeps the connection's own addresses. A v2 header's TLVs are read strictly
 * after the address block its family fixes (none for UNSPEC, as HAProxy writes a LOCAL
 * health check's): one that runs past the header, or a CRC32C that does not match, makes
 * the header malformed.
 * @module
 */
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidArgumentError, ProxyHeaderError } from '../errors.js';
import { checkInteger } from '../internal/check-option.js';
import { ipv6Groups } from '../internal/ipv6-groups.js';
import type { ByteQueue } from './codec.js';
import {
  encodeProxyTlvs,
  parseProxyTlvs,
  type ProxyTlvFields,
  type ProxyTlvs,
  sealProxyCrc,
} from './proxy-tlvs.js';

/**
 * An address a header names: the same shape as the socket layer's `PeerAddress` (a
 * host and port with its family, or a Unix socket path).
 */
export type ProxiedAddress =
  { family: 'IPv4' | 'IPv6'; address: string; port: number } | { family: 'unix'; path: string };

/** A parsed header. */
export interface ProxyHeader {
  readonly version: 1 | 2;
  /**
   * `proxy`: a relayed connection; `local`: one the proxy opened for itself (a health
   * check, v2 only): use the connection's own addresses.
   */
  readonly command: 'proxy' | 'local';
  /** v2's transport nibble; `stream` for v1 TCP4/TCP6, `unspec` for v1 UNKNOWN. */
  readonly transport: 'stream' | 'dgram' | 'unspec';
  /** The client the proxy relays for; null when the header names none (see the module comment). */
  readonly source: ProxiedAddress | null;
  /** The address the client connected to (the proxy's listening address). */
  readonly destination: ProxiedAddress | null;
  /** v2: the TLVs after the addresses, when it carried any but NOOP padding (a CRC32C verified). */
  readonly tlvs?: ProxyTlvs;
}

/** What {@link parseProxyHeader} found. */
export type ProxyHeaderParse =
  | { readonly status: 'more' }
  | { readonly status: 'done'; readonly header: ProxyHeader; readonly length: number };

/** Default largest header accepted (a v2 header with its TLVs): 4 KiB. */
export const DEFAULT_MAX_PROXY_HEADER_LENGTH = 4096;
/** The largest header the format allows: the 16-byte v2 head and a 65 535-byte body. */
export const MAX_PROXY_HEADER_LENGTH = 16 + 0xffff;
/** The longest v1 line, CRLF included (the spec's 107). */
export const MAX_PROXY_V1_LINE = 107;

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
const V2_HEAD = 16;
const UNIX_PATH_BYTES = 108;
const MORE: ProxyHeaderParse = Object.freeze({ status: 'more' });
const PORT_RE = /^(?:0|[1-9]\d{0,4})$/;

/**
 * Whether `bytes` (a connection's first bytes) start a PROXY header: true, false, or
 * undefined when too few bytes have arrived to tell (an empty buffer, `PRO`, `\r\n\r`).
 */
export function startsProxyHeader(bytes: Uint8Array | ByteQueue): boolean | undefined {
  const head = firstBytes(bytes, V2_SIGNATURE.length);
  const v1 = prefixMatch(head, V1_PREFIX);
  const v2 = prefixMatch(head, V2_SIGNATURE);
  if (v1 === true || v2 === true) return true;
  if (v1 === undefined || v2 === undefined) return undefined;
  return false;
}

/**
 * Reads a PROXY header (v1 or v2) from the start of `bytes`, which it does not consume:
 * on `done`, the first `length` bytes were the header and the rest is the connection's
 * data. `more`: call again with more bytes.
 * @param options.maxLength the largest header accepted (default
 *   {@link DEFAULT_MAX_PROXY_HEADER_LENGTH}, at most {@link MAX_PROXY_HEADER_LENGTH}).
 * @throws {ProxyHeaderError} when the bytes are not a valid header, or it is too long.
 */
export function parseProxyHeader(
  bytes: Uint8Array | ByteQueue,
  options: { maxLength?: number } = {},
): ProxyHeaderParse {
  const max =
    options.maxLength === undefined
      ? DEFAULT_MAX_PROXY_HEADER_LENGTH
      : checkInteger(options.maxLength, 'maxLength', V2_HEAD, MAX_PROXY_HEADER_LENGTH);
  const available = bytes.length;
  const head = firstBytes(bytes, V2_HEAD);
  const v2 = prefixMatch(head, V2_SIGNATURE);
  if (v2 === true) {
    if (head.length < V2_HEAD) return MORE;
    const total = V2_HEAD + ((head[14]! << 8) | head[15]!);
    checkV2Head(head, total, max);
    if (available < total) return MORE;
    return { status: 'done', header: parseV2(firstBytes(bytes, total)), length: total };
  }
  const v1 = prefixMatch(head, V1_PREFIX);
  if (v1 === false && v2 === false) {
    throw new ProxyHeaderError('the connection does not start with a PROXY protocol header');
  }
  if (v1 !== true) return MORE;
  const line = firstBytes(bytes, Math.min(available, MAX_PROXY_V1_LINE, max));
  const lf = line.indexOf(0x0a);
  if (lf === -1) {
    if (line.length >= Math.min(MAX_PROXY_V1_LINE, max)) {
      throw new ProxyHeaderError(
        `PROXY v1 header: no CRLF in its first ${line.length} bytes (at most ${MAX_PROXY_V1_LINE})`,
      );
    }
    return MORE;
  }
  if (lf === 0 || line[lf - 1] !== 0x0d) {
    throw new ProxyHeaderError('PROXY v1 header: its line ends without CRLF');
  }
  return {
    status: 'done',
    header: parseV1(line.toString('latin1', 0, lf - 1)),
    length: lf + 1,
  };
}

/** What {@link encodeProxyHeader} writes. */
export interface ProxyHeaderFields {
  /** `proxy` (default) or `local` (v2 only: a connection of the proxy's own; v1 writes UNKNOWN). */
  command?: 'proxy' | 'local';
  /** The client relayed for; null or absent: unknown (v1 UNKNOWN, v2 family UNSPEC). */
  source?: ProxiedAddress | null;
  /** The address the client connected to; needed with `source`. */
  destination?: ProxiedAddress | null;
  /** v2's transport: `stream` (default; TCP) or `dgram` (UDP). v1 can say only TCP. */
  transport?: 'stream' | 'dgram';
  /** v2 only: TLVs to add after the addresses (AUTHORITY, ALPN, …, a CRC32C). */
  tlvs?: ProxyTlvFields;
}

/**
 * Writes a PROXY header. An IPv4 address beside an IPv6 one is written as its
 * IPv4-mapped IPv6 form (both must share a family); Unix addresses need v2 (v1 writes
 * UNKNOWN for them, the spec's choice for what v1 cannot say).
 * @throws {InvalidArgumentError} for an address that is not an IP literal and port, a
 *   Unix path longer than 108 bytes, TLVs or a `dgram` transport with v1, or TLVs that
 *   do not fit the header's 65 535-byte body.
 */
export function encodeProxyHeader(version: 1 | 2, fields: ProxyHeaderFields = {}): Buffer {
  if (version !== 1 && version !== 2) {
    throw new InvalidArgumentError(`PROXY protocol version must be 1 or 2, got ${String(version)}`);
  }
  const command = fields.command ?? 'proxy';
  if (command !== 'proxy' && command !== 'local') {
    throw new InvalidArgumentError(`command must be 'proxy' or 'local', got ${String(command)}`);
  }
  const transport = fields.transport ?? 'stream';
  if (transport !== 'stream' && transport !== 'dgram') {
    throw new InvalidArgumentError(
      `transport must be 'stream' or 'dgram', got ${String(transport)}`,
    );
  }
  if (version === 1 && (fields.tlvs !== undefined || transport !== 'stream')) {
    throw new InvalidArgumentError(
      'PROXY v1 carries neither TLVs nor a datagram transport: use v2',
    );
  }
  const pair =
    command === 'local' ? null : addressPair(fields.source ?? null, fields.destination ?? null);
  return version === 1 ? encodeV1(pair) : encodeV2(command, pair, transport, fields.tlvs);
}

type AddressPair =
  | { family: 'IPv4' | 'IPv6'; src: string; dst: string; sport: number; dport: number }
  | { family: 'unix'; src: string; dst: string };

function addressPair(
  source: ProxiedAddress | null,
  destination: ProxiedAddress | null,
): AddressPair | null {
  if (source === null || destination === null) return null;
  if (source.family === 'unix' || destination.family === 'unix') {
    if (source.family !== 'unix' || destination.family !== 'unix') return null;
    for (const path of [source.path, destination.path]) {
      if (typeof path !== 'string' || Buffer.byteLength(path) > UNIX_PATH_BYTES) {
        throw new InvalidArgumentError(
          `a PROXY header's Unix path must be a string of at most ${UNIX_PATH_BYTES} bytes`,
        );
      }
    }
    return { family: 'unix', src: source.path, dst: destination.path };
  }
  for (const a of [source, destination]) {
    checkInteger(a.port, 'PROXY header port', 0, 65535);
    if (!isIPv4(a.address) && !(isIPv6(a.address) && !a.address.includes('%'))) {
      throw new InvalidArgumentError(
        `a PROXY header's address must be an IP literal, got ${JSON.stringify(a.address)}`,
      );
    }
  }
  const v6 = isIPv6(source.address) || isIPv6(destination.address);
  const as6 = (address: string): string =>
    isIPv4(address) ? `::ffff:${address}` : formatIPv6(ipv6Groups(address)!);
  return {
    family: v6 ? 'IPv6' : 'IPv4',
    src: v6 ? as6(source.address) : source.address,
    dst: v6 ? as6(destination.address) : destination.address,
    sport: source.port,
    dport: destination.port,
  };
}

function encodeV1(pair: AddressPair | null): Buffer {
  if (pair === null || pair.family === 'unix') return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  const proto = pair.family === 'IPv4' ? 'TCP4' : 'TCP6';
  return Buffer.from(
    `PROXY ${proto} ${pair.src} ${pair.dst} ${pair.sport} ${pair.dport}\r\n`,
    'latin1',
  );
}

function encodeV2(
  command: 'proxy' | 'local',
  pair: AddressPair | null,
  transport: 'stream' | 'dgram',
  tlvFields: ProxyTlvFields | undefined,
): Buffer {
  const addresses =
    pair === null ? 0 : pair.family === 'IPv4' ? 12 : pair.family === 'IPv6' ? 36 : 216;
  const tlvs = tlvFields === undefined ? null : encodeProxyTlvs(tlvFields);
  const body = addresses + (tlvs === null ? 0 : tlvs.bytes.length);
  if (body > 0xffff) {
    throw new InvalidArgumentError(
      `a PROXY v2 header's addresses and TLVs take ${body} bytes (at most 65535)`,
    );
  }
  const out = Buffer.alloc(V2_HEAD + body);
  V2_SIGNATURE.copy(out, 0);
  out[12] = command === 'local' ? 0x20 : 0x21;
  // Family in the high nibble, STREAM (1) or DGRAM (2) in the low one; UNSPEC/UNSPEC
  // when unknown.
  const low = transport === 'dgram' ? 0x02 : 0x01;
  out[13] =
    pair === null
      ? 0x00
      : (pair.family === 'IPv4' ? 0x10 : pair.family === 'IPv6' ? 0x20 : 0x30) | low;
  out.writeUInt16BE(body, 14);
  if (tlvs !== null) {
    tlvs.bytes.copy(out, V2_HEAD + addresses);
    if (tlvs.crcAt !== -1) {
      // Sealed last: the checksum covers every other byte of the header.
      writeAddresses(out, pair);
      sealProxyCrc(out, V2_HEAD + addresses + tlvs.crcAt);
      return out;
    }
  }
  writeAddresses(out, pair);
  return out;
}

function writeAddresses(out: Buffer, pair: AddressPair | null): void {
  if (pair === null) return;
  if (pair.family === 'unix') {
    out.write(pair.src, V2_HEAD, UNIX_PATH_BYTES, 'utf8');
    out.write(pair.dst, V2_HEAD + UNIX_PATH_BYTES, UNIX_PATH_BYTES, 'utf8');
    return;
  }
  const size = pair.family === 'IPv4' ? 4 : 16;
  ipBytes(pair.src, size).copy(out, V2_HEAD);
  ipBytes(pair.dst, size).copy(out, V2_HEAD + size);
  out.writeUInt16BE(pair.sport, V2_HEAD + 2 * size);
  out.writeUInt16BE(pair.dport, V2_HEAD + 2 * size + 2);
}

function ipBytes(address: string, size: 4 | 16): Buffer {
  if (size === 4) return Buffer.from(address.split('.').map(Number));
  const out = Buffer.alloc(16);
  ipv6Groups(address)!.forEach((g, i) => out.writeUInt16BE(g, 2 * i));
  return out;
}

function checkV2Head(head: Buffer, total: number, max: number): void {
  const version = head[12]! >> 4;
  const command = head[12]! & 0x0f;
  if (version !== 2) {
    throw new ProxyHeaderError(`PROXY v2 header: version ${version}, not 2`);
  }
  if (command > 1) {
    throw new ProxyHeaderError(`PROXY v2 header: unknown command ${command}`);
  }
  const family = head[13]! >> 4;
  const transport = head[13]! & 0x0f;
  if (family > 3 || transport > 2) {
    throw new ProxyHeaderError(
      `PROXY v2 header: unknown address family/transport byte 0x${head[13]!.toString(16).padStart(2, '0')}`,
    );
  }
  if (total > max) {
    throw new ProxyHeaderError(
      `PROXY v2 header of ${total} bytes exceeds the limit of ${max} bytes`,
    );
  }
}

function parseV2(h: Buffer): ProxyHeader {
  const command = (h[12]! & 0x0f) === 0 ? 'local' : 'proxy';
  const family = h[13]! >> 4;
  const transportNibble = h[13]! & 0x0f;
  const transport = transportNibble === 1 ? 'stream' : transportNibble === 2 ? 'dgram' : 'unspec';
  const bodyLength = h.length - V2_HEAD;
  const need = family === 1 ? 12 : family === 2 ? 36 : family === 3 ? 216 : 0;
  if (bodyLength < need) {
    throw new ProxyHeaderError(
      `PROXY v2 header: ${bodyLength} bytes of addresses, family ${family} needs ${need}`,
    );
  }
  const tlvs = parseProxyTlvs(h, V2_HEAD + need);
  const extra = tlvs === null ? {} : { tlvs };
  // LOCAL: the addresses (if any) are to be ignored; UNSPEC: there are none.
  if (command === 'local' || family === 0) {
    return { version: 2, command, transport, source: null, destination: null, ...extra };
  }
  const at = V2_HEAD;
  if (family === 3) {
    return {
      version: 2,
      command,
      transport,
      source: { family: 'unix', path: unixPath(h, at) },
      destination: { family: 'unix', path: unixPath(h, at + UNIX_PATH_BYTES) },
      ...extra,
    };
  }
  const size = family === 1 ? 4 : 16;
  const ip = (offset: number): string =>
    size === 4
      ? `${h[offset]}.${h[offset + 1]}.${h[offset + 2]}.${h[offset + 3]}`
      : formatIPv6(Array.from({ length: 8 }, (_, i) => h.readUInt16BE(offset + 2 * i)));
  const fam = size === 4 ? 'IPv4' : 'IPv6';
  return {
    version: 2,
    command,
    transport,
    source: { family: fam, address: ip(at), port: h.readUInt16BE(at + 2 * size) },
    destination: { family: fam, address: ip(at + size), port: h.readUInt16BE(at + 2 * size + 2) },
    ...extra,
  };
}

function unixPath(h: Buffer, at: number): string {
  const end = h.indexOf(0, at);
  const stop = end === -1 || end > at + UNIX_PATH_BYTES ? at + UNIX_PATH_BYTES : end;
  return h.toString('utf8', at, stop);
}

/** `PROXY TCP4 src dst sport dport` (the line without its CRLF). */
function parseV1(line: string): ProxyHeader {
  const parts = line.split(' ');
  const proto = parts[1];
  if (proto === 'UNKNOWN') {
    return { version: 1, command: 'proxy', transport: 'unspec', source: null, destination: null };
  }
  if ((proto !== 'TCP4' && proto !== 'TCP6') || parts.length !== 6) {
    throw new ProxyHeaderError(
      'PROXY v1 header: expected "PROXY TCP4|TCP6 <src> <dst> <sport> <dport>" or "PROXY UNKNOWN"',
    );
  }
  const [, , src, dst, sport, dport] = parts as [string, string, string, string, string, string];
  const v4 = proto === 'TCP4';
  const valid = (a: string): boolean => (v4 ? isIPv4(a) : isIPv6(a) && !a.includes('%'));
  if (!valid(src) || !valid(dst)) {
    throw new ProxyHeaderError(`PROXY v1 header: an address is not an ${proto} address`);
  }
  const port = (p: string): number => {
    const n = PORT_RE.test(p) ? Number(p) : Number.NaN;
    if (!(n <= 65535)) throw new ProxyHeaderError('PROXY v1 header: a port is not 0…65535');
    return n;
  };
  const norm = (a: string): string => (v4 ? a : formatIPv6(ipv6Groups(a)!));
  const family = v4 ? 'IPv4' : 'IPv6';
  return {
    version: 1,
    command: 'proxy',
    transport: 'stream',
    source: { family, address: norm(src), port: port(sport) },
    destination: { family, address: norm(dst), port: port(dport) },
  };
}

/**
 * An IPv6 address's canonical text (RFC 5952): lower-case hex, the longest run of two or
 * more zero groups as `::`, an IPv4-mapped address as `::ffff:a.b.c.d`.
 */
function formatIPv6(groups: readonly number[]): string {
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const hi = groups[6]!;
    const lo = groups[7]!;
    return `::ffff:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  let bestAt = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestAt = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt === -1) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLength).join(':')}`;
}

/** The first `n` bytes of `bytes` (fewer when it holds fewer), as a Buffer. */
function firstBytes(bytes: Uint8Array | ByteQueue, n: number): Buffer {
  const take = Math.min(n, bytes.length);
  if (bytes instanceof Uint8Array) {
    return Buffer.from(bytes.buffer, bytes.byteOffset, take);
  }
  return bytes.peek(take);
}

/** True: `head` starts with `prefix`; undefined: `head` is a prefix of it; false: neither. */
function prefixMatch(head: Uint8Array, prefix: Uint8Array): boolean | undefined {
  const n = Math.min(head.length, prefix.length);
  for (let i = 0; i < n; i++) if (head[i] !== prefix[i]) return false;
  return head.length >= prefix.length ? true : undefined;
}
