/**
 * The TLVs after a PROXY v2 header's addresses (haproxy's doc/proxy-protocol.txt, 2.2.x):
 * what the proxy knew about the connection beyond its addresses.
 *
 * ```
 *  TLV:      type (u8) · length (u16 BE) · value[length]      ... repeated to the header's end
 *  0x01 ALPN       the negotiated application protocol ("h2")
 *  0x02 AUTHORITY  the host name the client asked for (TLS SNI), UTF-8
 *  0x03 CRC32C     u32 BE: CRC-32C of the whole header with these 4 bytes zeroed
 *  0x04 NOOP       padding, ignored
 *  0x05 UNIQUE_ID  an opaque id of the connection, at most 128 bytes
 *  0x20 SSL        client (u8 bit field) · verify (u32 BE, 0 = certificate verified) ·
 *                  sub-TLVs: 0x21 VERSION, 0x22 CN, 0x23 CIPHER, 0x24 SIG_ALG, 0x25 KEY_ALG
 *  0x30 NETNS      the network namespace the connection was accepted in, US-ASCII
 * ```
 *
 * Strict, as a receiver of forwarded identity must be: a TLV that runs past the header's
 * end, a known TLV of the wrong size, a known TLV twice, or a CRC32C that does not match
 * is a malformed header (ProxyHeaderError), never half-believed. Unknown types are kept
 * raw; everything is bounded by the header's own length (its `maxLength`).
 * @module
 */
import { InvalidArgumentError, ProxyHeaderError } from '../errors.js';
import { crc32c } from '../internal/crc32c.js';

/** A TLV of a type socketkit does not interpret: its type byte and value, copied. */
export interface ProxyRawTlv {
  readonly type: number;
  readonly value: Buffer;
}

/** PP2_TYPE_SSL: how the client reached the proxy over TLS. */
export interface ProxySslTlv {
  /** PP2_CLIENT_SSL: the client connected over TLS. */
  readonly clientSsl: boolean;
  /** PP2_CLIENT_CERT_CONN: it presented a certificate on this connection. */
  readonly clientCertConn: boolean;
  /** PP2_CLIENT_CERT_SESS: it presented one on this TLS session (maybe resumed). */
  readonly clientCertSess: boolean;
  /** The raw `client` bit field. */
  readonly client: number;
  /** The raw `verify` field: 0 when the client's certificate was verified. */
  readonly verify: number;
  /** PP2_SUBTYPE_SSL_VERSION: "TLSv1.3". */
  readonly version?: string;
  /** PP2_SUBTYPE_SSL_CN: the client certificate's Common Name, UTF-8. */
  readonly cn?: string;
  /** PP2_SUBTYPE_SSL_CIPHER: "TLS_AES_128_GCM_SHA256". */
  readonly cipher?: string;
  /** PP2_SUBTYPE_SSL_SIG_ALG: the certificate's signature algorithm. */
  readonly sigAlg?: string;
  /** PP2_SUBTYPE_SSL_KEY_ALG: its key algorithm. */
  readonly keyAlg?: string;
  /** Sub-TLVs of other types, raw. */
  readonly other: readonly ProxyRawTlv[];
}

/** A v2 header's TLVs, the known ones decoded. */
export interface ProxyTlvs {
  /** PP2_TYPE_ALPN, as bytes read in latin1 (protocol ids are byte strings: "h2"). */
  readonly alpn?: string;
  /** PP2_TYPE_AUTHORITY: the host name the client asked for (TLS SNI), UTF-8. */
  readonly authority?: string;
  /** PP2_TYPE_CRC32C: the header's checksum, already verified by the parser. */
  readonly crc32c?: number;
  /** PP2_TYPE_UNIQUE_ID: the proxy's id of the connection (at most 128 bytes). */
  readonly uniqueId?: Buffer;
  /** PP2_TYPE_SSL. */
  readonly ssl?: ProxySslTlv;
  /** PP2_TYPE_NETNS: the network namespace's name. */
  readonly netns?: string;
  /** TLVs of other types (NOOP padding left out), in order, raw. */
  readonly other: readonly ProxyRawTlv[];
}

/** What {@link encodeProxyHeader}'s `tlvs` field may add to a v2 header. */
export interface ProxyTlvFields {
  alpn?: string;
  authority?: string;
  uniqueId?: Uint8Array;
  netns?: string;
  /** Raw TLVs of any other type (1…255; not 0x03, which `crc32c` writes). */
  other?: readonly { type: number; value: Uint8Array }[];
  /** True: append a PP2_TYPE_CRC32C TLV checksumming the whole header. */
  crc32c?: boolean;
}

