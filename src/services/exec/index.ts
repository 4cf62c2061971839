/**
 * The remote command execution service for `socketkit serve exec` (seeds S5 TCP and
 * S8 UDP), done safely. It is off unless configured: `create()` refuses to start
 * without an allowlist and a shared secret, it is never part of `serve`'s default set,
 * it refuses a non-loopback address unless TLS is on (and UDP, which has no TLS, only
 * ever on loopback), and it runs allowlisted executables without a shell. See
 * docs/exec.md for the protocol and every limit.
 * @module
 */
import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../../errors.js';
import { numberOption } from '../number-option.js';
import type { ServiceDefinition, ServiceEnv, ServiceOption } from '../service.js';
import { buildAllowlist } from './allowlist.js';
import { type ConfineMode, detectConfinement } from './confinement.js';
import { createExecDatagramHandler } from './datagram-handler.js';
import { ExecEngine } from './exec-engine.js';
import { EXEC_DEFAULT_PORT } from './exec-protocol.js';
import { PreauthGate } from './preauth-gate.js';
import { ReplayGuard } from './replay-guard.js';
import { openNonceStore } from './replay-store.js';
import { createExecStreamHandler } from './stream-handler.js';

export {
  type AllowedCommand,
  buildAllowlist,
  parseCommandSpec,
  resolveCommand,
} from './allowlist.js';
export {
  confine,
  type ConfinedRun,
  type Confinement,
  type ConfinementOptions,
  type ConfineMode,
  detectConfinement,
  type ProcessLimit,
} from './confinement.js';
export {
  createExecDatagramHandler,
  type ExecDatagramHandlerOptions,
  NOT_EXEC_DATAGRAM,
} from './datagram-handler.js';
export { type ExecClientOptions, ExecSession, execUdp, type OutputSink } from './exec-client.js';
export { ExecEngine, type ExecEngineOptions, MINIMAL_ENV } from './exec-engine.js';
export { type ExecRefusal, ExecRefusedError, ExecReplyError } from './exec-error.js';
export {
  bodyHash,
  canonicalHeader,
  decodeReplyPayload,
  encodeReplyFrame,
  encodeReplyPayload,
  encodeRequest,
  EXEC_DEFAULT_PORT,
  EXEC_PROTOCOL_VERSION,
  execCodec,
  type ExecEnd,
  type ExecErrorReply,
  type ExecReplyFrame,
  type ExecRequest,
  type ExecRequestHeader,
  headerMac,
  lengthPrefixed,
  MAX_HEADER_LENGTH,
  ReplyType,
  type SignedRequest,
  signRequest,
  verifyMac,
} from './exec-protocol.js';
export { FileNonceStore, type FileNonceStoreOptions } from './file-nonce-store.js';
export { PreauthGate, type PreauthGateOptions } from './preauth-gate.js';
export type { RedisNonceStoreOptions } from './redis-nonce-store.js';
export {
  busy,
  MemoryNonceStore,
  type MemoryNonceStoreOptions,
  type NonceStore,
  ReplayGuard,
  type ReplayGuardOptions,
} from './replay-guard.js';
export {
  defaultReplayDir,
  openNonceStore,
  type OpenNonceStoreOptions,
  storeId,
} from './replay-store.js';
export {
  createExecStreamHandler,
  type ExecStreamHandlerOptions,
  NOT_EXEC_PROTOCOL_LINE,
} from './stream-handler.js';
export {
  CHUNK_MAGIC,
  ChunkAssembler,
  chunkReply,
  MAX_CHUNKS,
  MAX_DATAGRAM,
  parseChunk,
  type ReplyChunk,
} from './udp-chunks.js';

/** The environment variable holding the secret when no `--secret-file` is given. */
export const EXEC_SECRET_ENV = 'SOCKETKIT_EXEC_SECRET';

