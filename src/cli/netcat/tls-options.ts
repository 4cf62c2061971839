/**
 * `--tls`, `--tls-cert`, `--tls-key`, `--tls-ca`, `--tls-verify`, `--tls-servername`,
 * `--tls-insecure`, `--handshake-timeout`: which of them ask for TLS, and the server
 * side's options for the library's `Listener` (whose TLS server is `createTlsServer`:
 * handshake deadline, clients checked before their handshake). The client side is
 * `clientTlsOptions` in src/cli/client-tls.ts, shared by every CLI client.
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
    flags.tlsInsecure,
  );
}

/**
 * Server options: a certificate and key are required (`--tls-verify` asks for a client
 * certificate); `handshakeTimeout` is `--handshake-timeout`'s seconds.
 */
export function serverTlsOptions(
  flags: TlsFlags,
  handshakeTimeout: number,
): Omit<TlsServerOptions, 'allowHalfOpen'> {
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) {
    throw new CliError(
      'listen --tls needs --tls-cert FILE and --tls-key FILE (PEM); make a self-signed pair with: openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj /CN=localhost -keyout key.pem -out cert.pem',
      ExitCode.usage,
    );
  }
  return {
    cert: readPem(flags.tlsCert, '--tls-cert'),
    key: readPem(flags.tlsKey, '--tls-key'),
    ...(flags.tlsCa === undefined ? {} : { ca: readPem(flags.tlsCa, '--tls-ca') }),
    requestCert: flags.tlsVerify === true,
    rejectUnauthorized: flags.tlsVerify === true,
    handshakeTimeout,
  };
}
