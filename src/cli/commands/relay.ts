/**
 * `socketkit relay ADDRESS ADDRESS` — socat's bidirectional relay with readable address
 * names (`tcp-listen:8080 tcp:127.0.0.1:80`, `tls-listen:8443 tcp:127.0.0.1:80`,
 * `unix-listen:/tmp/s tcp:…`, `udp-listen:5353 udp:…`, `stdio`, `exec:`, `file:`).
 * With a listening address every client gets its own relay to a fresh opening of the
 * other address (`--max-connections`, `--allow`/`--deny`, `--idle-timeout`, UDP sessions
 * with `--udp-timeout`); without one, both addresses are opened and relayed once.
 * Half-close both ways, backpressure end to end, resets passed on as resets. The
 * addresses are parsed in `relay/relay-address.ts`, opened in `relay/open-address.ts`,
 * and relayed by the library's one relay engine (`relayPair`, `socket/relay-pair.ts`) on
 * its `Socket`, `Listener` and `DatagramSocket`.
 * @module
 */
import { fstatSync, type Stats, statSync } from 'node:fs';
import { Command } from 'commander';
import { InvalidArgumentError } from '../../errors.js';
import { encodeProxyHeader } from '../../framing/proxy-header.js';
import { AccessList } from '../../server/access-list.js';
import { relayPair, type RelayResult } from '../../socket/relay-pair.js';
import { DEFAULT_HANDSHAKE_TIMEOUT, type TlsServerOptions } from '../../socket/tls-server.js';
import type { TlsConnectOptions } from '../../socket/tls-pin.js';
import { clientTlsOptions, readPem } from '../client-tls.js';
import { CliError, type CliIO, ExitCode } from '../io.js';
import { durationFlag, positiveIntFlag } from '../netcat/netcat-options.js';
import { PROXY_AUTH_ENV, relayProxyAuth } from '../netcat/proxy-options.js';
import { DatagramEnd } from '../relay/datagram-end.js';
import { NodeStreamEnd } from '../relay/node-stream-end.js';
import { type OpenContext, openClient } from '../relay/open-address.js';
import type { PeerAddress } from '../../socket/address.js';
import {
  type ClientAddress,
  isListenAddress,
  parseRelayAddress,
  type RelayAddress,
} from '../relay/relay-address.js';
import type { RelayEnd } from '../relay/relay-end.js';
import { RelayLog } from '../relay/relay-log.js';
import { serveRelay } from '../relay/relay-server.js';
import type { CommandFactory } from './index.js';

/** Clients relayed at once by a listening address (UDP: sessions), unless --max-connections. */
export const DEFAULT_MAX_CONNECTIONS = 100;
/** Seconds a UDP session lives without traffic, unless --udp-timeout. */
export const DEFAULT_UDP_TIMEOUT = 60;
/** Seconds a stream connect (with its TLS handshake) may take, unless --connect-timeout. */
export const DEFAULT_CONNECT_TIMEOUT = 10;

/** The flags of `socketkit relay` (commander's camelCase names). */
interface RelayFlags {
  maxConnections?: string;
  idleTimeout?: string;
  udpTimeout?: string;
  connectTimeout?: string;
  proxyAuth?: string;
  allow?: string[];
  deny?: string[];
  allowExec?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsServername?: string;
  tlsInsecure?: boolean;
  tlsFingerprint?: string;
  handshakeTimeout?: string;
  proxyProtocol?: string;
  verbose?: boolean;
}

