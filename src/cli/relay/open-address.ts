/**
 * Opens a client address of `socketkit relay` as a {@link RelayEnd}: streams through the
 * library's `Socket` (`connectStream`, the one connect of `connect`), datagrams through
 * its `DatagramSocket`/`UnixDatagramSocket` (netcat's endpoint helpers), `stdio`, `exec:`
 * (argv, `shell: false`) and `file:`. A `tcp` client with a proxy hop (`socks5:`,
 * `http-connect:`) goes through the library's `connectThroughProxy`, the one proxy client
 * `connect --proxy` uses too.
 * @module
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import { fromSystemError } from '../../errors.js';
import { ignored, ignoreError } from '../../internal/ignore-error.js';
import { connectThroughProxy, type ProxyAuth } from '../../socket/connect-through-proxy.js';
import { headerFirst } from '../../services/open-destination.js';
import type { TlsConnectOptions } from '../../socket/tls-pin.js';
import { CliError, type CliIO, ExitCode } from '../io.js';
import { connectStream } from '../netcat/connect-stream.js';
import { connectUdp } from '../netcat/udp-endpoints.js';
import { connectUnixDatagram } from '../netcat/unix-datagram-endpoints.js';
import { neutralizeTerminalText } from '../terminal-text.js';
import { DatagramEnd } from './datagram-end.js';
import { NodeStreamEnd } from './node-stream-end.js';
import type { ClientAddress } from './relay-address.js';
import { type RelayEnd, SocketEnd } from './relay-end.js';

/** How long a child gets to exit after its stdin closed (or a SIGTERM) before it is killed. */
const EXEC_EXIT_GRACE_MS = 5000;

/** Children get a process group of their own (POSIX). */
const GROUPS = process.platform !== 'win32';

/**
 * The process groups of commands that were reset and may not be gone yet: killed if the
 * CLI exits first (its SIGKILL timer does not hold the process), so a command that
 * ignores TERM does not outlive `connect --exec` or an interrupted relay either.
 */
const resetGroups = new Set<number>();

function killAtExit(): void {
  for (const group of resetGroups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch (err) {
      ignored('relay:exec-child', err); // gone already
    }
  }
}

/** What opening a client address needs. */
export interface OpenContext {
  io: CliIO;
  /** TLS client options for a `tls:` host (built once from the flags). */
  tlsFor: (host: string) => TlsConnectOptions;
  /** Seconds a stream connect (and TLS handshake, or proxy handshake) may take. */
  connectTimeout: number;
  /** Credentials for `socks5:`/`http-connect:` proxies (`--proxy-auth`), if any. */
  proxyAuth?: ProxyAuth | undefined;
  /** Which argument the address was: `file:` is read as the first, appended to as the second. */
  position: 'first' | 'second';
  signal: AbortSignal;
  /**
   * `--proxy-protocol`: a PROXY header describing the accepted client, sent on a stream
   * connection before any relayed byte; on `udp:`, before every datagram.
   */
  proxyHeader?: Buffer | undefined;
}

/**
 * Opens `address`.
 * @throws {SocketkitError} when a connection fails; {@link CliError} for a refused
 *   certificate, a command that cannot run, or a file that cannot be opened.
 */
export async function openClient(address: ClientAddress, ctx: OpenContext): Promise<RelayEnd> {
  const label = address.text;
  const common = { timeout: ctx.connectTimeout, signal: ctx.signal };
  switch (address.kind) {
    case 'tcp':
      if (address.via !== undefined) {
        const sock = await connectThroughProxy({
          proxy: address.via,
          type: address.via.type === 'http-connect' ? 'http' : 'socks5',
          host: address.target.host,
          port: address.target.port,
          auth: ctx.proxyAuth,
          timeout: ctx.connectTimeout,
          signal: ctx.signal,
        });
        return new SocketEnd(await headerFirst(sock, ctx.proxyHeader), label);
      }
      return new SocketEnd(
        await headerFirst(await connectStream(address.target, common), ctx.proxyHeader),
        label,
      );
    case 'tls':
      return new SocketEnd(
        await headerFirst(
          await connectStream(address.target, { ...common, tls: ctx.tlsFor(address.target.host) }),
          ctx.proxyHeader,
        ),
        label,
      );
    case 'unix':
      return new SocketEnd(
        await headerFirst(await connectStream({ path: address.path }, common), ctx.proxyHeader),
        label,
      );
    case 'udp':
      return new DatagramEnd(
        (await connectUdp(address.target.host, address.target.port, undefined)).port,
        label,
        ctx.proxyHeader ?? null,
      );
    case 'unix-dgram':
      return new DatagramEnd(await connectUnixDatagram(address.path), label);
    case 'stdio':
      return new NodeStreamEnd({
        label,
        input: ctx.io.stdin,
        output: ctx.io.stdout,
        endOutput: false,
      });
    case 'exec':
      return openExec(address.argv, label, ctx.io);
    case 'file':
      return openFile(address.path, label, ctx.position);
  }
}

