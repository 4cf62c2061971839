/**
 * The safety check of `socketkit bench`: a load generator pointed at someone else's
 * host is an attack, so only loopback targets are allowed unless the user says
 * `--allow-remote`.
 * @module
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { HostNotFoundError, InvalidArgumentError } from '../errors.js';

/**
 * True for 127.0.0.0/8, ::1, and IPv4-mapped loopback (`::ffff:127.x.y.z`).
 * Anything that is not an IP literal is not loopback.
 */
export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return address.split('.')[0] === '127';
  if (family === 6) {
    const a = address.toLowerCase();
    if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^(?:0:0:0:0:0|):ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a.replace(/^::/, ':'));
    return mapped?.[1] !== undefined && isLoopbackAddress(mapped[1]);
  }
  return false;
}

/** A resolved target: the address connected to, and its family. */
export interface ResolvedTarget {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves `host` and checks that every address it names is loopback (a name that
 * resolves to loopback and elsewhere is refused: we would not know which one we hit).
 * @throws {InvalidArgumentError} for a non-loopback target without `allowRemote`.
 * @throws {HostNotFoundError} when the name does not resolve.
 */
export async function resolveTarget(host: string, allowRemote: boolean): Promise<ResolvedTarget> {
  let addresses: { address: string; family: number }[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code;
    throw new HostNotFoundError(host, { cause: err, ...(errno ? { errno } : {}) });
  }
  const first = addresses[0];
  if (first === undefined) throw new HostNotFoundError(host);
  if (!allowRemote) {
    const remote = addresses.find((a) => !isLoopbackAddress(a.address));
    if (remote !== undefined) {
      throw new InvalidArgumentError(
        `refusing to load ${host} (${remote.address}): not a loopback address; ` +
          'pass --allow-remote to benchmark a host you own',
      );
    }
  }
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
