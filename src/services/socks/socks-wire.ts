/**
 * SOCKS wire constants and the server's replies (RFC 1928, RFC 1929; SOCKS4/4a).
 *
 * ```
 * greeting  +----+----------+----------+      method choice  +----+--------+
 *           |VER | NMETHODS | METHODS  |                      |VER | METHOD |
 *           | 05 |    1     | 1 to 255 |                      | 05 |   1    |
 * request   +----+-----+-------+------+----------+----------+
 *           |VER | CMD |  RSV  | ATYP | DST.ADDR | DST.PORT |
 *           | 05 |  1  |  00   |  1   | Variable |    2     |
 * reply     |VER | REP |  RSV  | ATYP | BND.ADDR | BND.PORT |
 * ATYP: 01 IPv4 (4 bytes), 03 domain (1 length byte, then the name), 04 IPv6 (16 bytes)
 * user/password (RFC 1929): 01 ULEN UNAME PLEN PASSWD  ─►  01 STATUS (00 = success)
 * SOCKS4: 04 CMD PORT(2) IP(4) USERID 00 [DOMAIN 00 when IP is 0.0.0.x]  ─►  00 REP PORT IP
 * ```
 * @module
 */
import { isIP } from 'node:net';
import { ipv6Bytes } from '../../internal/ipv6-groups.js';
import type { DestinationFailure } from '../open-destination.js';

export const SOCKS5 = 0x05;
export const SOCKS4 = 0x04;
export const AUTH_VERSION = 0x01;

export const METHOD_NONE = 0x00;
export const METHOD_PASSWORD = 0x02;
export const METHOD_UNACCEPTABLE = 0xff;

export const CMD_CONNECT = 0x01;
export const CMD_UDP_ASSOCIATE = 0x03;

export const ATYP_IPV4 = 0x01;
export const ATYP_DOMAIN = 0x03;
export const ATYP_IPV6 = 0x04;

/** RFC 1928 §6 reply codes. */
export const REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

/** SOCKS4 reply codes: granted, rejected or failed. */
export const SOCKS4_GRANTED = 0x5a;
export const SOCKS4_REJECTED = 0x5b;

/** The reply code for a failure to open the destination. */
export function replyFor(failure: DestinationFailure): number {
  switch (failure) {
    case 'not-allowed':
      return REPLY.notAllowed;
    case 'network-unreachable':
      return REPLY.networkUnreachable;
    case 'host-not-found':
    case 'host-unreachable':
      return REPLY.hostUnreachable;
    case 'refused':
      return REPLY.connectionRefused;
    case 'timeout':
      return REPLY.ttlExpired;
    default:
      return REPLY.generalFailure;
  }
}

/** A SOCKS5 reply; BND.ADDR/PORT is `bound` (the proxy's outbound address) or 0.0.0.0:0. */
export function socks5Reply(code: number, bound?: { address: string; port: number }): Buffer {
  const address = bound?.address ?? '0.0.0.0';
  const port = bound?.port ?? 0;
  const v6 = isIP(address) === 6;
  const out = Buffer.alloc(4 + (v6 ? 16 : 4) + 2);
  out[0] = SOCKS5;
  out[1] = code;
  out[2] = 0;
  out[3] = v6 ? ATYP_IPV6 : ATYP_IPV4;
  if (v6) ipv6Bytes(address).copy(out, 4);
  else Buffer.from(address.split('.').map(Number)).copy(out, 4);
  out.writeUInt16BE(port, out.length - 2);
  return out;
}

/** A SOCKS4 reply (the port and address fields are ignored by clients: zeros). */
export function socks4Reply(code: number): Buffer {
  return Buffer.from([0, code, 0, 0, 0, 0, 0, 0]);
}

/** An IPv4 address from 4 bytes. */
export function ipv4Text(bytes: Uint8Array): string {
  return Array.from(bytes).join('.');
}

/** An IPv6 address from 16 bytes, in its canonical text (RFC 5952: `::1`, as sockets report it). */
export function ipv6Text(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // The WHATWG URL parser writes IPv6 hosts canonically (zeros compressed, lower case).
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** A host name a client may ask for: letters, digits, dots, hyphens, underscores. */
export function isPlausibleName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,253}$/.test(name) || isIP(name) !== 0;
}

/** A UDP relay datagram's header, parsed: the destination and where the payload starts. */
export interface UdpHeader {
  host: string;
  port: number;
  /** Fragment number: only 0 (unfragmented) is relayed. */
  frag: number;
  offset: number;
}

/**
 * Parses a UDP relay datagram's header (RFC 1928 §7): `RSV(2) FRAG(1) ATYP ADDR PORT DATA`.
 * Null when it is malformed.
 */
export function parseUdpHeader(datagram: Buffer): UdpHeader | null {
  if (datagram.length < 4) return null;
  const frag = datagram[2]!;
  const atyp = datagram[3]!;
  let host: string;
  let at: number;
  if (atyp === ATYP_IPV4 && datagram.length >= 10) {
    host = ipv4Text(datagram.subarray(4, 8));
    at = 8;
  } else if (atyp === ATYP_IPV6 && datagram.length >= 22) {
    host = ipv6Text(datagram.subarray(4, 20));
    at = 20;
  } else if (atyp === ATYP_DOMAIN && datagram.length >= 5 && datagram.length >= 7 + datagram[4]!) {
    host = datagram.subarray(5, 5 + datagram[4]!).toString('latin1');
    at = 5 + datagram[4]!;
    if (!isPlausibleName(host)) return null;
  } else {
    return null;
  }
  return { host, port: datagram.readUInt16BE(at), frag, offset: at + 2 };
}

/** The header the relay puts before a reply from `address`:`port`. */
export function udpHeader(address: string, port: number): Buffer {
  const reply = socks5Reply(0, { address, port });
  reply[0] = 0;
  reply[1] = 0;
  return reply; // RSV(2) FRAG(0) ATYP ADDR PORT: a reply's layout with zeros in front
}
