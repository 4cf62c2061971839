/**
 * `socketkit connect HOST PORT` — the netcat client, with ncat as the bar: TCP, UDP,
 * Unix stream/datagram and TLS; stdin to the socket and the socket to stdout at the
 * same time; `-C`, `-w`, `-i`, `--send`, `--send-only`/`--recv-only`, `--no-shutdown`,
 * `-x`, `-v`; `--tls-fingerprint` pins the server's certificate; `--exec CMD` connects a
 * command instead of stdin/stdout; exit 0 on success and 1 when the connection fails or
 * times out. The sockets are the library's (`Socket`, `DatagramSocket`,
 * `UnixDatagramSocket`).
 * @module
 */
import { Command } from 'commander';
import type { Socket } from '../../socket/tcp-socket.js';
import { clientTlsOptions } from '../client-tls.js';
import { CliError, type CliIO, ExitCode } from '../io.js';
import { connectStream, type StreamTarget, targetWhere } from '../netcat/connect-stream.js';
import { type DatagramPort, runDatagramSession } from '../netcat/datagram-session.js';
import { runExecSession } from '../netcat/exec-session.js';
import { describePeer, NetcatLog } from '../netcat/netcat-log.js';
import {
  addCommonOptions,
  describeOption,
  addConnectOptions,
  checkCommonFlags,
  durationFlag,
  execArgv,
  flushed,
  type NetcatFlags,
  openHexDump,
  parsePort,
} from '../netcat/netcat-options.js';
import {
  addProxyOptions,
  type ProxyFlags,
  proxyFromFlags,
  proxyNote,
} from '../netcat/proxy-options.js';
import { outcomeExitCode, sendText, sessionHub, stdinHub } from '../netcat/session-input.js';
import { StdoutGuard } from '../netcat/stdout-guard.js';
import { runStreamSession } from '../netcat/stream-session.js';
import { wantsTls } from '../netcat/tls-options.js';
import { connectUdp } from '../netcat/udp-endpoints.js';
import { connectUnixDatagram } from '../netcat/unix-datagram-endpoints.js';
import type { CommandFactory } from './index.js';

/** How long `--send` waits for more reply when the peer does not close (override with -i). */
const SEND_REPLY_TIMEOUT = 10;
/** How long `connect -u` waits for replies after stdin ended (override with -i). */
const UDP_LINGER = 1;

const EXAMPLES = `
Examples:
  $ socketkit connect 127.0.0.1 7007                      # talk to an echo server
  $ socketkit connect example.test 80 --send 'GET / HTTP/1.0\\r\\n\\r\\n'
  $ printf 'hello\\n' | socketkit connect -u 127.0.0.1 7007   # one datagram per line
  $ socketkit connect -U /tmp/echo.sock
  $ socketkit connect --tls example.test 443              # certificate verified (system CAs)
  $ socketkit connect --tls-ca ca.pem 127.0.0.1 7443      # trust this CA; IP checked against IP SANs
  $ socketkit connect --tls-insecure 127.0.0.1 7443       # no verification (warns on stderr)
  $ socketkit connect --tls-fingerprint AB:CD:… 127.0.0.1 8443   # trust this certificate only (listen --tls prints it)
  $ socketkit connect --exec 'wc -c' 127.0.0.1 7000        # the command's stdin/stdout are the connection
  $ socketkit connect --proxy 127.0.0.1:1080 --proxy-type socks5 example.test 80   # the proxy resolves the name
  $ socketkit connect --proxy 127.0.0.1:3128 --tls example.test 443   # TLS with example.test through the tunnel
  $ socketkit connect --proxy 127.0.0.1:1080 --proxy-type socks5 --tls-fingerprint AB:CD:… 127.0.0.1 8443   # pinned over the tunnel

Exit status: 0 success, 1 connection refused/failed/timed out or certificate refused,
2 usage error, 130 interrupted.`;

function streamTarget(
  host: string | undefined,
  port: string | undefined,
  flags: NetcatFlags,
): StreamTarget {
  if (flags.unixsock !== undefined) {
    if (host !== undefined)
      throw new CliError('with -U PATH, give no HOST or PORT', ExitCode.usage);
    return { path: flags.unixsock };
  }
  if (host === undefined || port === undefined) {
    throw new CliError('connect needs HOST and PORT (or -U PATH)', ExitCode.usage);
  }
  return { host, port: parsePort(port, false) };
}

