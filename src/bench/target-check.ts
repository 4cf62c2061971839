/**
 * The safety check of `socketkit bench`: a load generator pointed at someone else's
 * host is an attack, so only loopback targets are allowed unless the user says
 * `--allow-remote`.
 * @module
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net, { isIP } from 'node:net';
import { ConnectionRefusedError, HostNotFoundError, InvalidArgumentError } from '../errors.js';

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

/** How long the pre-flight check waits for a sign of life before letting the load run. */
const PREFLIGHT_MS = 250;

/**
 * The pre-flight check: is anything listening at the target? A refused TCP connect, or
 * a refused datagram (the ICMP port-unreachable a connected UDP socket reads as
 * ECONNREFUSED), means nothing is, and a load run would only print a table of errors.
 * One connection (closed at once) or one datagram (`probe`: a request of the mode, so a
 * server sees nothing unusual) is all it costs. Anything else (a reply, a timeout, another
 * error) lets the load run: it measures and reports the rest.
 * @throws {ConnectionRefusedError} when the target refused.
 */
export async function checkListening(
  target: ResolvedTarget,
  port: number,
  transport: 'tcp' | 'udp',
  probe: Uint8Array = new Uint8Array(1),
): Promise<void> {
  let close = (): void => {};
  const refused = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), PREFLIGHT_MS);
    const finish = (isRefused: boolean): void => {
      clearTimeout(timer);
      resolve(isRefused);
    };
    const onError = (err: NodeJS.ErrnoException): void => finish(err.code === 'ECONNREFUSED');
    if (transport === 'tcp') {
      const sock = net.connect({ host: target.address, port, family: target.family });
      sock.once('connect', () => finish(false));
      sock.on('error', onError);
      close = () => sock.destroy();
    } else {
      const sock = dgram.createSocket(target.family === 6 ? 'udp6' : 'udp4');
      sock.once('message', () => finish(false));
      sock.on('error', onError);
      sock.connect(port, target.address, () => sock.send(probe));
      close = () => sock.close();
    }
  });
  close();
  if (refused) {
    throw new ConnectionRefusedError({
      address: target.address,
      port,
      syscall: transport === 'tcp' ? 'connect' : 'send',
    });
  }
}
