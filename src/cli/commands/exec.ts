/**
 * `socketkit exec HOST PORT [COMMAND [ARGS…]]`: the client of the exec service (seeds
 * S5 and S8). It signs the request with the shared secret, prints the command's stdout
 * and stderr to its own, and exits with the remote exit code (128 + N for a signal).
 * Without COMMAND it reads command lines from stdin, like the seed's `>>>` loop, and
 * prints `OK` for a command that printed nothing. Arguments that start with `-` go
 * after `--`: `socketkit exec 127.0.0.1 7512 -- echo -n hi`.
 *
 * Exit codes: the remote command's, 1 refused / connection failed / reply lost,
 * 2 a usage error.
 * @module
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import {
  EXEC_SECRET_ENV,
  type ExecEnd,
  ExecRefusedError,
  ExecSession,
  execUdp,
  type OutputSink,
} from '../../services/exec/index.js';
import { certificateError, clientTlsOptions } from '../client-tls.js';
import { CliError, type CliIO, ExitCode } from '../io.js';
import { parsePort, parseSeconds } from '../time/time-args.js';
import type { CommandFactory } from './index.js';

interface ExecFlags {
  udp?: boolean;
  secretFile?: string;
  encoding: string;
  timeout: string;
  tls?: boolean;
  tlsCa?: string;
  tlsInsecure?: boolean;
  tlsFingerprint?: string;
}

/** Refusals after which the server closed the connection: stop the interactive loop. */
const FATAL = new Set([
  'ERR_EXEC_AUTH',
  'ERR_EXEC_CLOCK_SKEW',
  'ERR_EXEC_REPLAY',
  'ERR_EXEC_BAD_REQUEST',
]);

/** Splits a command line into words: whitespace separates, '…' and "…" quote, \ escapes. No shell. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new CliError(`unterminated ${quote} quote`, ExitCode.usage);
  if (inWord) words.push(word);
  return words;
}

async function readSecret(flags: ExecFlags, io: CliIO): Promise<Uint8Array> {
  if (flags.secretFile !== undefined) {
    let data: Buffer;
    try {
      data = await readFile(flags.secretFile);
    } catch (err) {
      throw new CliError(`cannot read --secret-file: ${(err as Error).message}`, ExitCode.usage);
    }
    return data.subarray(
      0,
      data.length - (/\r?\n$/.exec(data.toString('latin1'))?.[0].length ?? 0),
    );
  }
  const env = io.env[EXEC_SECRET_ENV];
  if (env) return Buffer.from(env, 'utf8');
  throw new CliError(
    `no secret: give --secret-file FILE or set ${EXEC_SECRET_ENV}`,
    ExitCode.usage,
  );
}

async function write(stream: Writable, data: Buffer | string): Promise<void> {
  if (!stream.write(data)) await once(stream, 'drain');
}

/** Writes output bytes as they come (UTF-8: untouched), tracking whether any came. */
function outputSink(
  io: CliIO,
  encoding: string,
): { sink: OutputSink; flush(): Promise<void>; printed(): boolean } {
  let any = false;
  const passThrough = /^utf-?8$/i.test(encoding);
  const decoders = passThrough
    ? null
    : { stdout: new TextDecoder(encoding), stderr: new TextDecoder(encoding) };
  return {
    sink: (stream, data) => {
      if (data.length > 0) any = true;
      const to = stream === 'stdout' ? io.stdout : io.stderr;
      return write(to, decoders ? decoders[stream].decode(data, { stream: true }) : data);
    },
    async flush() {
      if (!decoders) return;
      const out = decoders.stdout.decode();
      const err = decoders.stderr.decode();
      if (out) await write(io.stdout, out);
      if (err) await write(io.stderr, err);
    },
    printed: () => any,
  };
}

/** The exit code a shell would report for the remote command. */
function exitCodeOf(end: ExecEnd): number {
  if (end.exit !== null) return end.exit;
  const n = end.signal
    ? constants.signals[end.signal as keyof typeof constants.signals]
    : undefined;
  return 128 + (n ?? 1);
}

function reportEnd(end: ExecEnd, io: CliIO): void {
  if (end.truncated)
    io.stderr.write(
      "socketkit: output truncated at the server's --max-output; the command was stopped\n",
    );
  if (end.timedOut)
    io.stderr.write('socketkit: the server killed the command at its --exec-timeout\n');
}

