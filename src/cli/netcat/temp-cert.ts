/**
 * `listen --tls` without `--tls-cert`/`--tls-key`: a throwaway self-signed certificate, as
 * ncat makes one. openssl generates a P-256 key and a certificate valid for one day, for
 * `localhost`, `127.0.0.1` and `::1`, in a private temporary directory (mode 0700, from
 * `mkdtemp`) that is removed as soon as the two files are read: the key then lives only in
 * this process's memory. Clients pin it by the SHA-256 fingerprint the caller prints
 * (`connect --tls-fingerprint`), since no CA vouches for it.
 *
 * `SOCKETKIT_OPENSSL` names the openssl program (default: `openssl` on the PATH).
 * @module
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, ExitCode } from '../io.js';

/** How long openssl may take to make the key and certificate. */
const OPENSSL_TIMEOUT_MS = 30_000;

/** A generated certificate, its key, and the certificate's SHA-256 fingerprint (`AB:CD:…`). */
export interface TemporaryCertificate {
  cert: Buffer;
  key: Buffer;
  fingerprint256: string;
}

/** The line printed on stderr when one was made (ncat prints its SHA-1 the same way). */
export function temporaryCertificateNote(fingerprint256: string): string {
  return `generated a temporary certificate (localhost, 127.0.0.1, ::1; valid 1 day); SHA-256 fingerprint ${fingerprint256}`;
}

function runOpenssl(program: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      { timeout: OPENSSL_TIMEOUT_MS, shell: false, windowsHide: true },
      (err, _stdout, stderr) => {
        if (err === null) resolve();
        else reject(Object.assign(err as Error, { stderrText: String(stderr) }));
      },
    );
  });
}

/**
 * Makes the certificate.
 * @param env the command's environment (`SOCKETKIT_OPENSSL`).
 * @throws {CliError} when openssl is missing (usage: pass `--tls-cert`/`--tls-key`) or fails.
 */
export async function makeTemporaryCertificate(
  env: Record<string, string | undefined>,
): Promise<TemporaryCertificate> {
  const program = env.SOCKETKIT_OPENSSL ?? 'openssl';
  // mkdtemp makes the directory with mode 0700: nobody else can read the key file.
  const dir = await mkdtemp(join(tmpdir(), 'socketkit-cert-'));
  try {
    const certPath = join(dir, 'cert.pem');
    const keyPath = join(dir, 'key.pem');
    try {
      await runOpenssl(program, [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
        '-keyout',
        keyPath,
        '-out',
        certPath,
      ]);
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderrText?: string };
      if (e.code === 'ENOENT') {
        throw new CliError(
          `listen --tls without --tls-cert/--tls-key makes a temporary certificate with openssl, and ${JSON.stringify(program)} was not found: install openssl, or pass --tls-cert FILE --tls-key FILE (PEM)`,
          ExitCode.usage,
        );
      }
      const detail = (e.stderrText ?? '').trim().split('\n').at(-1) ?? '';
      throw new CliError(
        `openssl could not make a temporary certificate (${e.message.split('\n')[0] ?? ''}${detail === '' ? '' : `: ${detail}`}); pass --tls-cert FILE --tls-key FILE (PEM)`,
        ExitCode.failure,
      );
    }
    const [cert, key] = await Promise.all([readFile(certPath), readFile(keyPath)]);
    return { cert, key, fingerprint256: new X509Certificate(cert).fingerprint256 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
