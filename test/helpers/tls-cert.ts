/** Throwaway self-signed TLS certificates for tests, made with openssl. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { needs } from './needs.js';

/**
 * Writes a self-signed EC certificate for localhost/127.0.0.1 into `dir`.
 * @returns the paths of the certificate and key files; throws if openssl fails.
 */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/** Like {@link selfSignedCert}, but returns the PEM texts, or `null` when openssl is missing. */
export function selfSignedPem(dir: string): { cert: string; key: string } | null {
  const paths = trySelfSignedCert(dir);
  return paths && { cert: readFileSync(paths.cert, 'utf8'), key: readFileSync(paths.key, 'utf8') };
}

/**
 * Like {@link selfSignedCert}, but returns `null` when openssl is missing (outside CI: see
 * {@link needs}, which fails under CI=true).
 */
export function trySelfSignedCert(dir: string): { cert: string; key: string } | null {
  if (needs('openssl')) return null;
  return selfSignedCert(dir);
}
