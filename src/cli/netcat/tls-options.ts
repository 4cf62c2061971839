/**
 * `--tls`, `--tls-cert`, `--tls-key`, `--tls-ca`, `--tls-verify`, `--tls-servername`,
 * `--tls-insecure`, `--handshake-timeout`: which of them ask for TLS, and the server
 * side's options for the library's `Listener` (whose TLS server is `createTlsServer`:
 * handshake deadline, clients checked before their handshake). The client side is
 * `clientTlsOptions` in src/cli/client-tls.ts, shared by every CLI client. Without
 * `--tls-cert`/`--tls-key`, `listen --tls` serves a throwaway certificate
 * (`temp-cert.ts`).
 * @module
 */
import type { TlsServerOptions } from '../../socket/tls-server.js';
import { type ClientTlsFlags, readPem } from '../client-tls.js';
import { CliError, ExitCode } from '../io.js';

/** The TLS flags shared by `connect` and `listen`. */
export interface TlsFlags extends ClientTlsFlags {
  tls?: boolean;
  /** listen: require a client certificate. connect: verification is the default anyway. */
  tlsVerify?: boolean;
}

/** True when any TLS flag asks for TLS (the `--tls-*` flags imply `--tls`). */
export function wantsTls(flags: TlsFlags): boolean {
  return Boolean(
    flags.tls ||
    flags.tlsCert ||
    flags.tlsKey ||
    flags.tlsCa ||
    flags.tlsVerify ||
    flags.tlsServername ||
    flags.tlsInsecure ||
    flags.tlsFingerprint,
  );
}

/**
 * True when `listen --tls` has no certificate of its own and must make a temporary one.
 * @throws {CliError} (usage) when only one of `--tls-cert`/`--tls-key` is given.
 */
export function needsTemporaryCertificate(flags: TlsFlags): boolean {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new CliError(
      '--tls-cert and --tls-key go together (or give neither for a temporary certificate)',
      ExitCode.usage,
    );
  }
  return flags.tlsCert === undefined;
}

/**
 * Server options: `--tls-cert`/`--tls-key`, or `temporary` (a generated pair) when they
 * are not given (`--tls-verify` asks for a client certificate); `handshakeTimeout` is
 * `--handshake-timeout`'s seconds.
 */
export function serverTlsOptions(
  flags: TlsFlags,
  handshakeTimeout: number,
  temporary: { cert: Buffer; key: Buffer } | null = null,
): Omit<TlsServerOptions, 'allowHalfOpen'> {
  let identity = temporary;
  if (flags.tlsCert !== undefined && flags.tlsKey !== undefined) {
    identity = {
      cert: readPem(flags.tlsCert, '--tls-cert'),
      key: readPem(flags.tlsKey, '--tls-key'),
    };
  }
  if (identity === null) {
    throw new CliError(
      'listen --tls needs --tls-cert FILE and --tls-key FILE (PEM)',
      ExitCode.usage,
    );
  }
  return {
    cert: identity.cert,
    key: identity.key,
    ...(flags.tlsCa === undefined ? {} : { ca: readPem(flags.tlsCa, '--tls-ca') }),
    requestCert: flags.tlsVerify === true,
    rejectUnauthorized: flags.tlsVerify === true,
    handshakeTimeout,
  };
}
