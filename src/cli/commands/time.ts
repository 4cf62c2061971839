/**
 * `socketkit time HOST PORT [FORMAT]`: the client of the strftime time service (seed S7):
 * sends FORMAT (empty: the server's default, `%F %X`) and prints the reply. UDP by
 * default, as in the seed; `--tcp` sends one line and reads one line back.
 *
 * Exit codes: 0 a time was printed, 1 no reply, or the server answered `error: …`,
 * 2 a usage error.
 * @module
 */
import { Command, Option } from 'commander';
import { udpExchange } from '../../services/sntp/udp-exchange.js';
import { Socket } from '../../socket/tcp-socket.js';
import { CliError, type CliIO, ExitCode } from '../io.js';
import { destroyOnAbort, interruptible } from '../time/interruptible.js';
import { parsePort, parseSeconds } from '../time/time-args.js';
import type { CommandFactory } from './index.js';
import { ignoreError } from '../../internal/ignore-error.js';

interface TimeFlags {
  udp?: boolean;
  tcp?: boolean;
  timeout: string;
}

/** Longest reply line read over TCP. */
const MAX_REPLY = 64 * 1024;

async function askUdp(
  host: string,
  port: number,
  format: string,
  timeout: number,
  io: CliIO,
): Promise<string> {
  const { reply } = await udpExchange(host, port, Buffer.from(format, 'utf8'), {
    timeout,
    signal: io.signal,
  });
  return reply.toString('utf8');
}

async function askTcp(
  host: string,
  port: number,
  format: string,
  timeout: number,
  io: CliIO,
): Promise<string> {
  if (format.includes('\n'))
    throw new CliError('over TCP the format cannot contain a newline', ExitCode.usage);
  const sock = await Socket.createConnection({ host, port }, { timeout });
  const unwatch = destroyOnAbort(io.signal, sock);
  try {
    await sock.sendAll(`${format}\n`);
    const line = await sock.recvUntil('\n', { maxBytes: MAX_REPLY });
    return line.toString('utf8').replace(/\r$/, '');
  } finally {
    unwatch();
    await sock.close().catch(ignoreError('cli:time-close'));
  }
}

/** Builds the `time` command. */
export const timeCommand: CommandFactory = (io, setExitCode) =>
  new Command('time')
    .description('ask a strftime time server (socketkit serve strftime) for the time in a format')
    .argument('<host>', 'server host name or address')
    .argument('<port>', 'server port (socketkit serve strftime uses 7123)')
    // No commander default: it would print a second "(default: "")" after this one.
    .argument('[format]', 'strftime format, e.g. "%H:%M:%S" (default: the server\'s "%F %X")')
    .addOption(
      new Option('-u, --udp', 'use UDP, one datagram each way (the default)').conflicts('tcp'),
    )
    .addOption(new Option('--tcp', 'use TCP, one line each way').conflicts('udp'))
    .option('-t, --timeout <seconds>', 'how long to wait for the reply', '5')
    .action(async (host: string, portText: string, given: string | undefined, flags: TimeFlags) => {
      const format = given ?? '';
      const port = parsePort(portText);
      const timeout = parseSeconds(flags.timeout);
      await interruptible(io, setExitCode, async () => {
        const reply = flags.tcp
          ? await askTcp(host, port, format, timeout, io)
          : await askUdp(host, port, format, timeout, io);
        if (reply.startsWith('error: ')) {
          io.stderr.write(`socketkit: server ${host}:${port} replied: ${reply}\n`);
          setExitCode(ExitCode.failure);
          return;
        }
        io.stdout.write(`${reply}\n`);
        setExitCode(ExitCode.ok);
      });
    });
