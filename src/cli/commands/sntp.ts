/**
 * `socketkit sntp HOST [--port N]`: query an NTP/SNTP server once and print what `sntp`
 * (ntpdig) prints — the server's time, our clock's offset from it, the error bound —
 * plus the round-trip delay, stratum and reference id. `--json` for scripts.
 *
 * ```
 * 2026-11-22 04:30:00.123456 (+0000) +0.000012 +/- 0.001060 127.0.0.1 s1 LOCL no-leap delay 0.000120
 * ```
 *
 * Exit codes: 0 a usable reply, 1 no reply or an unusable one (Kiss-o'-Death such as
 * `RATE`, unsynchronized server, zero timestamps), 2 a usage error.
 * @module
 */
import { Command, Option } from 'commander';
import { ConnectionRefusedError, SocketTimeoutError } from '../../errors.js';
import { querySntp, type SntpResult } from '../../services/sntp/sntp-client.js';
import { TimeFormatter } from '../../services/strftime/time-formatter.js';
import { CliError, ExitCode } from '../io.js';
import { interruptible } from '../time/interruptible.js';
import { formatOffset, parsePort, parseSeconds } from '../time/time-args.js';
import type { CommandFactory } from './index.js';

interface SntpFlags {
  port: string;
  timeout: string;
  ntpVersion: '3' | '4';
  json?: boolean;
}

/** The NTP port: the default, as with sntp/ntpdig. */
const NTP_PORT = 123;
/** Where `socketkit serve` puts its SNTP server. */
const SERVE_SNTP_PORT = 7124;

/**
 * Nothing answered: say which port was asked, and, on the NTP port, where socketkit's
 * own SNTP server listens (the usual surprise after `socketkit serve`).
 */
function noAnswer(err: ConnectionRefusedError | SocketTimeoutError, host: string, port: number) {
  const what =
    err instanceof ConnectionRefusedError
      ? `nothing listens on ${host}:${port} (UDP: connection refused)`
      : `no reply from ${host}:${port} within ${err.timeout} s`;
  const hint =
    port === NTP_PORT
      ? `; asked the NTP port ${NTP_PORT}: socketkit serve's SNTP server is on ${SERVE_SNTP_PORT} (--port ${SERVE_SNTP_PORT})`
      : '';
  return new CliError(`${what}${hint}`, ExitCode.failure);
}

const LEAP_NAMES = ['no-leap', 'add-leap', 'del-leap', 'unsync'] as const;

/** The error bound `sntp` prints after `+/-`: half the delay plus the root distance. */
function synchDistance(r: SntpResult): number {
  return r.delay / 2 + r.rootDelay / 2 + r.rootDispersion;
}

function renderLine(host: string, r: SntpResult): string {
  const formatter = new TimeFormatter();
  const when = formatter.format('%Y-%m-%d %H:%M:%S.%f (%z)', r.serverTimeNs);
  const who = r.address === host ? host : `${host} ${r.address}`;
  return `${when} ${formatOffset(r.offset)} +/- ${synchDistance(r).toFixed(6)} ${who} s${r.stratum} ${r.refId || '-'} ${LEAP_NAMES[r.leap]} delay ${r.delay.toFixed(6)}\n`;
}

/** Builds the `sntp` command. */
export const sntpCommand: CommandFactory = (io, setExitCode) =>
  new Command('sntp')
    .description(
      'query an NTP/SNTP server once: offset, delay, stratum, reference id (like sntp/ntpdig)',
    )
    .argument('<host>', 'server host name or address')
    .option(
      '-p, --port <n>',
      `server UDP port (socketkit serve sntp uses ${SERVE_SNTP_PORT})`,
      String(NTP_PORT),
    )
    .option('-t, --timeout <seconds>', 'how long to wait for the reply', '5')
    .addOption(
      new Option('--ntp-version <v>', 'NTP version to send').choices(['3', '4']).default('4'),
    )
    .option('-j, --json', 'print one JSON object instead of the sntp-style line')
    .action(async (host: string, flags: SntpFlags) => {
      const port = parsePort(flags.port, '--port');
      const timeout = parseSeconds(flags.timeout);
      await interruptible(io, setExitCode, async () => {
        let r: SntpResult;
        try {
          r = await querySntp(host, {
            port,
            timeout,
            version: flags.ntpVersion === '3' ? 3 : 4,
            signal: io.signal,
          });
        } catch (err) {
          if (err instanceof ConnectionRefusedError || err instanceof SocketTimeoutError) {
            if (!io.signal.aborted) throw noAnswer(err, host, port);
          }
          throw err;
        }
        if (flags.json) {
          io.stdout.write(
            `${JSON.stringify({
              host,
              address: r.address,
              time: new Date(r.serverTimeMs).toISOString(),
              offset: r.offset,
              delay: r.delay,
              synchDistance: synchDistance(r),
              stratum: r.stratum,
              refid: r.refId,
              leap: LEAP_NAMES[r.leap],
              version: r.version,
              precision: r.precision,
              rootDelay: r.rootDelay,
              rootDispersion: r.rootDispersion,
              ...(r.kissCode === undefined ? {} : { kissCode: r.kissCode }),
              ...(r.problem === undefined ? {} : { problem: r.problem }),
            })}\n`,
          );
        } else if (r.problem === undefined) {
          io.stdout.write(renderLine(host, r));
        }
        if (r.problem !== undefined) {
          io.stderr.write(`socketkit: ${host}:${port}: unusable reply: ${r.problem}\n`);
          setExitCode(ExitCode.failure);
          return;
        }
        setExitCode(ExitCode.ok);
      });
    });
