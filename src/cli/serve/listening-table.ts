/**
 * The table `socketkit serve` prints on stdout once everything listens: what listens
 * where, and one shell line to try each (every line is run by the CLI smoke test). The
 * lines use socketkit's own clients, so they need nothing installed.
 *
 * ```
 * SERVICE  TRANSPORT  ADDRESS         TRY IT
 * echo     tcp        127.0.0.1:7007  socketkit connect 127.0.0.1 7007
 * echo     udp        127.0.0.1:7007  socketkit connect -u 127.0.0.1 7007
 * ```
 * @module
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '../../services/service.js';
import type { ListenerKind } from './serve-plan.js';

/** One bound listener, with the address the system gave it (port 0 resolved). */
export interface BoundListener {
  service: ServiceDefinition;
  kind: ListenerKind;
  host?: string;
  port?: number;
  path?: string;
}

/** A host a client can dial: the wildcard addresses become loopback. */
export function dialHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '::0') return '::1';
  return host;
}

/** Quotes `word` for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The `TRY IT` command for a listener. */
export function tryItLine(l: BoundListener): string {
  const tryIt = l.service.tryIt?.bind(l.service);
  if (l.kind === 'tcp' || l.kind === 'udp') {
    const host = dialHost(l.host ?? '127.0.0.1');
    return tryIt
      ? tryIt(host, l.port ?? 0, l.kind)
      : `socketkit connect${l.kind === 'udp' ? ' -u' : ''} ${host} ${l.port}`;
  }
  if (l.kind === 'tls') {
    const host = dialHost(l.host ?? '127.0.0.1');
    // A TLS listener's certificate is the operator's (often self-signed, for another
    // name): ncat --ssl does not check it unless asked, where socketkit's clients verify.
    return `ncat --ssl ${host} ${l.port}`;
  }
  // Unix sockets: the service's own Unix line, else its TCP/UDP line with the address
  // swapped for `-U PATH`.
  const path = shellQuote(l.path ?? '');
  const own = l.service.tryItUnix?.(path, l.kind);
  if (own !== undefined) return own;
  const placeholderHost = '127.0.0.1';
  const placeholderPort = 65535;
  const plain = tryIt?.(placeholderHost, placeholderPort, l.kind === 'unix' ? 'tcp' : 'udp');
  const target = `${placeholderHost} ${placeholderPort}`;
  if (plain?.includes(target)) return plain.replace(target, `-U ${path}`);
  return l.kind === 'unix' ? `socketkit connect -U ${path}` : `socketkit connect -u -U ${path}`;
}

/** `127.0.0.1:7007`, `[::1]:7007`, `/tmp/echo.sock`. */
export function formatListenerAddress(l: BoundListener): string {
  if (l.path !== undefined) return l.path;
  const host = l.host ?? '?';
  return `${host.includes(':') ? `[${host}]` : host}:${l.port}`;
}

/** True when `command` is an executable file in one of the `PATH` folders. */
export function onPath(command: string, path: string | undefined): boolean {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

/** Options of {@link renderListeningTable}. */
export interface TableOptions {
  /**
   * Whether `socketkit` is on the PATH. When it is not (a fresh clone run with
   * `npm start`), try-it lines that call `socketkit` call `node /abs/path/bin/socketkit.js`
   * instead, so every printed line works as printed from any folder (`npx socketkit`
   * works only inside the clone, and elsewhere would fetch whatever the registry holds
   * under that name). Default true.
   */
  socketkitOnPath?: boolean;
  /** The bin script to name when `socketkit` is not on the PATH; default this package's. */
  binPath?: string;
  /** More rows after the listeners (the HTTP side's): service, transport, address, try it. */
  extraRows?: readonly string[][];
}

/** This package's `bin/socketkit.js` (from `src/cli/serve/` and `dist/cli/serve/` alike). */
export const ownBinPath: string = fileURLToPath(
  new URL('../../../bin/socketkit.js', import.meta.url),
);

/** The whole table, one line per listener, columns padded; ends with a newline. */
export function renderListeningTable(
  listeners: readonly BoundListener[],
  options: TableOptions = {},
): string {
  const bin = `node ${shellQuote(options.binPath ?? ownBinPath)} `;
  const fix = (line: string): string =>
    options.socketkitOnPath === false
      ? line.replace(/(^|[|;&]\s*)socketkit /g, (_, before: string) => `${before}${bin}`)
      : line;
  const rows = [
    ['SERVICE', 'TRANSPORT', 'ADDRESS', 'TRY IT'],
    ...listeners.map((l) => [l.service.name, l.kind, formatListenerAddress(l), fix(tryItLine(l))]),
    ...(options.extraRows ?? []),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return (
    rows
      .map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c] ?? 0) : cell)).join('  '))
      .join('\n') + '\n'
  );
}

/** The `serve --list` output: every known service, its transports, default port and RFC. */
export function renderServiceList(services: readonly ServiceDefinition[], portOffset = 0): string {
  const rows = [
    ['SERVICE', 'TRANSPORTS', 'PORT', 'RFC', 'DESCRIPTION'],
    ...services.map((s) => [
      s.name,
      s.transports.join('+'),
      String(s.defaultPort + portOffset),
      s.rfc ?? '-',
      s.description + optionsText(s),
    ]),
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return (
    rows
      .map((r) => r.map((cell, c) => (c < 4 ? cell.padEnd(widths[c] ?? 0) : cell)).join('  '))
      .join('\n') + '\n'
  );
}

function optionsText(s: ServiceDefinition): string {
  const flags = (s.options ?? []).map((o) => o.flags);
  return flags.length === 0 ? '' : ` (options: ${flags.join(', ')})`;
}