/** Builds the `exec` command. */
export const execCommand: CommandFactory = (io, setExitCode) =>
  new Command('exec')
    .description('run an allowlisted command on a socketkit exec server (socketkit serve exec)')
    .argument('<host>', 'server host name or address')
    .argument('<port>', 'server port (socketkit serve exec uses 7512)')
    .argument('[command]', 'an allowlisted command name (none: read command lines from stdin)')
    .argument('[args...]', 'its arguments (put them after -- if they start with -)')
    .option('-u, --udp', 'use UDP (the reply comes back in numbered datagrams)')
    .option('--secret-file <file>', `the shared secret (else $${EXEC_SECRET_ENV})`)
    .option(
      '--encoding <label>',
      'decode output with this encoding, e.g. gbk for a Windows peer',
      'utf-8',
    )
    .option('-t, --timeout <seconds>', 'wait this long to connect and for each reply', '60')
    .addOption(
      new Option(
        '--tls',
        "connect with TLS, verifying the server's certificate (CA and host name) against the system CAs",
      ).conflicts('udp'),
    )
    .addOption(
      new Option(
        '--tls-ca <file>',
        'trust this CA (PEM) instead of the system CAs (implies --tls)',
      ).conflicts('udp'),
    )
    .addOption(
      new Option(
        '--tls-insecure',
        "do NOT verify the server's certificate (implies --tls; prints a warning; for tests only)",
      ).conflicts('udp'),
    )
    .addOption(
      new Option(
        '--tls-fingerprint <sha256>',
        'trust only the certificate with this SHA-256 fingerprint, instead of CAs (implies --tls)',
      ).conflicts('udp'),
    )
    .action(
      async (
        host: string,
        portText: string,
        command: string | undefined,
        args: string[],
        flags: ExecFlags,
      ) => {
        const port = parsePort(portText);
        const timeout = parseSeconds(flags.timeout);
        try {
          new TextDecoder(flags.encoding);
        } catch {
          throw new CliError(
            `--encoding: unknown encoding ${JSON.stringify(flags.encoding)}`,
            ExitCode.usage,
          );
        }
        const secret = await readSecret(flags, io);
        // Verification (CA and host name) is on unless --tls-insecure, which warns.
        const tls =
          flags.tls ||
          flags.tlsCa !== undefined ||
          flags.tlsInsecure ||
          flags.tlsFingerprint !== undefined
            ? clientTlsOptions(flags, host, (line) => io.stderr.write(line))
            : undefined;
        const options = { secret, timeout, ...(tls ? { tls } : {}) };
        const address = { host, port };
        let session: ExecSession | undefined;
        const runOne = async (
          cmd: string,
          argv: string[],
          interactive: boolean,
        ): Promise<number> => {
          const out = outputSink(io, flags.encoding);
          let end: ExecEnd;
          if (flags.udp) end = await execUdp(address, cmd, argv, out.sink, options);
          else {
            session ??= await ExecSession.connect(address, options).catch((err: unknown) => {
              // The socket layer wraps the TLS error in a ConnectError: explain its cause.
              const cause = (err as { cause?: unknown }).cause;
              throw certificateError(cause, (err as Error).message) ?? err;
            });
            end = await session.run(cmd, argv, out.sink);
          }
          await out.flush();
          // The seed printed "OK" for a command with no output; a script wants nothing.
          if (interactive && !out.printed()) await write(io.stdout, 'OK\n');
          reportEnd(end, io);
          return exitCodeOf(end);
        };
        try {
          if (command !== undefined) {
            setExitCode(await runOne(command, args, false));
            return;
          }
          const rl = createInterface({
            input: io.stdin,
            terminal: false,
            crlfDelay: Number.POSITIVE_INFINITY,
          });
          const prompt = (): void => {
            if (io.stdin.isTTY) io.stderr.write('>>> ');
          };
          prompt();
          for await (const line of rl) {
            let words: string[];
            try {
              words = splitWords(line);
            } catch (err) {
              io.stderr.write(`socketkit: ${(err as Error).message}\n`);
              prompt();
              continue;
            }
            const [cmd, ...argv] = words;
            if (cmd === 'q' || cmd === 'quit' || cmd === 'exit') break;
            if (cmd !== undefined) {
              try {
                const code = await runOne(cmd, argv, true);
                if (code !== 0) io.stderr.write(`socketkit: exit status ${code}\n`);
              } catch (err) {
                if (!(err instanceof ExecRefusedError) || FATAL.has(err.reason)) throw err;
                io.stderr.write(`socketkit: ${err.message}\n`);
              }
            }
            prompt();
          }
          rl.close();
          setExitCode(ExitCode.ok);
        } finally {
          await session?.close();
        }
      },
    );