const EXAMPLES = `
Addresses:
  tcp:HOST:PORT          tcp-listen:[HOST:]PORT   (listening addresses bind 127.0.0.1 unless
  tls:HOST:PORT          tls-listen:[HOST:]PORT    a HOST is given: tcp-listen:0.0.0.0:8080)
  udp:HOST:PORT          udp-listen:[HOST:]PORT   (one session per client address)
  unix:PATH              unix-listen:PATH         unix-dgram:PATH
  stdio (or -)           exec:COMMAND (with --allow-exec; split into argv, never a shell)
  file:PATH              (first address: read and sent; second: appended to, created 0600)
  http-connect:PROXYHOST:PROXYPORT:HOST:PORT   (a TCP client through an HTTP proxy)
  socks5:PROXYHOST:PROXYPORT:HOST:PORT         (… through a SOCKS5 proxy; --proxy-auth)
  IPv6 hosts go in brackets: tcp:[::1]:7, tcp-listen:[::]:8080

Examples:
  $ socketkit relay tcp-listen:8080 tcp:127.0.0.1:80          # port forwarding
  $ socketkit relay tls-listen:8443 tcp:127.0.0.1:80 --tls-cert cert.pem --tls-key key.pem
  $ socketkit relay tcp-listen:8080 tls:example.test:443      # TLS origination (verified)
  $ socketkit relay tcp-listen:8080 tls:127.0.0.1:8443 --tls-fingerprint AB:CD:…   # pinned (listen --tls prints it)
  $ socketkit relay tcp-listen:6380 unix:/run/redis.sock      # a Unix socket on loopback TCP
  $ socketkit relay unix-listen:/tmp/web.sock tcp:127.0.0.1:80
  $ socketkit relay udp-listen:5353 udp:127.0.0.1:53          # UDP forwarding
  $ socketkit relay stdio tcp:127.0.0.1:7                     # like connect
  $ socketkit relay --allow-exec tcp-listen:7000 'exec:cat -n'
  $ socketkit relay tcp-listen:2222 socks5:127.0.0.1:1080:git.test:22   # HOST resolved by the proxy
  $ socketkit relay --proxy-protocol v2 tcp-listen:8080 tcp:127.0.0.1:80  # tell the server who connected

docs/relay.md has these recipes next to their socat equivalents.

Exit status: 0 success, 1 failure (a connection failed or was reset), 2 usage error,
130 interrupted (how a listening relay ends).`;

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Splits repeated, comma-separated option values into entries. */
function entries(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function accessList(flags: RelayFlags): AccessList {
  try {
    return new AccessList({ allow: entries(flags.allow), deny: entries(flags.deny) });
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new CliError(`--${err.message}`, ExitCode.usage);
    throw err;
  }
}

/** `tls-listen:`'s certificate, as `listen --tls` takes it. */
function serverTls(flags: RelayFlags): Omit<TlsServerOptions, 'allowHalfOpen'> {
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) {
    throw new CliError(
      'tls-listen: needs --tls-cert FILE and --tls-key FILE (PEM); make a self-signed pair with: openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -subj /CN=localhost -keyout key.pem -out cert.pem',
      ExitCode.usage,
    );
  }
  const handshakeTimeout =
    durationFlag(flags.handshakeTimeout, '--handshake-timeout') ?? DEFAULT_HANDSHAKE_TIMEOUT;
  return {
    cert: readPem(flags.tlsCert, '--tls-cert'),
    key: readPem(flags.tlsKey, '--tls-key'),
    handshakeTimeout,
  };
}

/** Checks the pair of addresses against each other and the flags (usage errors). */
function checkAddresses(first: RelayAddress, second: RelayAddress, flags: RelayFlags): void {
  if (isListenAddress(first) && isListenAddress(second)) {
    throw new CliError(
      `two listening addresses (${first.text}, ${second.text}): a relay accepts on one and connects with the other`,
      ExitCode.usage,
    );
  }
  for (const a of [first, second]) {
    if (a.kind === 'exec' && flags.allowExec !== true) {
      throw new CliError(
        `${a.text}: exec: runs a program for every client; say so with --allow-exec`,
        ExitCode.usage,
      );
    }
  }
  if (first.kind === 'stdio' && second.kind === 'stdio') {
    throw new CliError('stdio twice: there is only one standard input', ExitCode.usage);
  }
  const tlsUsed = [first, second].some((a) => a.kind === 'tls');
  const tlsListen = [first, second].some((a) => a.kind === 'tls-listen');
  if (
    !tlsUsed &&
    (flags.tlsCa !== undefined ||
      flags.tlsServername !== undefined ||
      flags.tlsInsecure ||
      flags.tlsFingerprint !== undefined)
  ) {
    throw new CliError(
      '--tls-ca, --tls-servername, --tls-insecure and --tls-fingerprint apply to a tls: address',
      ExitCode.usage,
    );
  }
  if (!tlsListen && (flags.tlsCert !== undefined || flags.tlsKey !== undefined)) {
    throw new CliError('--tls-cert and --tls-key apply to a tls-listen: address', ExitCode.usage);
  }
}

