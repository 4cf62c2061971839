/**
 * Service name ↔ port look-ups, like Python's `socket.getservbyname` and
 * `socket.getservbyport`, from the system's services database.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { checkPort } from '../internal/check-option.js';
import { DEFAULT_SERVICES_FILE, readServicesFile, type ServiceEntry } from './services-file.js';

/** Options for service look-ups. */
export interface ServiceLookupOptions {
  /** The services database to read. Default `/etc/services` (the built-in table if missing). */
  servicesFile?: string;
}

function checkProtocol(protocol: unknown): string | undefined {
  if (protocol === undefined || protocol === null) return undefined;
  if (typeof protocol !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(protocol)) {
    throw new InvalidArgumentError(
      `protocol must be a protocol name such as 'tcp' or 'udp', got ${JSON.stringify(protocol)}`,
    );
  }
  return protocol.toLowerCase();
}

function where(options: ServiceLookupOptions, source: string): string {
  return source === 'builtin'
    ? `the built-in table (${options.servicesFile ?? DEFAULT_SERVICES_FILE} is missing)`
    : source;
}

/**
 * The first services-database entry for a service name or alias (case-insensitive),
 * with `protocol` if given.
 * @throws {InvalidArgumentError} when the name is malformed or not in the database.
 */
export async function getServiceEntry(
  name: string,
  protocol?: string | null,
  options: ServiceLookupOptions = {},
): Promise<ServiceEntry> {
  if (typeof name !== 'string' || name === '' || /\s|\//.test(name)) {
    throw new InvalidArgumentError(
      `service name must be a non-empty word such as 'http', got ${JSON.stringify(name)}`,
    );
  }
  const proto = checkProtocol(protocol);
  const db = await readServicesFile(options.servicesFile);
  const want = name.toLowerCase();
  const found = db.entries.find(
    (e) =>
      (proto === undefined || e.protocol === proto) &&
      (e.name.toLowerCase() === want || e.aliases.some((a) => a.toLowerCase() === want)),
  );
  if (found === undefined) {
    throw new InvalidArgumentError(
      `unknown service ${JSON.stringify(name)}${proto === undefined ? '' : ` for protocol ${proto}`}: not listed in ${where(options, db.source)}; give a port number instead`,
    );
  }
  return found;
}

/**
 * The port of a service, like Python's `socket.getservbyname(name, proto)`.
 *
 * @param name a service name or alias: `'http'`, `'www'`, `'ssh'`.
 * @param protocol `'tcp'`, `'udp'`, …; omitted: the first entry of any protocol.
 * @throws {InvalidArgumentError} when the service is unknown (for that protocol).
 * @example
 * ```ts
 * await getservbyname('ssh', 'tcp'); // 22
 * ```
 */
export async function getservbyname(
  name: string,
  protocol?: string | null,
  options: ServiceLookupOptions = {},
): Promise<number> {
  return (await getServiceEntry(name, protocol, options)).port;
}

/**
 * The service name of a port, like Python's `socket.getservbyport(port, proto)`.
 *
 * @param protocol `'tcp'`, `'udp'`, …; omitted: the first entry of any protocol.
 * @throws {InvalidArgumentError} when the port is out of range or has no service name.
 * @example
 * ```ts
 * await getservbyport(80); // 'http'
 * await getservbyport(9, 'udp'); // 'discard'
 * ```
 */
export async function getservbyport(
  port: number,
  protocol?: string | null,
  options: ServiceLookupOptions = {},
): Promise<string> {
  checkPort(port);
  const proto = checkProtocol(protocol);
  const db = await readServicesFile(options.servicesFile);
  const found = db.entries.find(
    (e) => e.port === port && (proto === undefined || e.protocol === proto),
  );
  if (found === undefined) {
    throw new InvalidArgumentError(
      `no service is registered for port ${port}${proto === undefined ? '' : `/${proto}`} in ${where(options, db.source)}`,
    );
  }
  return found.name;
}
