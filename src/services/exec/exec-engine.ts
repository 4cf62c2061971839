/**
 * The transport-independent core of the exec service: parses and authenticates a
 * request, checks it against the allowlist, enforces the concurrency cap, runs the
 * command and reports reply frames. The TCP and UDP handlers only move bytes.
 *
 * Checks run cheapest-first and the allowlist is consulted only after the MAC
 * verified, so an unauthenticated client learns nothing about which commands exist.
 * @module
 */
import { channel } from 'node:diagnostics_channel';
import { InvalidArgumentError } from '../../errors.js';
import { type AllowedCommand, resolveCommand } from './allowlist.js';
import { runCommand } from './command-runner.js';
import { ExecRefusedError } from './exec-error.js';
import {
  EXEC_PROTOCOL_VERSION,
  type ExecReplyFrame,
  type ExecRequest,
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
  /** Clock window and nonce table. */
  replay?: ReplayGuard;
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
  }

  /** Commands running now. */
  get running(): number {
    return this.#running;
  }

  /**
   * Parses and authenticates a request.
   * @throws {ExecRefusedError} for malformed, stale, forged or replayed requests.
   */
  authenticate(payload: Buffer): ExecRequest {
    let r: Partial<ExecRequest>;
    try {
      r = JSON.parse(payload.toString('utf8')) as Partial<ExecRequest>;
    } catch {
      throw new ExecRefusedError('ERR_EXEC_BAD_REQUEST', 'request is not JSON');
    }
    if (
      typeof r !== 'object' ||
      r === null ||
      r.v !== EXEC_PROTOCOL_VERSION ||
      typeof r.id !== 'string' ||
      r.id.length > 64 ||
      typeof r.command !== 'string' ||
      !Array.isArray(r.args) ||
      !r.args.every((a) => typeof a === 'string') ||
      typeof r.nonce !== 'string' ||
      r.nonce.length < 16 ||
      r.nonce.length > 128 ||
      typeof r.ts !== 'number' ||
      !Number.isFinite(r.ts) ||
      typeof r.mac !== 'string'
    ) {
      throw new ExecRefusedError(
        'ERR_EXEC_BAD_REQUEST',
        `not a version ${EXEC_PROTOCOL_VERSION} exec request (fields v, id, command, args, nonce, ts, mac)`,
      );
    }
    const request = r as ExecRequest;
    this.replay.checkClock(request.ts);
    if (!verifyMac(this.#secret, request))
      throw new ExecRefusedError('ERR_EXEC_AUTH', 'authentication failed: bad MAC (wrong secret?)');
    this.replay.admit(request.nonce, request.ts);
    return request;
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
