/**
 * The services database (`/etc/services`, services(5)): a service name, `port/protocol`,
 * then aliases, `#` starting a comment.
 *
 * ```
 * discard     9/tcp       sink null
 * http        80/tcp      www          # WorldWideWeb HTTP
 * ```
 *
 * Parsed once and cached (re-read when the file changes); when the file is missing,
 * the built-in table of well-known services stands in for it.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { WELL_KNOWN_SERVICES } from './well-known-services.js';

/** One line of the services database. */
export interface ServiceEntry {
  /** The official service name (`http`). */
  readonly name: string;
  readonly port: number;
  /** The protocol, lower case (`tcp`, `udp`, `sctp`, …). */
  readonly protocol: string;
  /** Other names for the service (`www`). */
  readonly aliases: readonly string[];
}

/** A parsed services database and where it came from. */
export interface ServicesDatabase {
  readonly entries: readonly ServiceEntry[];
  /** The file read, or `builtin` when the file was missing and the built-in table is used. */
  readonly source: string;
}

/** The default services database. */
export const DEFAULT_SERVICES_FILE = '/etc/services';

/** Parses services-file text; malformed lines are skipped, as glibc does. */
export function parseServicesFile(text: string): ServiceEntry[] {
  const entries: ServiceEntry[] = [];
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#');
    const line = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    if (line === '') continue;
    const [name, portProto, ...aliases] = line.split(/\s+/);
    const m = /^(\d{1,5})\/([A-Za-z0-9_-]+)$/.exec(portProto ?? '');
    if (name === undefined || m === null) continue;
    const port = Number(m[1]);
    if (port > 65535) continue;
    entries.push({ name, port, protocol: (m[2] ?? '').toLowerCase(), aliases });
  }
  return entries;
}

let builtin: ServicesDatabase | undefined;

/** The built-in table of well-known services. */
export function builtinServices(): ServicesDatabase {
  builtin ??= { entries: parseServicesFile(WELL_KNOWN_SERVICES), source: 'builtin' };
  return builtin;
}

const cache = new Map<string, { mtimeMs: number; size: number; db: ServicesDatabase }>();

/**
 * Reads the services database at `path`, cached until the file changes. A missing or
 * unreadable file yields the built-in table (`source: 'builtin'`).
 */
export async function readServicesFile(
  path: string = DEFAULT_SERVICES_FILE,
): Promise<ServicesDatabase> {
  try {
    const st = await stat(path);
    const hit = cache.get(path);
    if (hit !== undefined && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.db;
    const db: ServicesDatabase = {
      entries: parseServicesFile(await readFile(path, 'utf8')),
      source: path,
    };
    cache.set(path, { mtimeMs: st.mtimeMs, size: st.size, db });
    return db;
  } catch {
    cache.delete(path);
    return builtinServices();
  }
}