/** The file behind a side that is read: `file:` as the first address, or stdin redirected from one. */
function readFileOf(address: RelayAddress, io: CliIO): Stats | null {
  if (address.kind === 'file') return statOrNull(() => statSync(address.path));
  if (address.kind === 'stdio') return fdFile(io.stdin);
  return null;
}

/** The file behind a side that is appended to: `file:` as the second address, or stdout redirected to one. */
function writeFileOf(address: RelayAddress, io: CliIO): Stats | null {
  if (address.kind === 'file') return statOrNull(() => statSync(address.path));
  if (address.kind === 'stdio') return fdFile(io.stdout);
  return null;
}

/** A stream's file, when it is a process descriptor redirected to a regular file. */
function fdFile(stream: unknown): Stats | null {
  const fd = (stream as { fd?: unknown }).fd;
  return typeof fd === 'number' ? statOrNull(() => fstatSync(fd)) : null;
}

function statOrNull(get: () => Stats): Stats | null {
  try {
    const st = get();
    return st.isFile() ? st : null;
  } catch {
    return null; // no such file (yet): it cannot be the other one
  }
}

/**
 * Refuses to read a file while appending what is read to that same file (`file:x file:x`,
 * `relay stdio file:x < x`): each byte appended is read again, and the copy grows until
 * the disk is full. `cat` refuses the same ("input file is output file").
 */
function checkNotSameFile(first: RelayAddress, second: RelayAddress, io: CliIO): void {
  // What the first address reads goes to the second (a second file: is only appended to,
  // and what comes back to a first file: is discarded): the one direction that can loop.
  const read = readFileOf(first, io);
  const written = read === null ? null : writeFileOf(second, io);
  if (read !== null && written !== null && read.dev === written.dev && read.ino === written.ino) {
    throw new CliError(
      `${first.kind === 'stdio' ? 'stdin' : first.text} and ${second.kind === 'stdio' ? 'stdout' : second.text} are the same file: what is read would be appended to it and read again, without end`,
      ExitCode.usage,
    );
  }
}

/**
 * `--proxy-protocol v1|v2`: the version, after checking the addresses can carry it (a
 * stream listening address relayed to a stream client address, or with v2 `udp-listen:`
 * relayed to `udp:`: the header before every datagram); null without the flag.
 */
function proxyProtocolVersion(
  flags: RelayFlags,
  first: RelayAddress,
  second: RelayAddress,
): 1 | 2 | null {
  if (flags.proxyProtocol === undefined) return null;
  const version = flags.proxyProtocol === 'v1' ? 1 : flags.proxyProtocol === 'v2' ? 2 : null;
  if (version === null) {
    throw new CliError(
      `--proxy-protocol must be v1 or v2, got ${JSON.stringify(flags.proxyProtocol)}`,
      ExitCode.usage,
    );
  }
  const listening = isListenAddress(first) ? first : isListenAddress(second) ? second : null;
  const other = listening === first ? second : first;
  if (listening?.kind === 'udp-listen' && other.kind === 'udp') {
    if (version === 1) {
      throw new CliError(
        '--proxy-protocol v1 is a text line for streams: udp-listen: to udp: takes v2 (a header before every datagram)',
        ExitCode.usage,
      );
    }
    return version;
  }
  if (
    listening === null ||
    listening.kind === 'udp-listen' ||
    !['tcp', 'tls', 'unix'].includes(other.kind)
  ) {
    throw new CliError(
      '--proxy-protocol needs a tcp-listen:, tls-listen: or unix-listen: address relayed to a tcp:, tls:, unix:, socks5: or http-connect: address (or, v2 only, udp-listen: relayed to udp:)',
      ExitCode.usage,
    );
  }
  return version;
}

/** Says what a read-only `file:` discarded (the bytes the other side sent back). */
/**
 * The PROXY header for one client of a listening relay: its address, the address it
 * reached, and in v2 the server name a `tls-listen:` client asked for (SNI) as AUTHORITY.
 */
