/**
 * The flags `connect` and `listen` share, declared once so both commands spell and
 * document them alike (ncat's names where ncat has the option), and their checks.
 * @module
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../errors.js';
import { CliError, ExitCode } from '../io.js';
import { splitCommand } from '../relay/split-command.js';
import { formatHexDump } from './hex-dump.js';
import { parseDuration } from './time-spec.js';
import type { TlsFlags } from './tls-options.js';

/** The parsed flags of `connect`/`listen` (commander's camelCase names). */
export interface NetcatFlags extends TlsFlags {
  udp?: boolean;
  unixsock?: string;
  crlf?: boolean;
  wait?: string;
  idleTimeout?: string;
  keepOpen?: boolean;
  maxConns?: string;
  sendOnly?: boolean;
  recvOnly?: boolean;
  /** False with `--no-shutdown`. */
  shutdown?: boolean;
  hexDump?: string;
  send?: string;
  allow?: string[];
  deny?: string[];
  handshakeTimeout?: string;
  ipv4?: boolean;
  ipv6?: boolean;
  verbose?: boolean;
  /** `-e CMD`: the command's stdin/stdout are the connection. */
  exec?: string;
  /** listen: `--exec` on a non-loopback address. */
  allowRemoteExec?: boolean;
  /** listen: relay every client's bytes to all the others. */
  broker?: boolean;
  /** listen `--broker`: bytes that may wait for one slow client before it is cut. */
  brokerBuffer?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Adds the options common to both commands. */
export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('-u, --udp', 'use UDP instead of TCP (with -U: a Unix datagram socket)')
    .option(
      '-U, --unixsock <path>',
      'use the Unix domain socket at PATH instead of host and port (listen: a stale socket file there is replaced, anything else refused)',
    )
    .option('-4, --ipv4', 'use IPv4 only')
    .option('-6, --ipv6', 'use IPv6 only')
    .option('--tls', 'use TLS (implied by the other --tls-* options)')
    .option(
      '--tls-cert <file>',
      'certificate (PEM): required to listen, a client certificate to connect',
    )
    .option('--tls-key <file>', 'private key (PEM) for --tls-cert')
    .option(
      '--tls-ca <file>',
      "CA certificates (PEM) to trust (connect: instead of the system's; listen: for client certificates)",
    )
    .option(
      '--tls-verify',
      "listen: require a client certificate (connect: the server's is always verified unless --tls-insecure)",
    )
    .option('-C, --crlf', 'send CRLF line endings: turn each LF read from stdin into CRLF')
    .option(
      '-i, --idle-timeout <time>',
      'close a connection after TIME without traffic (5, 1.5s, 500ms, 2m)',
    )
    .option('--send-only', 'only send stdin; ignore what the peer sends; close when stdin ends')
    .option('--recv-only', 'only print what the peer sends; never read stdin')
    .option('--no-shutdown', 'do not half-close the connection when stdin ends')
    .option(
      '-x, --hex-dump <file>',
      "hex-dump the traffic in ncat's format to FILE ('-' for stderr)",
    )
    .option(
      '--send <text>',
      'send TEXT (escapes such as \\r\\n interpreted) instead of reading stdin',
    )
    .option(
      '-e, --exec <command>',
      'run COMMAND (split into words, no shell) with the connection as its stdin and stdout, instead of ours; its stderr is ours (listen: loopback only unless --allow-remote-exec)',
    )
    .option('-v, --verbose', 'print connection messages to stderr');
}

/** Options only `connect` has. */
export function addConnectOptions(cmd: Command): Command {
  return cmd
    .option(
      '--tls-servername <name>',
      'the server name to ask for (SNI) and verify (default: HOST; an IP is checked against the IP SANs)',
    )
    .option(
      '--tls-insecure',
      "do NOT verify the server's certificate (CA and name): unsafe, warned about on stderr",
    )
    .option(
      '--tls-fingerprint <sha256>',
      'trust only the server certificate with this SHA-256 fingerprint (hex, colons optional), instead of CAs and name: what listen --tls prints for its temporary certificate',
    )
    .option('-w, --wait <time>', 'connect timeout (5, 1.5s, 500ms); exit 1 when it expires');
}

/** Options only `listen` has. */
export function addListenOptions(cmd: Command): Command {
  return cmd
    .option(
      '-k, --keep-open',
      'keep listening after a client leaves; serve many clients at once, stdin going to all',
    )
    .option('-m, --max-conns <n>', 'at most N simultaneous clients; more are refused (default 100)')
    .option(
      '--allow <hosts>',
      'let only these addresses/CIDR ranges connect (comma-separated, repeatable)',
      collect,
      [],
    )
    .option(
      '--deny <hosts>',
      'refuse these addresses/CIDR ranges (comma-separated, repeatable; checked first: --deny wins over --allow, as in serve)',
      collect,
      [],
    )
    .option(
      '--handshake-timeout <time>',
      'TLS: close a client that has not completed its handshake TIME after connecting (default 10s)',
    )
    .option(
      '--broker',
      'connection broker (ncat --broker): what each client sends goes to all the other clients, not to stdout; implies -k',
    )
    .option(
      '--broker-buffer <bytes>',
      'with --broker: a client more than BYTES behind the others is disconnected (default 1048576)',
    )
    .option(
      '--allow-remote-exec',
      'let --exec listen on a non-loopback address: anyone who reaches it runs the command (warned about on stderr)',
    );
}

