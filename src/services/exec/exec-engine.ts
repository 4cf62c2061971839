/**
 * The transport-independent core of the exec service: parses and authenticates a
 * request, checks it against the allowlist, enforces the concurrency cap, runs the
 * command and reports reply frames. The TCP and UDP handlers only move bytes.
 *
 * The header is checked before anything else is read: its shape, then the MAC (constant
 * time), and only then the clock and the nonce, so an unauthenticated client learns
 * nothing (not even the server's clock) and the allowlist is consulted only once the
 * request is authenticated: nobody without the secret learns which commands exist.
 * @module
 */
import { channel } from 'node:diagnostics_channel';
import { InvalidArgumentError } from '../../errors.js';
import { type AllowedCommand, resolveCommand } from './allowlist.js';
import { runCommand } from './command-runner.js';
import type { Confinement } from './confinement.js';
import { ExecRefusedError } from './exec-error.js';
import {
  bodyHash,
  EXEC_PROTOCOL_VERSION,
  type ExecReplyFrame,
  type ExecRequest,
  type ExecRequestHeader,
  verifyMac,
} from './exec-protocol.js';
import { ReplayGuard } from './replay-guard.js';

const runChannel = channel('socketkit:exec:run');
const refusedChannel = channel('socketkit:exec:refused');

/** Options of {@link ExecEngine}. */
export interface ExecEngineOptions {
  allowlist: ReadonlyMap<string, AllowedCommand>;
  /** The shared HMAC secret (at least 16 bytes). */
  secret: Uint8Array;
  /** Seconds a command may run (default 10). */
  timeout?: number;
  /** stdout + stderr bytes per run (default 1 MiB). */
  maxOutput?: number;
  /** Commands running at once, all clients together (default 4). */
  maxConcurrent?: number;
  /** Working directory of every command (default `/`). */
  cwd?: string;
  /** Environment of every command (default a minimal PATH and LANG). */
  env?: Record<string, string>;
  /** Largest request, bytes (default 2 MiB: Linux caps argv near there anyway). */
  maxRequest?: number;
  /** Clock window and nonce store (default: ±60 s, nonces in memory). */
  replay?: ReplayGuard;
  /** How commands are wrapped (default: their own process group only). */
  confinement?: Confinement;
}

/** The environment commands get: nothing of the server's own (no secrets leak). */
export const MINIMAL_ENV: Record<string, string> =
  process.platform === 'win32'
    ? {
        SystemRoot: process.env.SystemRoot ?? 'C:\\Windows',
        PATH: 'C:\\Windows\\system32;C:\\Windows',
      }
    : { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };

/** See the module comment. */
export class ExecEngine {
  readonly allowlist: ReadonlyMap<string, AllowedCommand>;
  readonly timeoutMs: number;
  readonly maxOutput: number;
  readonly maxConcurrent: number;
  readonly maxRequest: number;
  readonly cwd: string;
  readonly replay: ReplayGuard;
  readonly confinement: Confinement | undefined;
  readonly #secret: Uint8Array;
  readonly #env: Record<string, string>;
  #running = 0;

  /** @throws {InvalidArgumentError} for an empty allowlist, a short secret or a bad limit. */
  constructor(options: ExecEngineOptions) {
    if (options.allowlist.size === 0)
      throw new InvalidArgumentError(
        'exec: the allowlist is empty (give --allow-command NAME=/abs/path)',
      );
    if (options.secret.length < 16)
      throw new InvalidArgumentError('exec: the secret must be at least 16 bytes');
    const positive = (name: string, v: number | undefined, dflt: number): number => {
      const n = v ?? dflt;
      if (!Number.isFinite(n) || n <= 0)
        throw new InvalidArgumentError(`exec: ${name} must be > 0, got ${n}`);
      return n;
    };
    this.allowlist = options.allowlist;
    this.#secret = Buffer.from(options.secret);
    this.timeoutMs = positive('timeout', options.timeout, 10) * 1000;
    this.maxOutput = Math.floor(positive('maxOutput', options.maxOutput, 1 << 20));
    this.maxConcurrent = Math.floor(positive('maxConcurrent', options.maxConcurrent, 4));
    this.maxRequest = Math.floor(positive('maxRequest', options.maxRequest, 2 << 20));
    this.cwd = options.cwd ?? '/';
    this.#env = options.env ?? MINIMAL_ENV;
    this.replay = options.replay ?? new ReplayGuard();
    this.confinement = options.confinement;
  }

  /** Commands running now. */
  get running(): number {
    return this.#running;
  }