/** The spec's bound on PP2_TYPE_UNIQUE_ID. */
export const MAX_PROXY_UNIQUE_ID = 128;

const ALPN = 0x01;
const AUTHORITY = 0x02;
const CRC32C = 0x03;
const NOOP = 0x04;
const UNIQUE_ID = 0x05;
const SSL = 0x20;
const NETNS = 0x30;
const SSL_SUBTYPES: Record<number, 'version' | 'cn' | 'cipher' | 'sigAlg' | 'keyAlg'> = {
  0x21: 'version',
  0x22: 'cn',
  0x23: 'cipher',
  0x24: 'sigAlg',
  0x25: 'keyAlg',
};

/**
 * Reads the TLVs of header `h` (the whole header) from `at` to its end; null when there
 * are none (or only NOOP padding). Verifies a CRC32C TLV over `h`.
 * @throws {ProxyHeaderError} for a malformed list or a checksum mismatch.
 */
export function parseProxyTlvs(h: Buffer, at: number): ProxyTlvs | null {
  if (at >= h.length) return null;
  const out: {
    -readonly [K in keyof ProxyTlvs]: ProxyTlvs[K];
  } & { other: ProxyRawTlv[] } = { other: [] };
  let crcAt = -1;
  for (const { type, start, end } of tlvList(h, at, h.length, 'TLV')) {
    // A named TLV twice is ambiguous (which AUTHORITY is true?): refused, not guessed.
    const key = NAMED[type];
    if (key !== undefined && key in out) {
      throw new ProxyHeaderError(`PROXY v2 header: TLV 0x${hex(type)} appears twice`);
    }
    const length = end - start;
    switch (type) {
      case ALPN:
        out.alpn = h.toString('latin1', start, end);
        break;
      case AUTHORITY:
        out.authority = h.toString('utf8', start, end);
        break;
      case CRC32C:
        if (length !== 4) {
          throw new ProxyHeaderError(`PROXY v2 header: a CRC32C TLV of ${length} bytes, not 4`);
        }
        out.crc32c = h.readUInt32BE(start);
        crcAt = start;
        break;
      case NOOP:
        break;
      case UNIQUE_ID:
        if (length > MAX_PROXY_UNIQUE_ID) {
          throw new ProxyHeaderError(
            `PROXY v2 header: a UNIQUE_ID TLV of ${length} bytes (at most ${MAX_PROXY_UNIQUE_ID})`,
          );
        }
        out.uniqueId = Buffer.from(h.subarray(start, end));
        break;
      case SSL:
        out.ssl = parseSsl(h, start, end);
        break;
      case NETNS:
        out.netns = h.toString('latin1', start, end);
        break;
      default:
        out.other.push({ type, value: Buffer.from(h.subarray(start, end)) });
    }
  }
  if (crcAt !== -1) {
    // The checksum covers the header with its own four bytes read as zeros.
    let crc = crc32c(h, 0, 0, crcAt);
    crc = crc32c(ZERO4, crc);
    crc = crc32c(h, crc, crcAt + 4, h.length);
    if (crc !== out.crc32c) {
      throw new ProxyHeaderError(
        `PROXY v2 header: CRC32C 0x${hex(out.crc32c!, 8)} does not match the header's 0x${hex(crc, 8)}`,
      );
    }
  }
  // Only NOOP padding: nothing to report, as without TLVs.
  return Object.keys(out).length === 1 && out.other.length === 0 ? null : out;
}

const ZERO4 = new Uint8Array(4);

/** The field each named TLV type fills. */
const NAMED: Partial<Record<number, keyof ProxyTlvs>> = {
  [ALPN]: 'alpn',
  [AUTHORITY]: 'authority',
  [CRC32C]: 'crc32c',
  [UNIQUE_ID]: 'uniqueId',
  [SSL]: 'ssl',
  [NETNS]: 'netns',
};

function* tlvList(
  h: Buffer,
  at: number,
  stop: number,
  what: string,
): Generator<{ type: number; start: number; end: number }> {
  while (at < stop) {
    if (stop - at < 3) {
      throw new ProxyHeaderError(
        `PROXY v2 header: ${stop - at} bytes left where a ${what} (3 bytes or more) should be`,
      );
    }
    const type = h[at]!;
    const end = at + 3 + h.readUInt16BE(at + 1);
    if (end > stop) {
      throw new ProxyHeaderError(
        `PROXY v2 header: ${what} 0x${hex(type)} runs ${end - stop} bytes past its end`,
      );
    }
    yield { type, start: at + 3, end };
    at = end;
  }
}

