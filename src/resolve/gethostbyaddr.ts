/**
 * Reverse look-ups in the style of Python's `socket.gethostbyaddr` and
 * `socket.getfqdn`.
 * @module
 */
import { isIP } from 'node:net';
import { HostNotFoundError, SocketError } from '../errors.js';
import type { HostEntry } from './gethostbyname.js';
import { gethostname } from './gethostbyname.js';
import {
  canonicalAddress,
  findHostsEntryByAddress,
  type HostsEntry,
  readHostsFile,
} from './hosts-file.js';
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

/**
 * RFC 6761 §6.3: the loopback addresses are `localhost`, whatever the hosts file
 * says. systemd's nss-myhostname answers the same way; without it, a hosts file that
 * lacks `::1` would leave `::1` nameless.
 */
function loopbackName(address: string): string | undefined {
  if (address === '::1' || /^127\./.test(address)) return 'localhost';
  return undefined;
}

/** The address to reverse-resolve: `target` itself, or its first address if it is a name. */
async function toAddress(target: string, options: LookupOptions): Promise<string> {
  if (isIP(target) !== 0) return canonicalAddress(target);
  if (target === '' || isInvalidName(target)) throw notFound(target);
  const resolver = options.resolver ?? systemResolver;
  const found = await runLookup(target, 'getaddrinfo', options, () =>
    resolver.lookup(target, { family: 0, all: true, hints: 0, verbatim: true }),
  );
  const first = found[0];
  if (first === undefined) throw notFound(target);
  return canonicalAddress(first.address);
}

function noName(address: string, cause?: unknown): HostNotFoundError {
  const err = new HostNotFoundError(address, { errno: 'ENOTFOUND', syscall: 'getnameinfo', cause });
  err.message = `address ${address} has no host name (no entry in the hosts file and no PTR record)`;
  return err;
}

/**
 * The host name of an address, like Python's `socket.gethostbyaddr(ip)`:
 * `{ hostname, aliases, addresses }`. The system resolver is asked first
 * (`dns.lookupService`, i.e. getnameinfo(3): the hosts file, then a DNS PTR query,
 * per nsswitch.conf); if it knows no name, the hosts file is read directly. Loopback
 * addresses (127.0.0.0/8, `::1`) are answered locally, never by DNS: their hosts file
 * name, else `localhost` (RFC 6761). Aliases are
 * the other names on the hosts file line. A host name is accepted too and resolved
 * to its first address first, as Python does.
 *
 * @throws {HostNotFoundError} when the address has no name (or the name does not resolve).
 * @example
 * ```ts
 * await gethostbyaddr('127.0.0.1'); // { hostname: 'localhost', aliases: [], addresses: ['127.0.0.1'] }
 * await gethostbyaddr('::1'); // { hostname: 'localhost', … }
 * ```
 */
export async function gethostbyaddr(
  address: string,
  options: LookupOptions = {},
): Promise<HostEntry> {
  checkHostArgument(address, 'address');
  checkLookupOptions(options);
  const ip = await toAddress(address, options);
  const hosts = await readHostsFile(options.hostsFile ?? DEFAULT_HOSTS_FILE);
  const fromFile = findHostsEntryByAddress(hosts, ip);
  // A loopback address never leaves the machine: no PTR query for it (RFC 6761 §6.3).
  const loopback = loopbackName(ip);
  const asked = loopback === undefined ? await askResolver(ip, options) : {};
  const hostname = asked.hostname ?? fromFile?.hostname ?? loopback;
  if (hostname === undefined) {
    const failure = asked.failure;
    throw failure instanceof HostNotFoundError && failure.errno === 'EAI_AGAIN'
      ? failure
      : noName(ip, failure);
  }
  return { hostname, aliases: aliasesFor(hostname, ip, hosts, fromFile), addresses: [ip] };
}

/** getnameinfo(3) through `dns.lookupService`: the name, or why there is none. */
async function askResolver(
  ip: string,
  options: LookupOptions,
): Promise<{ hostname?: string; failure?: SocketError }> {
  try {
    const resolver = options.resolver ?? systemResolver;
    const found = await runLookup(ip, 'getnameinfo', options, () => resolver.lookupService(ip, 0));
    // getnameinfo without NI_NAMEREQD hands back the numeric address when it knows no name.
    return isIP(found.hostname) === 0 ? { hostname: found.hostname } : {};
  } catch (err) {
    if (!(err instanceof SocketError)) throw err; // aborted by the caller
    return { failure: err };
  }
}
/** The other names the hosts file gives the host, as glibc's `files` back end reports them. */
function aliasesFor(
  hostname: string,
  ip: string,
  hosts: readonly HostsEntry[],
  first: HostsEntry | undefined,
): string[] {
  const want = canonicalAddress(ip);
  const line =
    hosts.find((e) => canonicalAddress(e.address) === want && e.hostname === hostname) ??
    (first?.hostname === hostname ? first : undefined);
  return line === undefined ? [] : [...line.aliases];
}

/**
 * A fully qualified domain name for `name`, with Python's `socket.getfqdn` algorithm:
 * an empty name, `0.0.0.0` or `::` means this host; the name is reverse-resolved,
 * and the first of the primary name and aliases that contains a dot is returned,
 * else the primary name; if the look-up fails, `name` itself.
 *
 * @example
 * ```ts
 * await getfqdn(); // e.g. 'vm.example.com', or 'localhost' on a machine without a domain
 * await getfqdn('127.0.0.1'); // 'localhost'
 * ```
 */
export async function getfqdn(name = '', options: LookupOptions = {}): Promise<string> {
  checkHostArgument(name, 'name');
  checkLookupOptions(options);
  let target = name.trim();
  if (target === '' || target === '0.0.0.0' || target === '::') target = gethostname();
  let entry: HostEntry;
  try {
    entry = await gethostbyaddr(target, options);
  } catch (err) {
    if (err instanceof SocketError) return target;
    throw err;
  }
  for (const candidate of [entry.hostname, ...entry.aliases]) {
    if (candidate.includes('.')) return candidate;
  }
  return entry.hostname;
}
