/**
 * The hosts database (`/etc/hosts`, hosts(5)): one address per line followed by its
 * canonical name and aliases, `#` starting a comment.
 *
 * ```
 * 127.0.0.1   localhost
 * 192.0.2.7   www.example.test   www         # canonical name, then aliases
 * ```
 *
 * The system resolver already reads this file for `dns.lookup`; socketkit reads it
 * too for what Node's `dns` does not report: the canonical name and aliases that
 * `gethostbyname_ex`/`gethostbyaddr` return, and a reverse look-up when `getnameinfo`
 * finds nothing.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';

/** One line of the hosts file. */
export interface HostsEntry {
  /** The IPv4 or IPv6 address, as written. */
  readonly address: string;
  /** The canonical host name (the first name on the line). */
  readonly hostname: string;
  /** The other names on the line. */
  readonly aliases: readonly string[];
}

/** Parses hosts-file text. Malformed lines (no name, no valid address) are skipped, as glibc does. */
export function parseHostsFile(text: string): HostsEntry[] {
  const entries: HostsEntry[] = [];
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#');
    const line = hash === -1 ? raw : raw.slice(0, hash);
    const fields = line.trim().split(/\s+/);
    const [address, hostname, ...aliases] = fields;
    if (address === undefined || hostname === undefined || isIP(address) === 0) continue;
    entries.push({ address, hostname, aliases });
  }
  return entries;
}

/**
 * Canonical text form of an IP address, so that `::1` matches `0:0:0:0:0:0:0:1`
 * (the WHATWG URL parser serialises IPv6 in the RFC 5952 compressed form).
 */
export function canonicalAddress(address: string): string {
  const zone = address.indexOf('%');
  const bare = zone === -1 ? address : address.slice(0, zone);
  if (isIP(bare) !== 6) return bare;
  try {
    return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    return bare.toLowerCase();
  }
}

/** The first entry for `address`, like glibc's `files` back end for `gethostbyaddr`. */
export function findHostsEntryByAddress(
  entries: readonly HostsEntry[],
  address: string,
): HostsEntry | undefined {
  const want = canonicalAddress(address);
  return entries.find((e) => canonicalAddress(e.address) === want);
}

/** The first entry naming `name` (canonical name or alias, case-insensitive). */
export function findHostsEntryByName(
  entries: readonly HostsEntry[],
  name: string,
  family?: 4 | 6,
): HostsEntry | undefined {
  const want = name.toLowerCase().replace(/\.$/, '');
  return entries.find(
    (e) =>
      (family === undefined || isIP(e.address) === family) &&
      (e.hostname.toLowerCase() === want || e.aliases.some((a) => a.toLowerCase() === want)),
  );
}

const cache = new Map<string, { mtimeMs: number; size: number; entries: HostsEntry[] }>();

/**
 * Reads and parses a hosts file, re-reading only when its mtime or size changed.
 * A missing or unreadable file is an empty database, as for the system resolver.
 */
export async function readHostsFile(path: string): Promise<readonly HostsEntry[]> {
  try {
    const st = await stat(path);
    const hit = cache.get(path);
    if (hit !== undefined && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.entries;
    const entries = parseHostsFile(await readFile(path, 'utf8'));
    cache.set(path, { mtimeMs: st.mtimeMs, size: st.size, entries });
    return entries;
  } catch {
    cache.delete(path);
    return [];
  }
}
