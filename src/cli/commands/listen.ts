/**
 * `socketkit listen [HOST] PORT` — the netcat server, with ncat as the bar: wait for a
 * client (or, with `-k`, many at once) over TCP, UDP, Unix stream/datagram or TLS, and
 * copy stdin to the client and the client to stdout. `--allow`/`--deny` (serve's
 * `AccessList`: a denied address is refused even when allowed), `-m`, `-i`,
 * `--handshake-timeout`; `-C`, `--send`, `-x`, `-v` as in `connect`. `--tls` without a
 * certificate serves a temporary one (its fingerprint on stderr); `--exec CMD` runs a
 * command per client (loopback only unless `--allow-remote-exec`); `--broker` relays
 * between the clients. The sockets are the library's (`Listener`, `DatagramSocket`,
 * `UnixDatagramSocket`).
 * @module
 */
import { BlockList, isIP } from 'node:net';
import { Command } from 'commander';
import { InvalidArgumentError } from '../../errors.js';
import { CliError, type CliIO, ExitCode } from '../io.js';
import { AccessList } from '../../server/access-list.js';
import { DEFAULT_HANDSHAKE_TIMEOUT } from '../../socket/tls-server.js';
import { type DatagramPeer, runDatagramSession } from '../netcat/datagram-session.js';
import { Broker, DEFAULT_BROKER_BUFFER } from '../netcat/broker.js';
import { runExecSession } from '../netcat/exec-session.js';
import { describePeer, NetcatLog } from '../netcat/netcat-log.js';
import {
  addCommonOptions,
  describeOption,
  addListenOptions,
  checkCommonFlags,
  durationFlag,
  execArgv,
  flushed,
  type NetcatFlags,
  openHexDump,
  parsePort,
  positiveIntFlag,
} from '../netcat/netcat-options.js';
import { outcomeExitCode, sendText, sessionHub, stdinHub } from '../netcat/session-input.js';
import { StdoutGuard } from '../netcat/stdout-guard.js';
import { type ListenTarget, serveStream } from '../netcat/stream-listener.js';
import {
  makeTemporaryCertificate,
  type TemporaryCertificate,
  temporaryCertificateNote,
} from '../netcat/temp-cert.js';
import { needsTemporaryCertificate, serverTlsOptions, wantsTls } from '../netcat/tls-options.js';
import { bindUdp } from '../netcat/udp-endpoints.js';
import { bindUnixDatagram } from '../netcat/unix-datagram-endpoints.js';
import type { CommandFactory } from './index.js';

/** ncat's default for `-m`. */
const DEFAULT_MAX_CONNS = 100;

const EXAMPLES = `
Examples:
  $ socketkit listen 7000                 # one client on port 7000 (every address), then exit
  $ socketkit listen -k -v 127.0.0.1 7000 # many clients; what you type goes to all of them
  $ socketkit listen -u 7000              # print datagrams, answer the last sender with stdin
  $ socketkit listen -k 7017 --send 'welcome to server!\\n'   # a one-line welcome server
  $ socketkit listen --tls --tls-cert cert.pem --tls-key key.pem 8443
  $ socketkit listen --tls 8443           # a temporary certificate; its SHA-256 fingerprint on stderr
  $ socketkit listen -k --exec 'cat -n' 7000    # one cat per client (loopback only)
  $ socketkit listen --broker 7000        # each client's bytes go to all the other clients
  $ socketkit listen -k --allow 127.0.0.0/8,::1 --deny 127.0.0.2 7000   # --deny wins

Exit status: 0 success, 1 failure (address in use, connection error, idle timeout),
2 usage error, 130 interrupted (how -k and -u end).`;

function listenTarget(
  first: string | undefined,
  second: string | undefined,
  flags: NetcatFlags,
): ListenTarget {
  if (flags.unixsock !== undefined) {
    if (first !== undefined)
      throw new CliError('with -U PATH, give no HOST or PORT', ExitCode.usage);
    return { path: flags.unixsock };
  }
  if (first === undefined) throw new CliError('listen needs a PORT (or -U PATH)', ExitCode.usage);
  const [host, port] = second === undefined ? [undefined, first] : [first, second];
  if (host !== undefined && flags.ipv4 && isIP(host) === 6)
    throw new CliError('-4 with an IPv6 address', ExitCode.usage);
  if (host !== undefined && flags.ipv6 && isIP(host) === 4)
    throw new CliError('-6 with an IPv4 address', ExitCode.usage);
  const family = flags.ipv4 ? 4 : flags.ipv6 ? 6 : undefined;
  return { host, port: parsePort(port, true), ...(family === undefined ? {} : { family }) };
}