/** The service's options (flags of `socketkit serve exec`, keys of `serve --config`). */
export const execOptions: readonly ServiceOption[] = [
  {
    flags: '--allow-command <spec...>',
    key: 'allowCommand',
    description: 'allow NAME=/abs/path [fixed args] (repeatable; required unless commands is set)',
  },
  {
    flags: '--allow-args <spec...>',
    key: 'allowArgs',
    description:
      'NAME=REGEX: client arguments of NAME allowed if each matches REGEX whole (default: none)',
  },
  {
    flags: '--allow-options <spec...>',
    key: 'allowOptions',
    description:
      "NAME='*' or NAME=-a,-b: client arguments of NAME starting with '-' allowed (default: refused)",
  },
  {
    flags: '--commands <json>',
    key: 'commands',
    description: 'allowlist as a JSON map (in a config file: a YAML map), see docs/exec.md',
  },
  {
    flags: '--secret-file <file>',
    key: 'secretFile',
    description: `file holding the shared HMAC secret (else $${EXEC_SECRET_ENV}); >= 16 bytes`,
  },
  {
    flags: '--exec-timeout <seconds>',
    key: 'execTimeout',
    defaultValue: 10,
    description: 'kill a command (its whole process group) after this long',
    parse: numberOption('exec-timeout', 0.001, 86_400),
  },
  {
    flags: '--max-output <bytes>',
    key: 'maxOutput',
    defaultValue: 1 << 20,
    description:
      'stdout+stderr bytes per command; past it the command is killed, reply marked truncated',
    parse: numberOption('max-output', 1, 64 << 20),
  },
  {
    flags: '--max-concurrent <n>',
    key: 'maxConcurrent',
    defaultValue: 4,
    description: 'commands running at once (more are refused as busy)',
    parse: numberOption('max-concurrent', 1, 1024),
  },
  {
    flags: '--exec-cwd <dir>',
    key: 'execCwd',
    defaultValue: '/',
    description: 'working directory of every command',
  },
  {
    flags: '--max-procs <n>',
    key: 'maxProcs',
    defaultValue: 32,
    description:
      'processes one command may have at once, default 32 (pids cgroup; RLIMIT_NPROC when not root); see --confine',
    parse: numberOption('max-procs', 1, 1_000_000),
  },
  {
    flags: '--confine <mode>',
    key: 'confine',
    defaultValue: 'auto',
    description:
      'auto (default): a PID namespace (unshare) when the host allows it, else the process group; pidns: require it; pgroup: never',
    parse: (raw: string): ConfineMode => {
      if (raw !== 'auto' && raw !== 'pidns' && raw !== 'pgroup')
        throw new InvalidArgumentError(
          `--confine must be auto, pidns or pgroup, got ${JSON.stringify(raw)}`,
        );
      return raw;
    },
  },
  {
    flags: '--replay-store <spec>',
    key: 'replayStore',
    description:
      'where used nonces are kept: a directory (default ~/.local/state/socketkit/exec-replay/<id>), redis://HOST:PORT, or memory',
  },
  {
    flags: '--clock-skew <seconds>',
    key: 'clockSkew',
    defaultValue: 60,
    description:
      "largest difference between a request's timestamp and the server clock (default 60)",
    parse: numberOption('clock-skew', 1, 3600),
  },
  {
    flags: '--auth-timeout <seconds>',
    key: 'authTimeout',
    defaultValue: 5,
    description:
      'a new TCP connection must send a request header that verifies within this time (default 5)',
    parse: numberOption('auth-timeout', 0.1, 600),
  },
  {
    flags: '--max-unauthenticated-per-ip <n>',
    key: 'maxUnauthenticatedPerIp',
    defaultValue: 8,
    description:
      'TCP connections from one address not yet authenticated, default 8 (more are refused)',
    parse: numberOption('max-unauthenticated-per-ip', 1, 1_000_000),
  },
  {
    flags: '--max-unauthenticated <n>',
    key: 'maxUnauthenticated',
    defaultValue: 256,
    description: 'TCP connections not yet authenticated, all addresses together (default 256)',
    parse: numberOption('max-unauthenticated', 1, 1_000_000),
  },
  {
    flags: '--udp-rate <n>',
    key: 'udpRate',
    defaultValue: 2,
    description: 'UDP requests per second answered per client address',
    parse: numberOption('udp-rate', 0.001, 1e6),
  },
];

