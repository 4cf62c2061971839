/**
 * TLS for every CLI client (`connect`, and `chat`, `exec`, … as they offer `--tls`): one
 * place that turns the client flags into `node:tls` options, and one that explains a
 * certificate that was refused.
 *
 * The server's certificate is verified by default — its chain against the system CAs, or
 * only against `--tls-ca`'s when given, and its name against the host connected to (an
 * IP address is checked against the certificate's IP SANs; `--tls-servername` names
 * another host to ask for and check). `--tls-insecure` is the explicit opt-out, and it
 * says so on stderr every time it is used. `--tls-fingerprint SHA256` pins the server's
 * certificate instead (the library's `fingerprint256`: that one certificate is trusted,
 * whatever signed it and whatever names it holds — a `listen --tls` throwaway one).
 * @module
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors.js';
import { parseFingerprint256, type TlsConnectOptions } from '../socket/tls-pin.js';
import { CliError, ExitCode } from './io.js';

/** The TLS flags of a CLI client (commander's camelCase names). */
export interface ClientTlsFlags {
  /** `--tls-ca FILE`: trust only these CAs (PEM) instead of the system's. */
  tlsCa?: string;
  /** `--tls-cert FILE`: a client certificate (PEM). */
  tlsCert?: string;
  /** `--tls-key FILE`: its private key (PEM). */
  tlsKey?: string;
  /** `--tls-servername NAME`: the name to ask for (SNI) and verify, instead of the host. */
  tlsServername?: string;
  /** `--tls-insecure`: do not verify the server's certificate (warned about on stderr). */
  tlsInsecure?: boolean;
  /** `--tls-fingerprint SHA256`: trust only the certificate with this SHA-256 fingerprint. */
  tlsFingerprint?: string;
}

/**
 * Checks `--tls-fingerprint` (64 hex digits, colons allowed, any case) and that it is not
 * combined with what it replaces (`--tls-ca`) or contradicts (`--tls-insecure`).
 * @throws {CliError} (usage).
 */
export function checkTlsFingerprint(flags: ClientTlsFlags): void {
  if (flags.tlsFingerprint === undefined) return;
  if (flags.tlsInsecure === true || flags.tlsCa !== undefined) {
    throw new CliError(
      '--tls-fingerprint pins the certificate instead of verifying it against CAs: it cannot be used with --tls-ca or --tls-insecure',
      ExitCode.usage,
    );
  }
  try {
    parseFingerprint256(flags.tlsFingerprint);
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    throw new CliError(
      `--tls-fingerprint expects a SHA-256 fingerprint: 64 hex digits, optionally colon-separated (AB:CD:…), not ${JSON.stringify(flags.tlsFingerprint).slice(0, 120)}`,
      ExitCode.usage,
    );
  }
}

/** Reads a PEM file named by `option`; a usage error that names the file otherwise. */
export function readPem(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CliError(`${option}: cannot read ${path}: ${reason}`, ExitCode.usage);
  }
}

/** The line `--tls-insecure` prints on stderr, each time. */
export function insecureTlsWarning(host: string | undefined): string {
  const where = host === undefined ? 'the server' : host;
  return `socketkit: WARNING: --tls-insecure: the certificate of ${where} is NOT verified; anyone between you and it can read and change this connection\n`;
}

/**
 * `node:tls` client options for a connection to `host` (undefined for a Unix socket),
 * for the library's `Socket.connect`/`createConnection`. Only what the flags change is
 * set: verification is Node's default (on), and the library's connect sends the host as
 * SNI when it is a name (RFC 6066: never an address) while Node checks the certificate
 * against `servername ?? host` (an IP against the IP SANs; `localhost` over a Unix socket).
 * With `--tls-insecure`, `warn` is called with {@link insecureTlsWarning}; with
 * `--tls-fingerprint`, the certificate is pinned (`fingerprint256`) instead of verified.
 * @throws {CliError} (usage) when a PEM file cannot be read or the flags conflict.
 */
export function clientTlsOptions(
  flags: ClientTlsFlags,
  host: string | undefined,
  warn: (line: string) => void,
): TlsConnectOptions {
  checkTlsFingerprint(flags);
  const insecure = flags.tlsInsecure === true;
  if (insecure) warn(insecureTlsWarning(flags.tlsServername ?? host));
  return {
    ...(flags.tlsFingerprint === undefined ? {} : { fingerprint256: flags.tlsFingerprint }),
    ...(insecure ? { rejectUnauthorized: false } : {}),
    ...(flags.tlsServername === undefined ? {} : { servername: flags.tlsServername }),
    ...(flags.tlsCa === undefined ? {} : { ca: readPem(flags.tlsCa, '--tls-ca') }),
    ...(flags.tlsCert === undefined ? {} : { cert: readPem(flags.tlsCert, '--tls-cert') }),
    ...(flags.tlsKey === undefined ? {} : { key: readPem(flags.tlsKey, '--tls-key') }),
  };
}

/** OpenSSL/Node codes of a certificate that failed verification. */
const CERT_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME/;

/** True when `err` is a refused server certificate (untrusted, expired, wrong name). */
export function isCertificateError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CERT_ERRORS.test(code);
}

/**
 * Explains a refused certificate: `message` (what failed, naming the address) plus what
 * to do. Exit status 1 (a runtime failure).
 * @returns null when `err` is not a certificate error.
 */
export function certificateError(err: unknown, message: string): CliError | null {
  if (!isCertificateError(err)) return null;
  const code = (err as { code: string }).code;
  const hint =
    code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? "the server's certificate is for other names: connect by one of them, or name the one to check with --tls-servername"
      : "the server's certificate is not trusted: pass --tls-ca FILE with the CA that signed it";
  return new CliError(
    `${message} (${hint}; --tls-insecure skips verification, unsafe) [${code}]`,
    ExitCode.failure,
  );
}
