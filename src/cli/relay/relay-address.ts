/**
 * The addresses of `socketkit relay ADDRESS ADDRESS`: socat's idea with readable names.
 * `parseRelayAddress` turns one argument into a typed {@link RelayAddress}, or a usage
 * error that says what was expected.
 *
 * ```
 *  tcp:HOST:PORT        tcp-listen:[HOST:]PORT    (HOST default 127.0.0.1: loopback)
 *  tls:HOST:PORT        tls-listen:[HOST:]PORT    (--tls-cert/--tls-key)
 *  udp:HOST:PORT        udp-listen:[HOST:]PORT    (one session per client address)
 *  unix:PATH            unix-listen:PATH          unix-dgram:PATH
 *  stdio (or -)         exec:COMMAND (--allow-exec; argv, never a shell)
 *  file:PATH            (first address: read; second: appended to, created 0600)
 *  IPv6 hosts in brackets: tcp:[::1]:7, tcp-listen:[::]:8080
 * ```
 *
 * Every address is either a *listening* one (the relay accepts clients on it and opens
 * the other address once per client) or a *client* one (opened as it is). A stream
 * client that goes through a proxy (`http-connect:PROXYHOST:PROXYPORT:HOST:PORT`,
 * `socks5:PROXYHOST:PROXYPORT:HOST:PORT`) is a `tcp` client address with a `via` hop: the
 * relay engine never sees the difference, only the opener does (see `open-address.ts`).
 * @module
 */
import { CliError, ExitCode } from '../io.js';
import { splitCommand } from './split-command.js';

/** A host and port (`host` without brackets). */
export interface HostPort {
  host: string;
  port: number;
}

/** A proxy hop a stream client goes through (HOST is sent to the proxy as a name). */
export interface ProxyHop extends HostPort {
  type: 'socks5' | 'http-connect';
}

/** One parsed relay address. `text` is the argument as given (for logs). */
export type RelayAddress = { text: string } & (
  | { kind: 'tcp'; target: HostPort; via?: ProxyHop }
  | { kind: 'tls'; target: HostPort }
  | { kind: 'udp'; target: HostPort }
  | { kind: 'unix'; path: string }
  | { kind: 'unix-dgram'; path: string }
  | { kind: 'stdio' }
  | { kind: 'exec'; argv: string[] }
  | { kind: 'file'; path: string }
  | { kind: 'tcp-listen'; bind: HostPort }
  | { kind: 'tls-listen'; bind: HostPort }
  | { kind: 'udp-listen'; bind: HostPort }
  | { kind: 'unix-listen'; path: string }
);

/** The kinds that accept clients. */
export type ListenAddress = Extract<
  RelayAddress,
  { kind: 'tcp-listen' | 'tls-listen' | 'udp-listen' | 'unix-listen' }
>;
/** The kinds that are opened as they are. */
export type ClientAddress = Exclude<RelayAddress, ListenAddress>;

/** True for an address that accepts clients. */
export function isListenAddress(address: RelayAddress): address is ListenAddress {
  return address.kind.endsWith('-listen');
}

/** Where a listening address binds when it names no host: loopback only. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

const usage = (message: string): CliError => new CliError(message, ExitCode.usage);

/** The address kinds and the shape of what follows `KIND:`, for messages. */
const SYNTAX: Record<string, string> = {
  tcp: 'tcp:HOST:PORT',
  tls: 'tls:HOST:PORT',
  udp: 'udp:HOST:PORT',
  unix: 'unix:PATH',
  'unix-dgram': 'unix-dgram:PATH',
  exec: 'exec:COMMAND',
  file: 'file:PATH',
  'tcp-listen': 'tcp-listen:[HOST:]PORT',
  'tls-listen': 'tls-listen:[HOST:]PORT',
  'udp-listen': 'udp-listen:[HOST:]PORT',
  'unix-listen': 'unix-listen:PATH',
  socks5: 'socks5:PROXYHOST:PROXYPORT:HOST:PORT',
  'http-connect': 'http-connect:PROXYHOST:PROXYPORT:HOST:PORT',
  stdio: 'stdio',
};

/** The address kinds, for help texts and "did you mean". */
export const RELAY_ADDRESS_SYNTAX: readonly string[] = Object.values(SYNTAX);