function parseSsl(h: Buffer, start: number, end: number): ProxySslTlv {
  if (end - start < 5) {
    throw new ProxyHeaderError(`PROXY v2 header: an SSL TLV of ${end - start} bytes (at least 5)`);
  }
  const client = h[start]!;
  const out: { -readonly [K in keyof ProxySslTlv]: ProxySslTlv[K] } & { other: ProxyRawTlv[] } = {
    clientSsl: (client & 0x01) !== 0,
    clientCertConn: (client & 0x02) !== 0,
    clientCertSess: (client & 0x04) !== 0,
    client,
    verify: h.readUInt32BE(start + 1),
    other: [],
  };
  for (const sub of tlvList(h, start + 5, end, 'SSL sub-TLV')) {
    const key = SSL_SUBTYPES[sub.type];
    if (key === undefined) {
      out.other.push({ type: sub.type, value: Buffer.from(h.subarray(sub.start, sub.end)) });
      continue;
    }
    if (key in out) {
      throw new ProxyHeaderError(`PROXY v2 header: SSL sub-TLV 0x${hex(sub.type)} appears twice`);
    }
    out[key] = h.toString(key === 'cn' ? 'utf8' : 'latin1', sub.start, sub.end);
  }
  return out;
}

/**
 * The TLV bytes `fields` asks for, and where the CRC32C value goes in them (-1: none):
 * the caller writes the header, then {@link sealProxyCrc} fills it in.
 * @throws {InvalidArgumentError} for a value too long for its TLV or a bad raw type.
 */
export function encodeProxyTlvs(fields: ProxyTlvFields): { bytes: Buffer; crcAt: number } {
  const parts: Buffer[] = [];
  const add = (type: number, value: Uint8Array, name: string): void => {
    if (value.length > 0xffff) {
      throw new InvalidArgumentError(`the PROXY ${name} TLV holds at most 65535 bytes`);
    }
    const head = Buffer.alloc(3);
    head[0] = type;
    head.writeUInt16BE(value.length, 1);
    parts.push(head, Buffer.from(value));
  };
  const text = (value: unknown, name: string, encoding: BufferEncoding): Buffer => {
    if (typeof value !== 'string') {
      throw new InvalidArgumentError(`the PROXY ${name} TLV must be a string`);
    }
    return Buffer.from(value, encoding);
  };
  if (fields.alpn !== undefined) add(ALPN, text(fields.alpn, 'ALPN', 'latin1'), 'ALPN');
  if (fields.authority !== undefined) {
    add(AUTHORITY, text(fields.authority, 'AUTHORITY', 'utf8'), 'AUTHORITY');
  }
  if (fields.uniqueId !== undefined) {
    if (!(fields.uniqueId instanceof Uint8Array) || fields.uniqueId.length > MAX_PROXY_UNIQUE_ID) {
      throw new InvalidArgumentError(
        `the PROXY UNIQUE_ID TLV must be bytes, at most ${MAX_PROXY_UNIQUE_ID}`,
      );
    }
    add(UNIQUE_ID, fields.uniqueId, 'UNIQUE_ID');
  }
  if (fields.netns !== undefined) add(NETNS, text(fields.netns, 'NETNS', 'latin1'), 'NETNS');
  for (const tlv of fields.other ?? []) {
    const known = [ALPN, AUTHORITY, CRC32C, UNIQUE_ID, NETNS];
    if (!Number.isInteger(tlv.type) || tlv.type < 1 || tlv.type > 255 || known.includes(tlv.type)) {
      throw new InvalidArgumentError(
        `a raw PROXY TLV's type must be 1…255 and not a named field's type (0x01, 0x02, 0x03, 0x05, 0x30), got ${String(tlv.type)}`,
      );
    }
    add(tlv.type, tlv.value, `0x${hex(tlv.type)}`);
  }
  let crcAt = -1;
  if (fields.crc32c === true) {
    crcAt = parts.reduce((n, p) => n + p.length, 0) + 3;
    add(CRC32C, ZERO4, 'CRC32C');
  }
  return { bytes: Buffer.concat(parts), crcAt };
}

/** Writes the CRC32C of `header` (its CRC field still zero) at `crcAt`. */
export function sealProxyCrc(header: Buffer, crcAt: number): void {
  header.writeUInt32BE(crc32c(header), crcAt);
}

function hex(n: number, width = 2): string {
  return n.toString(16).padStart(width, '0');
}
