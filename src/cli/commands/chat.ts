/**
 * `socketkit chat HOST PORT [--nick NAME]` — the chat client (the tutorials' two-thread
 * client done right).
 *
 * - At a terminal: a readline prompt with history; an incoming line clears the prompt,
 *   prints, and redraws the prompt with what you were typing, so nothing is garbled.
 *   Colours unless `NO_COLOR` is set or `--no-color` is given.
 * - In a pipe or with `--plain`: stdin lines are sent, received lines go to stdout as
 *   they are, and at the end of stdin the client says `/quit` and waits for the server
 *   to close (so replies to the last commands are not lost).
 * @module
 */
import { createInterface, type Interface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { Command } from 'commander';
import { Socket } from '../../socket/tcp-socket.js';
import type { TlsConnectOptions } from '../../socket/tls-pin.js';
import { certificateError, clientTlsOptions } from '../client-tls.js';
import { CliError, type CliIO, ExitCode } from '../io.js';
import { neutralizeTerminalText } from '../terminal-text.js';
import type { CommandFactory } from './index.js';
import { ignoreError } from '../../internal/ignore-error.js';

interface ChatFlags {
  nick?: string;
  plain?: boolean;
  color?: boolean;
  wait: string;
  tls?: boolean;
  tlsCa?: string;
  tlsServername?: string;
  tlsInsecure?: boolean;
  tlsFingerprint?: string;
}

/**
 * The TLS options of `--tls` (the shared CLI client helper): the server's certificate is
 * verified (CA and host name) against the system CAs or `--tls-ca`, unless
 * `--tls-insecure` says otherwise, loudly.
 */
function chatTlsOptions(io: CliIO, host: string, flags: ChatFlags): TlsConnectOptions | undefined {
  const tls = Boolean(
    flags.tls || flags.tlsCa || flags.tlsServername || flags.tlsInsecure || flags.tlsFingerprint,
  );
  if (!tls) return undefined;
  return clientTlsOptions(flags, host, (line) => io.stderr.write(line));
}

const EXAMPLES = `
Examples:
  $ socketkit serve chat --port 7777 &
  $ socketkit chat 127.0.0.1 7777 --nick alice
  $ printf '/who\\nhello\\n' | socketkit chat 127.0.0.1 7777 --nick bot   # plain mode
  $ socketkit chat chat.example.org 7777 --tls                  # verified against the system CAs
  $ socketkit chat 127.0.0.1 7777 --tls-ca ca.pem --tls-servername localhost

Control characters and escape sequences from the server are shown as \\x1b, \\u{202e}, …,
never acted on by the terminal.

Type /help once connected for the chat commands; /quit (or Ctrl-D) leaves.
Exit status: 0 left normally, 1 connection failed, 2 usage error, 130 interrupted.`;

const ESC = '\u001b[';

/**
 * The most characters of a line kept while its newline has not come: far above any line
 * a chat server sends (its lines are bounded by its --max-line-length); a longer run is
 * printed in pieces of this size, so a hostile server cannot fill the client's memory.
 */
export const MAX_PARTIAL_LINE = 1024 * 1024;

function isHighSurrogate(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code >= 0xd800 && code <= 0xdbff;
}
const paint = (code: string, s: string): string => `${ESC}${code}m${s}${ESC}0m`;
const NICK_COLORS = ['31', '32', '33', '34', '35', '36', '91', '92', '94', '95', '96'];

function nickColor(nick: string): string {
  let h = 0;
  for (const ch of nick) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return NICK_COLORS[h % NICK_COLORS.length] ?? '36';
}

/** Colours one server line by its marker (see the protocol in docs/chat.md). */
export function colorize(line: string): string {
  const history = line.startsWith('<history> ');
  const body = history ? line.slice(10) : line;
  const said = /^<([^>\s]+)> (.*)$/s.exec(body);
  const action = /^\* (\S+) (.*)$/s.exec(body);
  let out = body;
  if (body.startsWith('<server> error:')) out = paint('31', body);
  else if (body.startsWith('<server> ')) out = paint('33', body);
  else if (body.startsWith('<announce> ')) out = paint('2', body);
  else if (said !== null) out = `${paint(nickColor(said[1] ?? ''), `<${said[1]}>`)} ${said[2]}`;
  else if (action !== null) out = paint(nickColor(action[1] ?? ''), body);
  else if (/^(->\s)?\*\S+\*/.test(body)) out = paint('1;35', body);
  return history ? paint('2', '⟲ ') + out : out;
}

function parsePort(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new CliError(`PORT must be 1-65535, got "${raw}"`, ExitCode.usage);
  }
  return n;
}