/** Loopback addresses: `--exec` listens on nothing else unless `--allow-remote-exec`. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

function isLoopback(host: string): boolean {
  const family = isIP(host);
  if (family === 4) return LOOPBACK.check(host, 'ipv4');
  if (family === 6) return LOOPBACK.check(host, 'ipv6');
  return host.toLowerCase() === 'localhost';
}

/**
 * `--exec`'s safe default: a command reachable from the network is a remote shell, so it
 * listens on loopback only (no HOST: 127.0.0.1, or ::1 with -6) and refuses another
 * address unless `--allow-remote-exec`, which is warned about on stderr.
 */
function execTarget(target: ListenTarget, flags: NetcatFlags, io: CliIO): ListenTarget {
  if ('path' in target) return target;
  if (flags.allowRemoteExec !== true) {
    if (target.host === undefined)
      return { ...target, host: target.family === 6 ? '::1' : '127.0.0.1' };
    if (!isLoopback(target.host)) {
      throw new CliError(
        `--exec on ${target.host}: anyone who can reach that address would run the command; listen on a loopback address (the default with --exec) or add --allow-remote-exec`,
        ExitCode.usage,
      );
    }
    return target;
  }
  const where = describePeer({ address: target.host ?? '*', port: target.port });
  io.stderr.write(
    `socketkit: WARNING: --allow-remote-exec: anyone who can connect to ${where} runs ${JSON.stringify(flags.exec)}\n`,
  );
  return target;
}

