/**
 * Certificate pinning for TLS clients: the `fingerprint256` TLS connect option. A pinned
 * connection trusts exactly one certificate, the one whose SHA-256 fingerprint it names,
 * instead of a CA chain and a host name (a self-signed server's throwaway certificate,
 * whose fingerprint it printed: `socketkit listen --tls`).
 *
 * ```
 *  connect({ tls: { fingerprint256 } }) ─► parseFingerprint256 (InvalidArgumentError at once)
 *  startTls({ tls: { fingerprint256 } })     (STARTTLS; connectThroughProxy's tunnel)
 *  tls.connect({ rejectUnauthorized: false, … })   CA verification off for this connection only
 *  'secureConnect' ─► checkPinnedPeer: SHA-256 of the peer's DER certificate vs the pin
 *                     (timingSafeEqual) ─► mismatch: destroyed, TlsFingerprintError,
 *                     before the caller can send a byte
 * ```
 *
 * The check runs after the handshake rather than in `checkServerIdentity`, which Node
 * skips when the chain fails (a self-signed certificate) and on session resumption.
 * Without `fingerprint256` nothing changes: verification stays Node's default.
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { type ErrorAddress, InvalidArgumentError, TlsFingerprintError } from '../errors.js';

/** `node:tls` client options plus the pin. */
export interface TlsConnectOptions extends ConnectionOptions {
  /**
   * Trust only the certificate with this SHA-256 fingerprint, instead of verifying its
   * chain and name: 64 hex digits, with or without colons between the bytes, any case
   * (`AB:CD:…` as `openssl x509 -fingerprint -sha256` and Node's `fingerprint256` print
   * it). A mismatch fails the connect with `TlsFingerprintError`.
   */
  fingerprint256?: string;
}

const PLAIN = /^[0-9a-f]{64}$/i;
const COLONS = /^[0-9a-f]{2}(?::[0-9a-f]{2}){31}$/i;

/**
 * Parses a SHA-256 fingerprint (64 hex digits, colons between bytes allowed, any case).
 * @returns its 32 bytes.
 * @throws {InvalidArgumentError} for anything else.
 */
export function parseFingerprint256(value: unknown): Buffer {
  if (typeof value !== 'string' || !(PLAIN.test(value) || COLONS.test(value))) {
    throw new InvalidArgumentError(
      `fingerprint256 must be a SHA-256 fingerprint: 64 hex digits, optionally colon-separated (AB:CD:…), got ${JSON.stringify(String(value)).slice(0, 120)}`,
    );
  }
  return Buffer.from(value.replaceAll(':', ''), 'hex');
}

/** Formats fingerprint bytes as `AB:CD:…`, the way Node and openssl print them. */
export function formatFingerprint(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase().match(/../g)?.join(':') ?? '';
}

/**
 * The `tls.connect` options for `options`: without a pin, the same options (verified
 * TLS); with one, CA verification is turned off for this connection, since the pin
 * replaces it ({@link checkPinnedPeer} must then run on 'secureConnect').
 * @returns the options and the parsed pin (null when none).
 * @throws {InvalidArgumentError} for a malformed `fingerprint256`.
 */
export function pinnedConnectOptions(options: TlsConnectOptions): {
  options: ConnectionOptions;
  pin: Buffer | null;
} {
  if (options.fingerprint256 === undefined) return { options, pin: null };
  const { fingerprint256, ...rest } = options;
  const pin = parseFingerprint256(fingerprint256);
  return { options: { ...rest, rejectUnauthorized: false }, pin };
}

/**
 * Compares the peer's certificate with `pin`, on a socket whose handshake is done.
 * @returns null when it matches, else the error to fail the connect with (the caller
 *   destroys the socket).
 */
export function checkPinnedPeer(
  sock: TLSSocket,
  pin: Buffer,
  where: ErrorAddress,
): TlsFingerprintError | null {
  // The raw DER, hashed by Node: `fingerprint256` is the SHA-256 of exactly these bytes.
  const cert = sock.getPeerCertificate();
  const actual =
    typeof cert.fingerprint256 === 'string' && COLONS.test(cert.fingerprint256)
      ? parseFingerprint256(cert.fingerprint256)
      : null;
  if (actual !== null && actual.length === pin.length && timingSafeEqual(actual, pin)) return null;
  return new TlsFingerprintError(
    formatFingerprint(pin),
    actual === null ? 'none' : formatFingerprint(actual),
    where,
  );
}