/** True for 127.0.0.0/8, ::1, `localhost` and IPv4-mapped loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

async function loadSecret(options: Record<string, unknown>, env: ServiceEnv): Promise<Uint8Array> {
  if (options.secret instanceof Uint8Array) return options.secret;
  if (typeof options.secret === 'string') return Buffer.from(options.secret, 'utf8');
  if (typeof options.secretFile === 'string') {
    let data: Buffer;
    try {
      data = await readFile(options.secretFile);
      if (process.platform !== 'win32' && ((await stat(options.secretFile)).mode & 0o077) !== 0)
        env.log('warn', `exec: ${options.secretFile} is readable by other users (chmod 600 it)`);
    } catch (err) {
      throw new InvalidArgumentError(
        `exec: cannot read --secret-file ${options.secretFile}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    // A trailing newline is an editor's, not part of the secret.
    return data.subarray(
      0,
      data.length - (/\r?\n$/.exec(data.toString('latin1'))?.[0].length ?? 0),
    );
  }
  const fromEnv = ((options.environment as NodeJS.ProcessEnv | undefined) ?? process.env)[
    EXEC_SECRET_ENV
  ];
  if (fromEnv) return Buffer.from(fromEnv, 'utf8');
  throw new InvalidArgumentError(
    `exec is off: give a shared secret (--secret-file FILE or $${EXEC_SECRET_ENV}, >= 16 bytes)`,
  );
}

/**
 * Refuses to expose exec: a network host other than loopback needs TLS (the
 * superserver passes `host`, `tlsEnabled`, `udpEnabled`), and UDP has no TLS at all.
 */
function checkExposure(options: Record<string, unknown>): void {
  const host = options.host;
  if (typeof host !== 'string' || isLoopbackHost(host)) return;
  if (options.tlsEnabled !== true)
    throw new InvalidArgumentError(
      `exec refuses to listen on ${host} without TLS (give --tls-cert/--tls-key, or listen on 127.0.0.1)`,
    );
  if (options.udpEnabled === true)
    throw new InvalidArgumentError(
      `exec over UDP has no TLS: it listens on loopback only, not ${host} (add --tcp)`,
    );
}

/** The service definition for the superserver. */
export const execService: ServiceDefinition = {
  name: 'exec',
  description:
    'remote command execution: allowlisted commands, HMAC-authenticated, no shell (opt-in)',
  defaultPort: EXEC_DEFAULT_PORT,
  transports: ['tcp', 'udp'],
  options: execOptions,
  async create(options: Record<string, unknown>, env: ServiceEnv) {
    const allowlist = buildAllowlist(options);
    if (allowlist.size === 0)
      throw new InvalidArgumentError(
        'exec is off: allow at least one command (--allow-command NAME=/abs/path, or commands: in the config)',
      );
    checkExposure(options);
    if (
      typeof options.execCwd === 'string' &&
      !statSync(options.execCwd, { throwIfNoEntry: false })?.isDirectory()
    )
      throw new InvalidArgumentError(`exec: --exec-cwd ${options.execCwd} is not a directory`);
    const secret = await loadSecret(options, env);
    const num = (key: string): number | undefined =>
      options[key] === undefined ? undefined : Number(options[key]);
    const confinement = detectConfinement({
      mode: (options.confine as ConfineMode | undefined) ?? 'auto',
      maxProcs: num('maxProcs') ?? 32,
    });
    const windowMs = (num('clockSkew') ?? 60) * 1000;
    const store = await openNonceStore(
      typeof options.replayStore === 'string' ? options.replayStore : undefined,
      {
        secret,
        windowMs,
        ...(options.environment ? { environment: options.environment as NodeJS.ProcessEnv } : {}),
      },
    );
    const engine = new ExecEngine({
      allowlist,
      secret,
      timeout: num('execTimeout'),
      maxOutput: num('maxOutput'),
      maxConcurrent: num('maxConcurrent'),
      replay: new ReplayGuard({ windowMs, store }),
      confinement,
      ...(typeof options.execCwd === 'string' ? { cwd: options.execCwd } : {}),
    });
    const { handler: datagram, limiter } = createExecDatagramHandler(engine, {
      rate: num('udpRate'),
    });
    const gate = new PreauthGate({
      perAddress: num('maxUnauthenticatedPerIp') ?? 8,
      maxTotal: num('maxUnauthenticated') ?? 256,
    });
    env.log('info', 'exec: serving allowlisted commands', {
      commands: [...allowlist.keys()].join(','),
    });
    env.log(
      confinement.unshare !== null && confinement.limit.kind !== 'none' ? 'info' : 'warn',
      `exec: commands confined by ${confinement.description}`,
    );
    env.log('info', `exec: replay guard: ±${windowMs / 1000} s, nonces in ${store.description}`);
    return {
      stream: createExecStreamHandler(engine, {
        gate,
        ...(num('authTimeout') === undefined ? {} : { authTimeout: num('authTimeout') }),
      }),
      datagram,
      async close() {
        limiter.clear();
        await engine.replay.close();
      },
    };
  },
  tryIt: (host, port, transport) =>
    `socketkit exec ${host} ${port}${transport === 'udp' ? ' --udp' : ''} --secret-file FILE COMMAND`,
};