function proxyHeaderFor(
  version: 1 | 2,
  client: {
    peer: PeerAddress;
    local: () => PeerAddress | null;
    servername: () => string | undefined;
  },
  datagram: boolean,
): Buffer {
  const servername = version === 2 ? client.servername() : undefined;
  return encodeProxyHeader(version, {
    source: client.peer,
    destination: client.local(),
    transport: datagram ? 'dgram' : 'stream',
    ...(servername !== undefined ? { tlvs: { authority: servername } } : {}),
  });
}

function reportDiscarded(log: RelayLog, end: RelayEnd | null): void {
  if (end instanceof NodeStreamEnd && end.discarded > 0) {
    log.warn(`${end.label} is read-only: discarded the ${end.discarded} bytes sent back to it`);
  }
  if (end instanceof DatagramEnd && end.dropped > 0) {
    log.warn(
      `${end.label}: ${end.dropped} datagrams dropped: too long to go whole with the PROXY header`,
    );
  }
}

function exitCodeOf(result: RelayResult | null, io: CliIO): number {
  if (io.signal.aborted || result === null || result.end === 'aborted') return ExitCode.interrupted;
  return result.end === 'error' ? ExitCode.failure : ExitCode.ok;
}

async function runRelay(
  io: CliIO,
  firstText: string,
  secondText: string,
  flags: RelayFlags,
): Promise<number> {
  const first = parseRelayAddress(firstText);
  const second = parseRelayAddress(secondText);
  checkAddresses(first, second, flags);
  if (!isListenAddress(first) && !isListenAddress(second)) checkNotSameFile(first, second, io);
  const proxyVersion = proxyProtocolVersion(flags, first, second);
  const maxConnections = positiveIntFlag(
    flags.maxConnections,
    '--max-connections',
    DEFAULT_MAX_CONNECTIONS,
  );
  const idleTimeout = durationFlag(flags.idleTimeout, '--idle-timeout');
  const udpTimeout = durationFlag(flags.udpTimeout, '--udp-timeout') ?? DEFAULT_UDP_TIMEOUT;
  const connectTimeout =
    durationFlag(flags.connectTimeout, '--connect-timeout') ?? DEFAULT_CONNECT_TIMEOUT;
  const access = accessList(flags);
  const log = new RelayLog(io.stderr, flags.verbose === true);
  const tlsListen = [first, second].some((a) => a.kind === 'tls-listen') ? serverTls(flags) : null;
  // Client TLS options are built once per host: --tls-insecure warns once, not per client.
  const tlsOptions = new Map<string, TlsConnectOptions>();
  const tlsFor = (host: string): TlsConnectOptions => {
    let options = tlsOptions.get(host);
    if (options === undefined) {
      options = clientTlsOptions(flags, host, (line) => io.stderr.write(line));
      tlsOptions.set(host, options);
    }
    return options;
  };
  for (const a of [first, second]) if (a.kind === 'tls') tlsFor(a.target.host);
  const proxyAuth = relayProxyAuth(flags.proxyAuth ?? io.env[PROXY_AUTH_ENV]);
  const context = (position: 'first' | 'second', signal = io.signal): OpenContext => ({
    io,
    tlsFor,
    connectTimeout,
    proxyAuth,
    position,
    signal,
  });

  const listening = isListenAddress(first) ? first : isListenAddress(second) ? second : null;
  if (listening !== null) {
    const listenFirst = listening === first;
    const other = (listenFirst ? second : first) as ClientAddress;
    const result = await serveRelay({
      address: listening,
      tls: listening.kind === 'tls-listen' ? tlsListen : null,
      access,
      maxConnections,
      idleTimeout:
        idleTimeout ?? (other.kind === 'udp' || other.kind === 'unix-dgram' ? udpTimeout : null),
      udpTimeout,
      openOther: (signal, client) =>
        openClient(other, {
          ...context(listenFirst ? 'second' : 'first', signal),
          ...(proxyVersion !== null && client !== undefined
            ? { proxyHeader: proxyHeaderFor(proxyVersion, client, other.kind === 'udp') }
            : {}),
        }),
      listenFirst,
      once: other.kind === 'stdio',
      afterRelay: (end) => reportDiscarded(log, end),
      log,
      signal: io.signal,
    });
    return exitCodeOf(result, io);
  }

  // Two client addresses: open both (the first, then the second), relay once.
  const a = await openClient(first as ClientAddress, context('first'));
  let b: RelayEnd;
  try {
    b = await openClient(second as ClientAddress, context('second'));
  } catch (err) {
    a.side.reset();
    throw err;
  }
  log.info(`relay: ${a.label} ⇄ ${b.label}`);
  const startedAt = performance.now();
  const datagram = a.datagram || b.datagram;
  const result = await relayPair(a.side, b.side, {
    idleTimeout: idleTimeout ?? (datagram ? udpTimeout : null),
    signal: io.signal,
    labels: [a.label, b.label],
  });
  log.closed('relay', result, startedAt, [a.label, b.label]);
  reportDiscarded(log, a);
  return exitCodeOf(result, io);
}