async function runChat(
  io: CliIO,
  host: string,
  portArg: string,
  flags: ChatFlags,
): Promise<number> {
  const port = parsePort(portArg);
  const wait = Number(flags.wait);
  if (!(wait > 0))
    throw new CliError(`--wait must be a positive number of seconds`, ExitCode.usage);
  const interactive = flags.plain !== true && io.stdin.isTTY === true && io.stdout.isTTY === true;
  const colors =
    flags.color !== false &&
    io.stdout.isTTY === true &&
    (io.env.NO_COLOR ?? '') === '' &&
    flags.plain !== true;

  const tls = chatTlsOptions(io, host, flags);
  let sock: Socket;
  try {
    sock = await Socket.createConnection(
      { host, port },
      { timeout: wait, ...(tls === undefined ? {} : { tls }) },
    );
  } catch (err) {
    // The certificate error is the socket error's cause (or the error itself).
    const message = err instanceof Error ? err.message : String(err);
    const cause = err instanceof Error ? err.cause : undefined;
    const refused =
      tls === undefined
        ? null
        : (certificateError(err, message) ?? certificateError(cause, message));
    throw refused ?? err;
  }
  sock.setOperationTimeout(null);
  const send = (line: string): void => {
    sock.sendAll(`${line}\n`).catch(ignoreError('cli:chat-send'));
  };
  if (flags.nick !== undefined) send(`/nick ${flags.nick}`);

  let rl: Interface | null = null;
  const print = (line: string): void => {
    // Whatever the server sends, nothing reaches the terminal as a control sequence.
    const safe = neutralizeTerminalText(line);
    const text = colors ? colorize(safe) : safe;
    if (rl !== null) {
      // Clear the prompt line, print, then redraw the prompt and what was typed.
      io.stdout.write(`\r${ESC}2K${text}\n`);
      rl.prompt(true);
    } else {
      io.stdout.write(`${text}\n`);
    }
  };

  let quitting = false;
  const quit = (): void => {
    if (quitting) return;
    quitting = true;
    send('/quit');
    // The server closes after "bye"; do not wait for ever if it does not.
    setTimeout(() => sock.destroy(), 5000).unref();
  };

  rl = interactive
    ? createInterface({
        input: io.stdin,
        output: io.stdout,
        terminal: true,
        historySize: 1000,
        prompt: '> ',
      })
    : null;
  const input = rl ?? createInterface({ input: io.stdin, terminal: false, crlfDelay: Infinity });
  input.on('line', (line: string) => {
    if (quitting) return;
    if (/^\/quit\b/i.test(line.trim())) {
      quitting = true;
      send(line.trim());
      setTimeout(() => sock.destroy(), 5000).unref();
      return;
    }
    if (line.trim() !== '') send(line);
    rl?.prompt();
  });
  input.on('close', quit); // Ctrl-D or end of piped input
  rl?.on('SIGINT', quit);
  const onAbort = (): void => sock.destroy();
  io.signal.addEventListener('abort', onAbort, { once: true });
  rl?.prompt();

  // A character may be split between two reads: decode across them, never per chunk.
  const decoder = new StringDecoder('utf8');
  let partial = '';
  try {
    for await (const chunk of sock) {
      // Only the new text is searched for newlines: a long line costs no rescans.
      const parts = decoder.write(chunk).split('\n');
      parts[0] = partial + (parts[0] ?? '');
      partial = parts.pop() ?? '';
      for (const p of parts) print(p.endsWith('\r') ? p.slice(0, -1) : p);
      // A line that never ends is shown in pieces: whatever the server sends, the client
      // holds at most MAX_PARTIAL_LINE characters of it (and nothing is dropped).
      while (partial.length > MAX_PARTIAL_LINE) {
        const cut = isHighSurrogate(partial, MAX_PARTIAL_LINE - 1)
          ? MAX_PARTIAL_LINE - 1
          : MAX_PARTIAL_LINE;
        print(partial.slice(0, cut));
        partial = partial.slice(cut);
      }
    }
    partial += decoder.end();
    if (partial !== '') print(partial);
  } catch (err) {
    if (!quitting && !io.signal.aborted) throw err;
  } finally {
    io.signal.removeEventListener('abort', onAbort);
    input.removeAllListeners('close');
    input.close();
    if (rl !== null) io.stdout.write('\n');
    sock.destroy();
  }
  if (io.signal.aborted) return ExitCode.interrupted;
  if (interactive && !quitting) io.stderr.write('socketkit: the server closed the connection\n');
  return ExitCode.ok;
}

/** Builds `socketkit chat`. */
export const chatCommand: CommandFactory = (io, setExitCode) =>
  new Command('chat')
    .description('chat with a socketkit chat server (or any line chat: ncat --chat, …)')
    .argument('<host>', 'server host name or IP address')
    .argument('<port>', 'server port (socketkit serve chat uses 7777)')
    .option('-n, --nick <name>', 'nickname to take on arrival')
    .option('--plain', 'no prompt, no colours: stdin lines out, received lines to stdout')
    .option('--no-color', 'no colours even at a terminal (NO_COLOR is also honoured)')
    .option('-w, --wait <seconds>', 'connect timeout', '10')
    .option('--tls', "connect with TLS, verifying the server's certificate (CA and host name)")
    .option('--tls-ca <file>', 'trust this CA (PEM) instead of the system CAs (implies --tls)')
    .option('--tls-servername <name>', 'the name to check the certificate against (and SNI)')
    .option('--tls-insecure', "DANGER: do not verify the server's certificate (implies --tls)")
    .option(
      '--tls-fingerprint <sha256>',
      'trust only the certificate with this SHA-256 fingerprint, instead of CAs (implies --tls)',
    )
    .addHelpText('after', EXAMPLES)
    .action(async (host: string, port: string, flags: ChatFlags) => {
      setExitCode(await runChat(io, host, port, flags));
    });
