/**
 * `--tls`, `--tls-cert`, `--tls-key`, `--tls-ca`, `--tls-verify`, `--tls-servername`:
 * turns the flags into `node:tls` options, reading the PEM files with errors that say
 * which file could not be read.
 * @module
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import { CliError, ExitCode } from '../io.js';

/** The TLS flags shared by `connect` and `listen`. */
export interface TlsFlags {
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsVerify?: boolean;
  tlsServername?: string;
}

function readPem(path: string | undefined, option: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CliError(`${option}: cannot read ${path}: ${reason}`, ExitCode.usage);
  }
}

/** True when any TLS flag asks for TLS (the `--tls-*` flags imply `--tls`). */
export function wantsTls(flags: TlsFlags): boolean {
  return Boolean(
    flags.tls ||
    flags.tlsCert ||
    flags.tlsKey ||
    flags.tlsCa ||
    flags.tlsVerify ||
    flags.tlsServername,
  );
}

/**
 * Client options. Like ncat, the server's certificate is NOT verified unless
 * `--tls-verify` is given (netcat is a debugging tool, often pointed at test servers).
 */
export function clientTlsOptions(flags: TlsFlags, host: string | undefined): ConnectionOptions {
  const servername =
    flags.tlsServername ?? (host !== undefined && isIP(host) === 0 ? host : undefined);
  return {
    rejectUnauthorized: flags.tlsVerify === true,
    ...(servername === undefined ? {} : { servername }),
    ...(flags.tlsCa === undefined ? {} : { ca: readPem(flags.tlsCa, '--tls-ca') }),
    ...(flags.tlsCert === undefined ? {} : { cert: readPem(flags.tlsCert, '--tls-cert') }),
    ...(flags.tlsKey === undefined ? {} : { key: readPem(flags.tlsKey, '--tls-key') }),
  };
}

/** Server options: a certificate and key are required (`--tls-verify` asks for a client certificate). */
export function serverTlsOptions(flags: TlsFlags): TlsOptions {
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
  };
}