/**
 * Parses one relay address.
 * @throws {CliError} (usage) naming the expected syntax.
 */
export function parseRelayAddress(text: string): RelayAddress {
  if (text === 'stdio' || text === '-' || text.toLowerCase() === 'stdio') {
    return { text, kind: 'stdio' };
  }
  const colon = text.indexOf(':');
  const kind = (colon === -1 ? text : text.slice(0, colon)).toLowerCase();
  const rest = colon === -1 ? '' : text.slice(colon + 1);
  const syntax = SYNTAX[kind];
  if (syntax === undefined) {
    throw usage(
      `unknown relay address ${JSON.stringify(text)}: expected one of ${RELAY_ADDRESS_SYNTAX.join(', ')}`,
    );
  }
  if (colon === -1 || rest === '') throw usage(`${kind}: needs ${syntax}`);
  const bad = (why: string): CliError =>
    usage(`bad address ${JSON.stringify(text)}: ${why} (expected ${syntax})`);
  switch (kind) {
    case 'tcp':
    case 'tls':
    case 'udp': {
      const [target, left] = readHostPort(rest, false, bad);
      if (left !== '') throw bad(`unexpected ${JSON.stringify(left)} after the port`);
      return { text, kind, target };
    }
    case 'tcp-listen':
    case 'tls-listen':
    case 'udp-listen':
      return { text, kind, bind: readBind(rest, bad) };
    case 'unix':
    case 'unix-dgram':
    case 'unix-listen':
    case 'file':
      return { text, kind, path: rest };
    case 'exec': {
      let argv: string[];
      try {
        argv = splitCommand(rest);
      } catch (err) {
        throw bad(err instanceof Error ? err.message : String(err));
      }
      if (argv.length === 0) throw bad('no command');
      return { text, kind, argv };
    }
    case 'socks5':
    case 'http-connect': {
      const [proxy, left] = readHostPort(rest, false, bad);
      if (left === '') throw bad('no destination after the proxy');
      const [target, after] = readHostPort(left, false, bad);
      if (after !== '') throw bad(`unexpected ${JSON.stringify(after)} after the port`);
      return { text, kind: 'tcp', target, via: { type: kind, ...proxy } };
    }
    default:
      throw bad('not understood');
  }
}

/**
 * Reads `HOST:PORT` (`[V6]:PORT`) from the start of `text`.
 * @returns the host and port, and what follows the port after a `:` ('' when nothing).
 */
function readHostPort(
  text: string,
  allowZero: boolean,
  bad: (why: string) => CliError,
): [HostPort, string] {
  let host: string;
  let after: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) throw bad('an IPv6 address opened with [ is not closed with ]');
    host = text.slice(1, close);
    if (text[close + 1] !== ':') throw bad('a port must follow ]:');
    after = text.slice(close + 2);
  } else {
    const colon = text.indexOf(':');
    if (colon === -1) throw bad('no port');
    host = text.slice(0, colon);
    after = text.slice(colon + 1);
  }
  if (host === '') throw bad('no host');
  const colon = after.indexOf(':');
  const portText = colon === -1 ? after : after.slice(0, colon);
  const port = parsePortText(portText, allowZero, bad);
  return [{ host, port }, colon === -1 ? '' : after.slice(colon + 1)];
}

/** `[HOST:]PORT` of a listening address; the host defaults to loopback. */
function readBind(text: string, bad: (why: string) => CliError): HostPort {
  if (/^\d+$/.test(text)) {
    return { host: DEFAULT_LISTEN_HOST, port: parsePortText(text, true, bad) };
  }
  const [bind, left] = readHostPort(text, true, bad);
  if (left !== '')
    throw bad(
      `unexpected ${JSON.stringify(left)} after the port (IPv6 hosts go in brackets: [::1]:PORT)`,
    );
  return bind;
}

function parsePortText(text: string, allowZero: boolean, bad: (why: string) => CliError): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535 || (!allowZero && port === 0)) {
    throw bad(
      `bad port ${JSON.stringify(text)}: expected a number from ${allowZero ? 0 : 1} to 65535 (IPv6 hosts go in brackets: [::1]:PORT)`,
    );
  }
  return port;
}