async function runConnect(
  io: CliIO,
  host: string | undefined,
  portArg: string | undefined,
  flags: NetcatFlags & ProxyFlags,
): Promise<number> {
  checkCommonFlags(flags);
  const argv = flags.exec === undefined ? null : execArgv(flags.exec);
  const target = streamTarget(host, portArg, flags);
  const proxy = proxyFromFlags(flags, io.env);
  const wait = durationFlag(flags.wait, '-w');
  const text = sendText(flags);
  const idleGiven = durationFlag(flags.idleTimeout, '-i');
  const idle = idleGiven ?? (text !== null ? SEND_REPLY_TIMEOUT : null);
  const family = flags.ipv4 ? 4 : flags.ipv6 ? 6 : undefined;
  const log = new NetcatLog(io.stderr, flags.verbose === true);
  const hexDump = openHexDump(flags.hexDump, io.stderr);
  const shared = stdinHub(io, flags);
  const guard = new StdoutGuard(io);
  const startedAt = performance.now();
  try {
    if (flags.udp) {
      let port: DatagramPort;
      if ('path' in target) port = await connectUnixDatagram(target.path);
      else port = (await connectUdp(target.host, target.port, family)).port;
      log.info(`Connected to ${describePeer(targetWhere(target))}.`);
      const result = await runDatagramSession(port, {
        hub: sessionHub(flags, text, shared),
        output: io.stdout,
        sendOnly: flags.sendOnly === true,
        idleTimeout: idleGiven,
        linger: UDP_LINGER,
        dump: hexDump?.dump ?? null,
        signal: guard.signal,
      });
      await flushed(io.stdout);
      log.stats(result.sent, result.received, startedAt);
      return guard.broken ? ExitCode.failure : outcomeExitCode(result, log, idleGiven, false);
    }
    let sock: Socket;
    try {
      sock = await connectStream(target, {
        ...(wantsTls(flags)
          ? {
              tls: clientTlsOptions(flags, 'host' in target ? target.host : undefined, (line) =>
                io.stderr.write(line),
              ),
            }
          : {}),
        ...(family === undefined ? {} : { family }),
        ...(proxy === null ? {} : { proxy }),
        timeout: wait,
        signal: guard.signal,
      });
    } catch (err) {
      if (io.signal.aborted) return ExitCode.interrupted;
      throw err;
    }
    const peer = 'path' in target || proxy !== null ? null : sock.getPeerName();
    const remote =
      peer === null || peer.family === 'unix'
        ? targetWhere(target)
        : { address: peer.address, port: peer.port };
    log.info(`Connected to ${describePeer(remote)}${proxyNote(proxy)}.`);
    if (argv !== null) {
      const result = await runExecSession(sock, argv, {
        io,
        label: describePeer(remote),
        idleTimeout: idleGiven,
        signal: guard.signal,
      });
      log.stats(result.sent, result.received, startedAt);
      return outcomeExitCode(result, log, idleGiven, false);
    }
    const result = await runStreamSession(sock, {
      hub: sessionHub(flags, text, shared),
      output: io.stdout,
      sendOnly: flags.sendOnly === true,
      noShutdown: flags.shutdown === false,
      // At a terminal nobody will type into a closed connection: stop when the peer hangs up.
      exitOnPeerEof: text !== null || io.stdin.isTTY === true,
      idleTimeout: idle,
      dump: hexDump?.dump ?? null,
      signal: guard.signal,
    });
    await flushed(io.stdout);
    log.stats(result.sent, result.received, startedAt);
    return guard.broken ? ExitCode.failure : outcomeExitCode(result, log, idle, text !== null);
  } finally {
    shared.close();
    guard.release();
    await hexDump?.close();
  }
}

/** Builds `socketkit connect`. */
export const connectCommand: CommandFactory = (io, setExitCode) => {
  const cmd = new Command('connect')
    .description(
      'connect to HOST PORT (or -U PATH) and copy stdin to it and its replies to stdout, like nc/ncat',
    )
    .argument('[host]', 'host name or IP address to connect to')
    .argument('[port]', 'port number');
  addCommonOptions(cmd);
  addConnectOptions(cmd);
  addProxyOptions(cmd);
  describeOption(cmd, '--tls-cert', 'a client certificate (PEM) to present, with --tls-key');
  cmd.addHelpText('after', EXAMPLES);
  cmd.action(
    async (host: string | undefined, port: string | undefined, flags: ProxyFlags & NetcatFlags) => {
      setExitCode(await runConnect(io, host, port, flags));
    },
  );
  return cmd;
};
