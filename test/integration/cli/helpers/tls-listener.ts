/**
 * A `socketkit listen --tls` peer for the pinning tests: the temporary certificate (no
 * --tls-cert), its SHA-256 fingerprint read from stderr, and an unbuffered `sed` per
 * client that upper-cases each line as it comes, so a client's bytes come back changed
 * (proof they reached the listener and its answer came back) while the client is still
 * open. Runs in-process; the test ends it.
 */
import type { TestContext } from 'node:test';
import { type InProcessCli, startCli } from '../../../helpers/netcat.js';

/** The fingerprint line `listen --tls` prints for its temporary certificate. */
export const FINGERPRINT_LINE = /SHA-256 fingerprint ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})\n/;

export interface TlsListener {
  cli: InProcessCli;
  port: number;
  /** The temporary certificate's fingerprint, `AB:CD:…`. */
  fingerprint: string;
}

/** `listen -v -k --tls --exec 'sed -u y/a…z/A…Z/' 127.0.0.1 0`, once it listens. */
export async function upperCaseTlsListener(t: TestContext): Promise<TlsListener> {
  const cli = startCli(t, [
    'listen',
    '-v',
    '-k',
    '--tls',
    '--exec',
    'sed -u y/abcdefghijklmnopqrstuvwxyz/ABCDEFGHIJKLMNOPQRSTUVWXYZ/',
    '127.0.0.1',
    '0',
  ]);
  const fp = await cli.stderr.waitFor(FINGERPRINT_LINE, 'the fingerprint line');
  const m = await cli.stderr.waitFor(/Listening on \S+:(\d+)\n/);
  return { cli, port: Number(m[1]), fingerprint: fp[1]! };
}

/** A fingerprint no certificate here has. */
export const WRONG_FINGERPRINT = Array(32).fill('AB').join(':');