/** Checks the flags that cannot go together; throws a usage error. */
export function checkCommonFlags(flags: NetcatFlags): void {
  const conflict = (a: boolean | undefined, b: boolean | undefined, message: string): void => {
    if (a && b) throw new CliError(message, ExitCode.usage);
  };
  conflict(flags.sendOnly, flags.recvOnly, '--send-only and --recv-only cannot be used together');
  conflict(flags.ipv4, flags.ipv6, '-4 and -6 cannot be used together');
  conflict(
    flags.tlsInsecure,
    flags.tlsVerify,
    '--tls-insecure and --tls-verify cannot be used together',
  );
  conflict(
    flags.unixsock !== undefined,
    flags.ipv4 || flags.ipv6,
    '-4/-6 do not apply to Unix sockets (-U)',
  );
  conflict(
    flags.send !== undefined,
    flags.recvOnly,
    '--send and --recv-only cannot be used together',
  );
  conflict(
    flags.udp,
    Boolean(
      flags.tls ||
      flags.tlsCert ||
      flags.tlsKey ||
      flags.tlsCa ||
      flags.tlsVerify ||
      flags.tlsServername ||
      flags.tlsInsecure ||
      flags.tlsFingerprint,
    ),
    'TLS needs a stream socket: --tls cannot be used with -u (DTLS is not supported)',
  );
  if (flags.exec !== undefined) {
    const other = [
      ['-u', flags.udp],
      ['--send', flags.send !== undefined],
      ['--send-only', flags.sendOnly],
      ['--recv-only', flags.recvOnly],
      ['--no-shutdown', flags.shutdown === false],
      ['-C', flags.crlf],
      ['-x', flags.hexDump !== undefined],
      ['--broker', flags.broker],
    ] as const;
    const clash = other.find(([, given]) => given === true);
    if (clash !== undefined) {
      throw new CliError(
        `--exec connects the command to the socket: ${clash[0]} cannot be used with it`,
        ExitCode.usage,
      );
    }
  }
  if (flags.broker === true) {
    const other = [
      ['-u', flags.udp],
      ['--send', flags.send !== undefined],
      ['--send-only', flags.sendOnly],
      ['--recv-only', flags.recvOnly],
      ['-C', flags.crlf],
      ['-x', flags.hexDump !== undefined],
      ['-i', flags.idleTimeout !== undefined],
    ] as const;
    const clash = other.find(([, given]) => given === true);
    if (clash !== undefined) {
      throw new CliError(
        `--broker relays between the clients (stdin and stdout are not used): ${clash[0]} cannot be used with it`,
        ExitCode.usage,
      );
    }
  } else if (flags.brokerBuffer !== undefined) {
    throw new CliError('--broker-buffer applies to --broker', ExitCode.usage);
  }
  if (flags.allowRemoteExec === true && flags.exec === undefined) {
    throw new CliError('--allow-remote-exec applies to --exec', ExitCode.usage);
  }
}

/**
 * The argv of `--exec CMD`: relay's `exec:` splitting (words and quotes, no shell).
 * @throws {CliError} (usage) for an empty command or an unterminated quote.
 */
export function execArgv(command: string): string[] {
  let argv: string[];
  try {
    argv = splitCommand(command);
  } catch (err) {
    throw new CliError(
      `--exec ${JSON.stringify(command)}: ${err instanceof Error ? err.message : String(err)}`,
      ExitCode.usage,
    );
  }
  if (argv.length === 0) throw new CliError('--exec needs a command', ExitCode.usage);
  return argv;
}

/** Parses an optional duration flag into seconds (usage error when malformed). */
export function durationFlag(value: string | undefined, option: string): number | null {
  if (value === undefined) return null;
  try {
    return parseDuration(value, option);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), ExitCode.usage);
  }
}

/** Parses a port argument: 0–65535 (`allowZero` for listen, where 0 picks a free port). */
export function parsePort(text: string | undefined, allowZero: boolean): number {
  const port = text !== undefined && /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535 || (!allowZero && port === 0)) {
    throw new CliError(
      `bad port ${JSON.stringify(text ?? '')}: expected a number from ${allowZero ? 0 : 1} to 65535`,
      ExitCode.usage,
    );
  }
  return port;
}

/** Parses a positive integer flag such as `-m`. */
export function positiveIntFlag(
  value: string | undefined,
  option: string,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new CliError(
      `${option} expects a whole number of at least 1, not ${JSON.stringify(value)}`,
      ExitCode.usage,
    );
  }
  return n;
}

/** Where `-x` writes: stderr for `-`, else a file (truncated, as ncat does). */
export interface HexDumpTarget {
  dump: (chunk: Buffer) => void;
  close(): Promise<void>;
}

/** Opens the `-x` target, or returns null when `-x` was not given. */
export function openHexDump(path: string | undefined, stderr: Writable): HexDumpTarget | null {
  if (path === undefined) return null;
  if (path === '-') {
    return { dump: (chunk) => stderr.write(formatHexDump(chunk)), close: async () => {} };
  }
  const file = createWriteStream(path);
  let failure: Error | null = null;
  file.on('error', (err) => {
    failure = err;
  });
  return {
    dump: (chunk) => {
      if (failure === null) file.write(formatHexDump(chunk));
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        file.end(() =>
          failure ? reject(new InvalidArgumentError(`-x ${path}: ${failure.message}`)) : resolve(),
        );
        if (failure) reject(new InvalidArgumentError(`-x ${path}: ${failure.message}`));
      }),
  };
}

/** Resolves once everything written to `stream` so far has been flushed. */
export function flushed(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableEnded || stream.destroyed) resolve();
    else stream.write('', () => resolve());
  });
}

/**
 * Words an option shared by `connect` and `listen` for one of them (e.g. `--tls-cert`:
 * what the server serves with, or the client certificate a client presents).
 */
export function describeOption(cmd: Command, long: string, description: string): void {
  const option = cmd.options.find((o) => o.long === long);
  if (option !== undefined) option.description = description;
}