/** Splits repeated, comma-separated option values into entries. */
function entries(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** serve's access list: an address on `--deny` is refused, even when `--allow` names it. */
function accessList(flags: NetcatFlags): AccessList {
  try {
    return new AccessList({ allow: entries(flags.allow), deny: entries(flags.deny) });
  } catch (err) {
    // The list's messages name `allow`/`deny`: here they are the flags.
    if (err instanceof InvalidArgumentError) throw new CliError(`--${err.message}`, ExitCode.usage);
    throw err;
  }
}

async function runListen(
  io: CliIO,
  first: string | undefined,
  second: string | undefined,
  flags: NetcatFlags,
): Promise<number> {
  checkCommonFlags(flags);
  const argv = flags.exec === undefined ? null : execArgv(flags.exec);
  let target = listenTarget(first, second, flags);
  const idle = durationFlag(flags.idleTimeout, '-i');
  const maxConns = positiveIntFlag(flags.maxConns, '-m', DEFAULT_MAX_CONNS);
  const brokerBuffer = positiveIntFlag(
    flags.brokerBuffer,
    '--broker-buffer',
    DEFAULT_BROKER_BUFFER,
  );
  const access = accessList(flags);
  const text = sendText(flags);
  const handshakeTimeout =
    durationFlag(flags.handshakeTimeout, '--handshake-timeout') ?? DEFAULT_HANDSHAKE_TIMEOUT;
  const log = new NetcatLog(io.stderr, flags.verbose === true);
  if (argv !== null) target = execTarget(target, flags, io);
  let tlsOptions: ReturnType<typeof serverTlsOptions> | null = null;
  if (wantsTls(flags)) {
    let temporary: TemporaryCertificate | null = null;
    if (needsTemporaryCertificate(flags)) {
      temporary = await makeTemporaryCertificate(io.env);
      log.warn(temporaryCertificateNote(temporary.fingerprint256));
    }
    tlsOptions = serverTlsOptions(flags, handshakeTimeout, temporary);
  }
  const keepOpen = flags.keepOpen === true || flags.broker === true;
  const broker = flags.broker === true ? new Broker(brokerBuffer, log) : null;
  const hexDump = openHexDump(flags.hexDump, io.stderr);
  const shared = stdinHub(io, flags);
  const guard = new StdoutGuard(io);
  try {
    if (flags.udp)
      return await listenDatagram(io, target, flags, {
        idle,
        access,
        text,
        log,
        hexDump,
        shared,
        guard,
      });
    const result = await serveStream({
      target,
      tls: tlsOptions,
      keepOpen,
      maxConns,
      access,
      log,
      hubFor: () => sessionHub(flags, text, shared),
      session: {
        output: io.stdout,
        sendOnly: flags.sendOnly === true,
        noShutdown: flags.shutdown === false,
        // With -k, clients come and go while stdin stays open: a client's EOF ends its session.
        exitOnPeerEof: flags.keepOpen === true || text !== null || io.stdin.isTTY === true,
        idleTimeout: idle,
        dump: hexDump?.dump ?? null,
        signal: guard.signal,
      },
      ...(argv !== null
        ? {
            handle: (socket, label) =>
              runExecSession(socket, argv, { io, label, idleTimeout: idle, signal: guard.signal }),
          }
        : broker !== null
          ? { handle: (socket, label) => broker.serve(socket, label, guard.signal) }
          : {}),
      signal: guard.signal,
    });
    await flushed(io.stdout);
    return guard.broken ? ExitCode.failure : outcomeExitCode(result, log, idle, false);
  } finally {
    shared.close();
    guard.release();
    await hexDump?.close();
  }
}

interface DatagramContext {
  idle: number | null;
  access: AccessList;
  text: Buffer | null;
  log: NetcatLog;
  hexDump: ReturnType<typeof openHexDump>;
  shared: ReturnType<typeof stdinHub>;
  guard: StdoutGuard;
}

/**
 * `listen -u`: print every datagram; stdin lines go to the last sender. Without `-k`
 * the first sender is the only peer (later senders are ignored, as in ncat).
 */
async function listenDatagram(
  io: CliIO,
  target: ListenTarget,
  flags: NetcatFlags,
  ctx: DatagramContext,
): Promise<number> {
  let peer: DatagramPeer | null = null;
  const family = 'path' in target ? undefined : target.family;
  const bound =
    'path' in target
      ? await bindUnixDatagram(target.path, () => peer)
      : await bindUdp(target.host, target.port, family, () => peer);
  ctx.log.info(`Listening on ${describePeer(bound.local)}`);
  const same = (a: DatagramPeer, b: DatagramPeer): boolean =>
    a.address === b.address && a.port === b.port && a.path === b.path;
  const result = await runDatagramSession(bound.port, {
    hub: sessionHub(flags, ctx.text, ctx.shared),
    output: io.stdout,
    sendOnly: flags.sendOnly === true,
    idleTimeout: ctx.idle,
    linger: null,
    waitForPeer: true,
    accept: (from, address) => {
      if (!ctx.access.permits(address)) return false;
      if (peer !== null && !flags.keepOpen && !same(peer, from)) return false;
      peer = from;
      return true;
    },
    onNewPeer: (from) => ctx.log.info(`Connection from ${describePeer(from)}.`),
    dump: ctx.hexDump?.dump ?? null,
    signal: ctx.guard.signal,
  });
  await flushed(io.stdout);
  return ctx.guard.broken ? ExitCode.failure : outcomeExitCode(result, ctx.log, ctx.idle, false);
}

/** Builds `socketkit listen`. */
export const listenCommand: CommandFactory = (io, setExitCode) => {
  const cmd = new Command('listen')
    .description(
      'listen on [HOST] PORT (or -U PATH) and copy stdin to the client and its data to stdout, like nc -l',
    )
    .argument(
      '[host]',
      'address to listen on (default: every address, IPv4 and IPv6); alone, it is the PORT',
    )
    .argument('[port]', 'port number (0 picks a free one; see it with -v)');
  addCommonOptions(cmd);
  addListenOptions(cmd);
  describeOption(
    cmd,
    '--tls-cert',
    'the certificate (PEM) to serve TLS with, with --tls-key (neither: a temporary self-signed one, its SHA-256 fingerprint printed on stderr)',
  );
  cmd.addHelpText('after', EXAMPLES);
  cmd.action(async (first: string | undefined, second: string | undefined, flags: NetcatFlags) => {
    setExitCode(await runListen(io, first, second, flags));
  });
  return cmd;
};
