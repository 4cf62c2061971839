/**
 * The connection messages of `connect`/`listen`, ncat's style with our name:
 * `socketkit: Connected to 127.0.0.1:7007.` With `-v` they go to stderr; without, only
 * failures do. stdout carries nothing but the peer's bytes, so pipes stay clean.
 * @module
 */
import type { Writable } from 'node:stream';
import { formatAddress } from '../../errors.js';
import { neutralizeTerminalText } from '../terminal-text.js';

/** Writes netcat messages to stderr. */
export class NetcatLog {
  readonly #stderr: Writable;
  readonly #verbose: boolean;

  constructor(stderr: Writable, verbose: boolean) {
    this.#stderr = stderr;
    this.#verbose = verbose;
  }

  /** A `-v` message. */
  info(message: string): void {
    if (this.#verbose) this.#write(message);
  }

  /** A message printed whatever the verbosity (a connection failed, a timeout). */
  warn(message: string): void {
    this.#write(message);
  }

  /** The closing statistics line, as ncat prints it with `-v`. */
  stats(sent: number, received: number, startedAt: number): void {
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(2);
    this.info(`${sent} bytes sent, ${received} bytes received in ${seconds} seconds.`);
  }

  /** Error messages can carry what a peer sent (a certificate's names): never raw. */
  #write(message: string): void {
    this.#stderr.write(`socketkit: ${neutralizeTerminalText(message.trim())}\n`);
  }
}

/** A peer for messages: `127.0.0.1:5000`, `[::1]:5000`, or a Unix path (`unnamed` when empty). */
export function describePeer(peer: { address?: string; port?: number; path?: string }): string {
  if (peer.path !== undefined) return peer.path === '' ? 'unnamed Unix socket' : peer.path;
  const address = peer.address?.startsWith('::ffff:') ? peer.address.slice(7) : peer.address;
  return formatAddress({ address, port: peer.port });
}
