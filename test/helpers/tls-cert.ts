/** Throwaway self-signed TLS certificates for tests, made with openssl. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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

/** A throwaway certificate authority that issues leaf certificates for chosen names. */
export interface TestCa {
  /** The CA's certificate (PEM file), what `--tls-ca` takes. */
  ca: string;
  /**
   * Issues a certificate for `altNames` (`DNS:localhost`, `IP:127.0.0.1`, …), signed by
   * this CA; `name` prefixes its files.
   */
  issue(name: string, altNames: readonly string[]): { cert: string; key: string };
}

/** Makes a throwaway EC certificate authority in `dir` with openssl; throws if openssl fails. */
export function testCa(dir: string): TestCa {
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...ec,
      '-days',
      '1',
      '-subj',
      '/CN=socketkit throwaway test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout',
      caKey,
      '-out',
      ca,
    ],
    { stdio: 'ignore' },
  );
  let serial = 1;
  return {
    ca,
    issue(name, altNames) {
      const key = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const cert = join(dir, `${name}.pem`);
      const ext = join(dir, `${name}.ext`);
      writeFileSync(ext, `subjectAltName=${altNames.join(',')}\n`);
      execFileSync(
        'openssl',
        ['req', '-new', ...ec, '-subj', `/CN=${name}`, '-keyout', key, '-out', csr],
        {
          stdio: 'ignore',
        },
      );
      execFileSync(
        'openssl',
        [
          'x509',
          '-req',
          '-in',
          csr,
          '-CA',
          ca,
          '-CAkey',
          caKey,
          '-set_serial',
          String(serial++),
          '-days',
          '1',
          '-extfile',
          ext,
          '-out',
          cert,
        ],
        { stdio: 'ignore' },
      );
      return { cert, key };
    },
  };
}
