/**
 * Forward look-ups in the style of Python's `socket` module: `gethostname`,
 * `gethostbyname` (the first IPv4 address) and `gethostbynameEx` (canonical name,
 * aliases and every IPv4 address). Addresses come from the system resolver
 * (`dns.lookup`, i.e. getaddrinfo(3): `/etc/hosts`, then DNS, per nsswitch.conf);
 * canonical names and aliases, which Node does not report, from the hosts file.
 * @module
 */
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { InvalidArgumentError } from '../errors.js';
import { findHostsEntryByName, readHostsFile } from './hosts-file.js';
import {
  checkHostArgument,
  checkLookupOptions,
  DEFAULT_HOSTS_FILE,
  isInvalidName,
  type LookupOptions,
  notFound,
  runLookup,
  systemResolver,
} from './lookup-options.js';

/** What `gethostbynameEx` and `gethostbyaddr` return: Python's `(hostname, aliaslist, ipaddrlist)`. */
export interface HostEntry {
  /** The primary (canonical) host name. */
  hostname: string;
  /** Other names of the same host (may be empty). */
  aliases: string[];
  /** The host's addresses (IPv4 for `gethostbynameEx`, the queried one for `gethostbyaddr`). */
  addresses: string[];
}

/**
 * The machine's host name, like Python's `socket.gethostname()`. Synchronous, as
 * `os.hostname()` is.
 * @example
 * ```ts
 * gethostname(); // 'vm'
 * ```
 */
export function gethostname(): string {
  return osHostname();
}

/** Python's special host strings: `''` is INADDR_ANY and `'<broadcast>'` INADDR_BROADCAST. */
function specialIPv4(name: string): string | undefined {
  if (name === '') return '0.0.0.0';
  if (name === '<broadcast>') return '255.255.255.255';
  if (isIP(name) === 4) return name;
  return undefined;
}

/** Every IPv4 address of `name`, in resolver order, without duplicates. */
async function ipv4Addresses(name: string, options: LookupOptions): Promise<string[]> {
  if (isInvalidName(name)) throw notFound(name);
  const resolver = options.resolver ?? systemResolver;
  const found = await runLookup(name, 'getaddrinfo', options, () =>
    resolver.lookup(name, { family: 4, all: true, hints: 0, verbatim: true }),
  );
  const addresses = [...new Set(found.map((a) => a.address))];
  if (addresses.length === 0) throw notFound(name);
  return addresses;
}

/**
 * The first IPv4 address of a host, like Python's `socket.gethostbyname(name)`.
 * An IPv4 literal is returned as is; `''` gives `0.0.0.0`, as in Python.
 *
 * @throws {HostNotFoundError} when the name does not resolve (or `.invalid`, or timeout).
 * @throws {InvalidArgumentError} when `name` is not a string or is an IPv6 literal.
 * @example
 * ```ts
 * await gethostbyname(gethostname()); // the local IP, seed S11
 * await gethostbyname('localhost'); // '127.0.0.1'
 * ```
 */
export async function gethostbyname(name: string, options: LookupOptions = {}): Promise<string> {
  checkHostArgument(name);
  checkLookupOptions(options);
  const literal = specialIPv4(name);
  if (literal !== undefined) return literal;
  if (isIP(name) === 6) throw ipv6Literal(name);
  const [first] = await ipv4Addresses(name, options);
  return first as string;
}

/**
 * A host's canonical name, aliases and IPv4 addresses, like Python's
 * `socket.gethostbyname_ex(name)`. The canonical name and aliases come from the
 * hosts file line naming the host; for a host known only to DNS the name is
 * returned as given (Node exposes no CNAME chain from getaddrinfo).
 *
 * @throws {HostNotFoundError} when the name does not resolve.
 * @example
 * ```ts
 * await gethostbynameEx('localhost'); // { hostname: 'localhost', aliases: [], addresses: ['127.0.0.1'] }
 * ```
 */
export async function gethostbynameEx(
  name: string,
  options: LookupOptions = {},
): Promise<HostEntry> {
  checkHostArgument(name);
  checkLookupOptions(options);
  const literal = specialIPv4(name);
  if (literal !== undefined) return { hostname: name, aliases: [], addresses: [literal] };
  if (isIP(name) === 6) throw ipv6Literal(name);
  const addresses = await ipv4Addresses(name, options);
  const hosts = await readHostsFile(options.hostsFile ?? DEFAULT_HOSTS_FILE);
  const entry = findHostsEntryByName(hosts, name, 4);
  if (entry !== undefined && addresses.includes(entry.address)) {
    return { hostname: entry.hostname, aliases: [...entry.aliases], addresses };
  }
  return { hostname: name, aliases: [], addresses };
}

/** gethostbyname is IPv4-only, as in Python: point to the call that handles IPv6. */
function ipv6Literal(name: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `${name} is an IPv6 address: gethostbyname() and gethostbynameEx() return IPv4 only; use getaddrinfo() for IPv6`,
  );
}
