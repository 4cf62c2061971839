/**
 * `connect --proxy HOST[:PORT] --proxy-type socks4|socks5|http --proxy-auth USER[:PASS]`,
 * ncat's flags with ncat's meaning (default type http, default ports 1080 for SOCKS and
 * 3128 for HTTP, `--proxy-auth` a user id only for socks4, the credentials also taken
 * from `SOCKETKIT_PROXY_AUTH` as ncat takes `NCAT_PROXY_AUTH`, so they need not sit in
 * the process list), and the connect through the library's `connectThroughProxy` (the
 * one proxy client; relay's `socks5:`/`http-connect:` use it too). Names are sent to
 * the proxy, never resolved here. The credentials are never printed.
 * @module
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../errors.js';
import {
  connectThroughProxy,
  DEFAULT_PROXY_TIMEOUT,
  PROXY_TYPES,
  type ProxyAuth,
  type ProxyType,
} from '../../socket/connect-through-proxy.js';
import type { TlsConnectOptions } from '../../socket/tls-pin.js';
import type { Socket } from '../../socket/tcp-socket.js';
import { CliError, ExitCode } from '../io.js';

/** The proxy flags (commander's camelCase names). */
export interface ProxyFlags {
  proxy?: string;
  proxyType?: string;
  proxyAuth?: string;
}

/** The environment variable that may hold `--proxy-auth`'s value (the flag wins). */
export const PROXY_AUTH_ENV = 'SOCKETKIT_PROXY_AUTH';

/** A proxy to connect through, from the flags. */
export interface ProxyChoice {
  proxy: { host: string; port: number };
  type: ProxyType;
  auth: ProxyAuth | undefined;
}

const usage = (message: string): CliError => new CliError(message, ExitCode.usage);

/** Adds the proxy flags to `cmd`. */
export function addProxyOptions(cmd: Command): Command {
  return cmd
    .option(
      '--proxy <host[:port]>',
      'connect through this proxy (port default: 1080 for SOCKS, 3128 for HTTP; IPv6 in brackets); with --tls, TLS with HOST over the tunnel (--tls-fingerprint pins the certificate of HOST)',
    )
    .option('--proxy-type <type>', 'the proxy protocol: socks4 (with 4a), socks5 or http (default)')
    .option(
      '--proxy-auth <user[:pass]>',
      `proxy credentials (socks5, http: USER:PASS; socks4: a user id); also read from ${PROXY_AUTH_ENV}`,
    );
}

/**
 * The proxy the flags ask for, or null. Usage errors for a type without `--proxy`, a
 * bad address, and what a proxy cannot carry (UDP, Unix sockets). TLS goes through:
 * it is started with the destination over the tunnel (ncat's `--ssl --proxy`).
 */
export function proxyFromFlags(
  flags: ProxyFlags & { udp?: boolean; unixsock?: string },
  env: Record<string, string | undefined>,
): ProxyChoice | null {
  if (flags.proxy === undefined) {
    if (flags.proxyType !== undefined || flags.proxyAuth !== undefined) {
      throw usage('--proxy-type and --proxy-auth need --proxy HOST[:PORT]');
    }
    return null;
  }
  const type = (flags.proxyType ?? 'http').toLowerCase() as ProxyType;
  if (!PROXY_TYPES.includes(type)) {
    throw usage(
      `--proxy-type: unknown type ${JSON.stringify(flags.proxyType)}: expected socks4, socks5 or http`,
    );
  }
  if (flags.udp) throw usage('--proxy carries TCP only: it cannot be used with -u');
  if (flags.unixsock !== undefined) throw usage('--proxy cannot be used with -U');
  const proxy = parseProxyAddress(flags.proxy, type === 'http' ? 3128 : 1080);
  const authText = flags.proxyAuth ?? env[PROXY_AUTH_ENV];
  return { proxy, type, auth: authText === undefined ? undefined : parseAuth(authText, type) };
}

/** `host`, `host:port`, `[v6]`, `[v6]:port`. */
function parseProxyAddress(text: string, defaultPort: number): { host: string; port: number } {
  const bad = (why: string): CliError => usage(`--proxy ${JSON.stringify(text)}: ${why}`);
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1) throw bad('an IPv6 address opened with [ is not closed with ]');
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw bad('expected :PORT after ]');
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colons = text.split(':').length - 1;
    if (colons > 1) throw bad('put an IPv6 address in brackets: [::1]:1080');
    [host, portText] = colons === 1 ? (text.split(':') as [string, string]) : [text, undefined];
  }
  if (host === '') throw bad('no host');
  if (portText === undefined) return { host, port: defaultPort };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) throw bad('the port must be a number from 1 to 65535');
  return { host, port };
}

/** `USER:PASS` (the password may hold colons); socks4: the whole text is the user id. */
function parseAuth(text: string, type: ProxyType): ProxyAuth {
  if (type === 'socks4') return { username: text };
  const colon = text.indexOf(':');
  if (colon === -1) {
    if (type === 'socks5') throw usage('--proxy-auth for socks5 needs USER:PASS');
    return { username: text };
  }
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** ` through socks5 proxy 127.0.0.1:1080` for the verbose "Connected" line (no credentials). */
export function proxyNote(choice: ProxyChoice | null): string {
  if (choice === null) return '';
  const { host, port } = choice.proxy;
  return ` through ${choice.type} proxy ${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** relay's `--proxy-auth USER:PASS` (one value for its socks5:/http-connect: addresses). */
export function relayProxyAuth(text: string | undefined): ProxyAuth | undefined {
  return text === undefined ? undefined : parseAuth(text, 'http');
}

/**
 * Connects to `target` through `choice`, with TLS over the tunnel when `tls` is given
 * (`clientTlsOptions`: verified for `target.host`, or pinned by `--tls-fingerprint`).
 * `timeout` (`-w`) bounds the connect to the proxy, its handshake and the TLS handshake
 * together; without it, {@link DEFAULT_PROXY_TIMEOUT}: a proxy that never answers must
 * not hold the command for ever.
 * @throws {CliError} (usage) for credentials or a destination the protocol cannot carry.
 * @throws {ProxyError} and the `ConnectError`s of the connect to the proxy.
 */
export async function connectViaProxy(
  choice: ProxyChoice,
  target: { host: string; port: number },
  options: {
    family?: 4 | 6 | undefined;
    timeout: number | null;
    signal?: AbortSignal | undefined;
    tls?: TlsConnectOptions | undefined;
  },
): Promise<Socket> {
  try {
    return await connectThroughProxy({
      ...choice,
      host: target.host,
      port: target.port,
      timeout: options.timeout ?? DEFAULT_PROXY_TIMEOUT,
      signal: options.signal,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      ...(options.family === undefined
        ? {}
        : { family: options.family === 4 ? ('IPv4' as const) : ('IPv6' as const) }),
    });
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw usage(`--proxy: ${err.message}`);
    throw err;
  }
}