  /**
   * Parses and authenticates a request header: shape, MAC, then clock and nonce.
   * @throws {ExecRefusedError} `ERR_EXEC_BAD_REQUEST` (not a header), `ERR_EXEC_AUTH`
   *   (bad MAC), then only for authenticated headers `ERR_EXEC_CLOCK_SKEW`,
   *   `ERR_EXEC_REPLAY` or `ERR_EXEC_BUSY` (the nonce store is full or unreachable).
   */
  async authenticateHeader(payload: Buffer): Promise<ExecRequestHeader> {
    let h: Partial<ExecRequestHeader>;
    try {
      h = JSON.parse(payload.toString('utf8')) as Partial<ExecRequestHeader>;
    } catch {
      throw new ExecRefusedError('ERR_EXEC_BAD_REQUEST', 'request header is not JSON');
    }
    if (
      typeof h !== 'object' ||
      h === null ||
      h.v !== EXEC_PROTOCOL_VERSION ||
      typeof h.id !== 'string' ||
      h.id.length > 64 ||
      typeof h.command !== 'string' ||
      typeof h.nonce !== 'string' ||
      h.nonce.length < 16 ||
      h.nonce.length > 128 ||
      typeof h.ts !== 'number' ||
      !Number.isFinite(h.ts) ||
      !Number.isInteger(h.bodyLength) ||
      (h.bodyLength as number) < 0 ||
      typeof h.bodyHash !== 'string' ||
      typeof h.mac !== 'string'
    ) {
      throw new ExecRefusedError(
        'ERR_EXEC_BAD_REQUEST',
        `not a version ${EXEC_PROTOCOL_VERSION} exec request header (fields v, id, command, nonce, ts, bodyLength, bodyHash, mac)`,
      );
    }
    const header = h as ExecRequestHeader;
    if (!verifyMac(this.#secret, header))
      throw new ExecRefusedError('ERR_EXEC_AUTH', 'authentication failed: bad MAC (wrong secret?)');
    // Authenticated from here on: now a refusal may say what is wrong.
    this.replay.checkClock(header.ts);
    if (header.bodyLength > this.maxRequest)
      throw new ExecRefusedError(
        'ERR_EXEC_BAD_REQUEST',
        `request body of ${header.bodyLength} bytes is over the server's limit of ${this.maxRequest}`,
      );
    await this.replay.admit(header.nonce, header.ts);
    return header;
  }

  /**
   * Checks the body against its authenticated header and decodes the arguments.
   * @throws {ExecRefusedError} `ERR_EXEC_AUTH` when it is not the body the header
   *   signed, `ERR_EXEC_BAD_REQUEST` when it is not a JSON array of strings.
   */
  openBody(header: ExecRequestHeader, body: Buffer): ExecRequest {
    if (body.length !== header.bodyLength || bodyHash(body) !== header.bodyHash.toLowerCase())
      throw new ExecRefusedError(
        'ERR_EXEC_AUTH',
        'authentication failed: the request body is not the one the header signed',
      );
    let args: unknown;
    try {
      args = JSON.parse(body.toString('utf8'));
    } catch {
      throw new ExecRefusedError('ERR_EXEC_BAD_REQUEST', 'request body is not JSON');
    }
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
      throw new ExecRefusedError(
        'ERR_EXEC_BAD_REQUEST',
        'request body must be a JSON array of strings (the arguments)',
      );
    return {
      id: header.id,
      command: header.command,
      args: args,
      nonce: header.nonce,
      ts: header.ts,
    };
  }

  /**
   * Runs an authenticated request, handing reply frames to `send` in order; the last
   * one is `end` or `error`. Never rejects for the request's sake: refusals become an
   * `error` frame. Rejects only when `send` itself failed.
   */
  async execute(
    request: ExecRequest,
    send: (frame: ExecReplyFrame) => Promise<void> | void,
    signal?: AbortSignal,
  ): Promise<void> {
    let resolved: { entry: AllowedCommand; argv: string[] };
    try {
      resolved = resolveCommand(this.allowlist, request.command, request.args);
      if (this.#running >= this.maxConcurrent)
        throw new ExecRefusedError(
          'ERR_EXEC_BUSY',
          `server busy: ${this.maxConcurrent} commands already running`,
        );
    } catch (err) {
      await send(this.refusal(err, request.id));
      return;
    }
    this.#running++;
    try {
      const started = performance.now();
      const result = await runCommand(resolved.entry.file, resolved.argv, {
        cwd: this.cwd,
        env: this.#env,
        timeoutMs: this.timeoutMs,
        maxOutput: this.maxOutput,
        ...(signal ? { signal } : {}),
        ...(this.confinement ? { confinement: this.confinement } : {}),
        onOutput: (stream, data) => send({ type: stream, data }),
      });
      if (runChannel.hasSubscribers)
        runChannel.publish({
          command: request.command,
          ...result,
          ms: performance.now() - started,
        });
      if (result.aborted) return;
      const { exit, signal: sig, truncated, timedOut } = result;
      await send({ type: 'end', end: { id: request.id, exit, signal: sig, truncated, timedOut } });
    } catch (err) {
      if (err instanceof ExecRefusedError) await send(this.refusal(err, request.id));
      else throw err;
    } finally {
      this.#running--;
    }
  }

  /** The error frame for a refusal (anything else is reported as a bad request). */
  refusal(err: unknown, id: string | null): ExecReplyFrame {
    const e =
      err instanceof ExecRefusedError
        ? err
        : new ExecRefusedError(
            'ERR_EXEC_BAD_REQUEST',
            err instanceof Error ? err.message : String(err),
          );
    if (refusedChannel.hasSubscribers)
      refusedChannel.publish({ id, reason: e.reason, message: e.message });
    return { type: 'error', error: { id, code: e.reason, message: e.message } };
  }
}