/** Builds `socketkit relay`. */
export const relayCommand: CommandFactory = (io, setExitCode) => {
  const cmd = new Command('relay')
    .description(
      'relay bytes both ways between two addresses (tcp, tls, udp, unix, stdio, exec, file; *-listen accepts clients), like socat',
    )
    .argument('<address>', 'the first address (e.g. tcp-listen:8080)')
    .argument('<address2>', 'the second address (e.g. tcp:127.0.0.1:80)')
    .option(
      '--max-connections <n>',
      `with a listening address: at most N clients relayed at once (UDP: sessions); more are refused (default ${DEFAULT_MAX_CONNECTIONS})`,
    )
    .option(
      '--idle-timeout <time>',
      'close a relay after TIME without traffic either way (default: never for streams)',
    )
    .option(
      '--udp-timeout <time>',
      `end a UDP session after TIME without traffic (default ${DEFAULT_UDP_TIMEOUT}s)`,
    )
    .option(
      '--connect-timeout <time>',
      `how long connecting (and a TLS handshake) may take (default ${DEFAULT_CONNECT_TIMEOUT}s)`,
    )
    .option(
      '--proxy-auth <user:pass>',
      `socks5:/http-connect: the proxy's credentials (also read from ${PROXY_AUTH_ENV})`,
    )
    .option(
      '--allow <hosts>',
      'let only these addresses/CIDR ranges connect (comma-separated, repeatable)',
      collect,
      [],
    )
    .option(
      '--deny <hosts>',
      'refuse these addresses/CIDR ranges (comma-separated, repeatable; --deny wins over --allow)',
      collect,
      [],
    )
    .option('--allow-exec', 'let an exec: address run its command (argv, never through a shell)')
    .option('--tls-cert <file>', 'tls-listen: the certificate (PEM) to serve')
    .option('--tls-key <file>', 'tls-listen: its private key (PEM)')
    .option(
      '--handshake-timeout <time>',
      'tls-listen: close a client that has not completed its handshake TIME after connecting (default 10s)',
    )
    .option('--tls-ca <file>', "tls: trust these CA certificates (PEM) instead of the system's")
    .option(
      '--tls-servername <name>',
      'tls: the server name to ask for (SNI) and verify (default: HOST)',
    )
    .option(
      '--tls-insecure',
      "tls: do NOT verify the server's certificate: unsafe, warned about on stderr",
    )
    .option(
      '--proxy-protocol <version>',
      "with a listening address: send HAProxy's PROXY header (v1 or v2) naming each client before its data, so the server sees the client's address (udp-listen: to udp:, v2 only: before every datagram)",
    )
    .option(
      '--tls-fingerprint <sha256>',
      'tls: trust only the server certificate with this SHA-256 fingerprint (hex, colons optional), instead of CAs and name: what listen --tls prints for its temporary certificate; a mismatch resets the client and is logged',
    )
    .option('-v, --verbose', 'one line per relay opened and closed on stderr');
  cmd.addHelpText('after', EXAMPLES);
  cmd.action(async (first: string, second: string, flags: RelayFlags) => {
    setExitCode(await runRelay(io, first, second, flags));
  });
  return cmd;
};
