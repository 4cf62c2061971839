/**
 * Runs one allowlisted command: `spawn(file, argv, { shell: false })` in a fixed
 * directory with a minimal environment, its own process group, and the confinement
 * detected at start (confinement.ts: a PID namespace and a pids cgroup where the host
 * allows them), so a timeout kills the whole tree, not just the first process; a
 * timeout and an output cap. Output
 * is handed to `onOutput` chunk by chunk, in order; the next chunk is not read until
 * the previous `onOutput` promise settled, so a slow client slows the command down
 * (pipe backpressure) instead of filling the server's memory.
 * @module
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { type Confinement, confine } from './confinement.js';
import { ExecRefusedError } from './exec-error.js';

/** Options of {@link runCommand}. */
export interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  /** Killed (SIGKILL to the process group) after this many ms. */
  timeoutMs: number;
  /** stdout + stderr bytes passed on at most; the command is killed past it. */
  maxOutput: number;
  /** Aborting kills the command (client gone, server stopping). */
  signal?: AbortSignal;
  /** How the command is wrapped (default: its own process group only). */
  confinement?: Confinement;
  /** Receives output in order; a rejection kills the command. */
  onOutput: (stream: 'stdout' | 'stderr', data: Buffer) => Promise<void> | void;
}

/** How a run ended. */
export interface RunResult {
  exit: number | null;
  signal: string | null;
  truncated: boolean;
  timedOut: boolean;
  /** True when `signal` aborted the run or `onOutput` failed. */
  aborted: boolean;
}

/** After the command exits, how long its leftover pipes may stay open. */
const PIPE_GRACE_MS = 1000;

/**
 * Runs `file argv…`; resolves when it ended and its output was handed on.
 * @throws {ExecRefusedError} `ERR_EXEC_SPAWN` when it could not start.
 */
export function runCommand(
  file: string,
  argv: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let child: ChildProcessByStdio<null, Readable, Readable>;
    const run = options.confinement
      ? confine(options.confinement, file, argv)
      : { file, argv: [...argv], cleanup: () => {} };
    try {
      child = spawn(run.file, run.argv, {
        shell: false,
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group: a timeout can then kill everything it started.
        detached: process.platform !== 'win32',
        windowsHide: true,
      });
    } catch (err) {
      run.cleanup();
      reject(
        new ExecRefusedError(
          'ERR_EXEC_SPAWN',
          `could not start ${file}: ${(err as Error).message}`,
          { cause: err },
        ),
      );
      return;
    }
    let output = 0;
    let truncated = false;
    let timedOut = false;
    let aborted = false;
    let exit: number | null = null;
    let exitSignal: string | null = null;
    let chain: Promise<void> = Promise.resolve();
    let graceTimer: NodeJS.Timeout | undefined;

    const killTree = (): void => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32')
          process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // Already gone: nothing to kill.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killTree();
    }, options.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      killTree();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    const pump = (
      name: 'stdout' | 'stderr',
      stream: NodeJS.ReadableStream & { pause(): unknown; resume(): unknown },
    ): void => {
      stream.on('data', (chunk: Buffer) => {
        if (truncated || aborted) return;
        let data = chunk;
        if (output + data.length > options.maxOutput) {
          data = data.subarray(0, options.maxOutput - output);
          truncated = true;
          // Nobody will see the rest: stop the command instead of draining it.
          killTree();
        }
        output += data.length;
        if (data.length === 0) return;
        stream.pause();
        chain = chain
          .then(() => options.onOutput(name, data))
          .then(
            () => {
              stream.resume();
            },
            () => onAbort(),
          );
      });
    };
    pump('stdout', child.stdout);
    pump('stderr', child.stderr);

    child.once('error', (err) => {
      clearTimeout(timer);
      run.cleanup();
      options.signal?.removeEventListener('abort', onAbort);
      reject(
        new ExecRefusedError('ERR_EXEC_SPAWN', `could not start ${file}: ${err.message}`, {
          cause: err,
        }),
      );
    });
    child.once('exit', (code, sig) => {
      exit = code;
      exitSignal = sig;
      // Leftover children of the command (`cmd &`) would hold its pipes open: end them.
      killTree();
      graceTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, PIPE_GRACE_MS);
    });
    child.once('close', () => {
      clearTimeout(timer);
      // Whatever is left in the run's cgroup (a setsid() escapee without a namespace).
      run.cleanup();
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onAbort);
      void chain.then(() => resolve({ exit, signal: exitSignal, truncated, timedOut, aborted }));
    });
  });
}
