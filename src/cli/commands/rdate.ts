/**
 * `socketkit rdate HOST [--port N] [--udp]`: the RFC 868 time protocol client, like
 * `rdate -p`. Over TCP the server sends 4 bytes and closes; over UDP it answers any
 * datagram (we send an empty one) with 4 bytes. The value is seconds since 1900, with
 * the era (post-2036 wrap) chosen closest to our own clock.
 *
 * ```
 * rdate: [127.0.0.1]  Sun Nov 22 04:30:00 2026  offset -0.4 s
 * ```
 * The offset is the server's time minus ours at the middle of the round trip; RFC 868
 * has whole seconds only, so it is good to about ±1 s.
 *
 * Exit codes: 0 a time was printed, 1 no reply or a short one, 2 a usage error.
 * @module
 */
import { Command } from 'commander';
import { udpExchange } from '../../services/sntp/udp-exchange.js';
import { TimeFormatter } from '../../services/strftime/time-formatter.js';
import { fromRfc868Seconds } from '../../services/time/rfc868.js';
import { Socket } from '../../socket/tcp-socket.js';
import { CliError, ExitCode } from '../io.js';
import { destroyOnAbort, interruptible } from '../time/interruptible.js';
import { formatOffset, parsePort, parseSeconds } from '../time/time-args.js';
import type { CommandFactory } from './index.js';
import { ignoreError } from '../../internal/ignore-error.js';

interface RdateFlags {
  port: string;
  udp?: boolean;
  timeout: string;
  utc?: boolean;
}

async function fetchTcp(
  host: string,
  port: number,
  timeout: number,
  signal: AbortSignal,
): Promise<Buffer> {
  const sock = await Socket.createConnection({ host, port }, { timeout });
  const unwatch = destroyOnAbort(signal, sock);
  try {
    return await sock.recvExactly(4);
  } finally {
    unwatch();
    await sock.close().catch(ignoreError('cli:rdate-close'));
  }
}

/** Builds the `rdate` command. */
export const rdateCommand: CommandFactory = (io, setExitCode) =>
  new Command('rdate')
    .description(
      'ask an RFC 868 time server for the time (like rdate -p): prints it and our offset',
    )
    .argument('<host>', 'server host name or address')
    .option('-p, --port <n>', 'server port (socketkit serve time uses 7037)', '37')
    .option('-u, --udp', 'use UDP (default TCP)')
    .option('-t, --timeout <seconds>', 'how long to wait for the reply', '5')
    .option('--utc', 'print the time in UTC (default: local time)')
    .action(async (host: string, flags: RdateFlags) => {
      const port = parsePort(flags.port, '--port');
      const timeout = parseSeconds(flags.timeout);
      await interruptible(io, setExitCode, async () => {
        const sentAt = Date.now();
        const reply = flags.udp
          ? (await udpExchange(host, port, Buffer.alloc(0), { timeout, signal: io.signal })).reply
          : await fetchTcp(host, port, timeout, io.signal);
        const doneAt = Date.now();
        if (reply.length < 4) {
          throw new CliError(`${host}:${port} sent ${reply.length} bytes, an RFC 868 reply has 4`);
        }
        const midpoint = (sentAt + doneAt) / 2;
        const server = fromRfc868Seconds(reply.subarray(0, 4), new Date(midpoint));
        // The server truncates to whole seconds: its true time is in [value, value + 1).
        const offset = (server.getTime() + 500 - midpoint) / 1000;
        const when = new TimeFormatter({ utc: flags.utc }).format(
          '%a %b %e %H:%M:%S %Y',
          BigInt(server.getTime()) * 1_000_000n,
        );
        io.stdout.write(`rdate: [${host}]\t${when}\toffset ${formatOffset(offset, 1)} s\n`);
        setExitCode(ExitCode.ok);
      });
    });