/**
 * `exec:` (and `connect`/`listen --exec`): spawns `argv` (no shell); the child's stdout
 * is what the side sends, its stdin what it receives.
 * @throws {CliError} when the command cannot run.
 */
export async function openExec(argv: string[], label: string, io: CliIO): Promise<RelayEnd> {
  const [file, ...args] = argv as [string, ...string[]];
  // shell: false — the words are the argv; nothing in them is interpreted.
  const child = spawn(file, args, {
    shell: false,
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group: a reset then stops everything it started (a shell's
    // children, a pipeline), not just the one process, so nothing outlives its relay.
    detached: GROUPS,
  });
  try {
    await Promise.race([
      once(child, 'spawn'),
      once(child, 'error').then(([err]) => Promise.reject(err)),
    ]);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CliError(`${label}: cannot run ${JSON.stringify(file)}: ${reason}`, ExitCode.failure);
  }
  // A kill that fails is no reason to crash.
  child.on('error', ignoreError('relay:exec-child'));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    for (const line of text.split('\n')) {
      if (line !== '') io.stderr.write(`${neutralizeTerminalText(line)}\n`);
    }
  });
  /** The signal that ended the child (null: it exited). */
  const exited = new Promise<NodeJS.Signals | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.signalCode);
    else child.once('exit', (_code, signal) => resolve(signal));
  });
  let killed = false;
  const kill = (signal: NodeJS.Signals): void => {
    killed = true;
    try {
      if (GROUPS && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch (err) {
      ignored('relay:exec-child', err); // the group is gone already
    }
  };
  return new NodeStreamEnd({
    label,
    input: child.stdout,
    output: child.stdin,
    endOutput: true,
    // Its output is whole only if it exited: a child a signal killed (a crash, the OOM
    // killer, someone's kill -9) was cut short, and its peer must see a reset, not a FIN.
    // The exit status is not judged (inetd's rule: `grep` exits 1 having said all).
    inputDone: async () => {
      const signal = await exited;
      if (signal !== null && !killed) {
        throw new Error(
          `${label}: the command was killed by ${signal}: its output may be cut short`,
        );
      }
    },
    onReset: () => {
      // TERM first (a chance to clean up), KILL for whatever ignored it: a command that
      // traps TERM must not outlive its relay, or --max-connections bounds nothing.
      kill('SIGTERM');
      const group = GROUPS ? child.pid : undefined;
      if (group !== undefined) {
        if (resetGroups.size === 0) process.once('exit', killAtExit);
        resetGroups.add(group);
      }
      setTimeout(() => {
        kill('SIGKILL');
        if (group !== undefined && resetGroups.delete(group) && resetGroups.size === 0) {
          process.off('exit', killAtExit);
        }
      }, EXEC_EXIT_GRACE_MS).unref();
    },
    onClose: async () => {
      const grace = setTimeout(() => kill('SIGKILL'), EXEC_EXIT_GRACE_MS);
      await exited;
      clearTimeout(grace);
    },
  });
}

/**
 * `file:`: the first address is read (its bytes go to the other side; what comes back is
 * discarded and counted), the second is appended to (created with mode 0600; its input
 * is empty, so the other peer gets our EOF at once).
 */
async function openFile(
  path: string,
  label: string,
  position: 'first' | 'second',
): Promise<RelayEnd> {
  try {
    if (position === 'first') {
      const handle = await open(path, 'r');
      return new NodeStreamEnd({
        label,
        input: handle.createReadStream(),
        output: null,
        endOutput: false,
      });
    }
    const handle = await open(path, 'a', 0o600);
    return new NodeStreamEnd({
      label,
      input: null,
      output: handle.createWriteStream(),
      endOutput: true,
    });
  } catch (err) {
    throw new CliError(`${label}: ${fromSystemError(err, { path }).message}`, ExitCode.failure);
  }
}
