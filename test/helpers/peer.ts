/**
 * Running external peers (nc, ncat, socat, python3 …) as the tests' clients, event-driven:
 * a run ends when the peer exits, or as soon as its output is what the test waits for
 * (`until`), or when `stop` settles — the peer's own timeout flag (`nc -w5`, `ncat -i5`,
 * `socat -t5`) and `timeout` here are only safety bounds, never what the test relies on.
 * UDP may lose a datagram on a loaded machine: {@link udpPeer} retries a peer that got no
 * reply. {@link mapLimit} bounds how many peers run at once.
 */
import { spawn } from 'node:child_process';
import { WAIT_MS } from './wait.js';

export interface PeerResult {
  /** Exit code, or null when killed (by `until`/`stop`/the safety bound) or signalled. */
  code: number | null;
  stdout: Buffer;
  stderr: string;
  /** Ended by `until` or `stop` (the test had what it waited for). */
  stopped: boolean;
  /** Ended by the safety bound. */
  timedOut: boolean;
  /** When the peer ran (Unix ms). */
  from: number;
  to: number;
}

export interface PeerOptions {
  /** Written to the peer's stdin. */
  input?: string | Buffer;
  /** Leave stdin open after `input` (for peers such as `ncat -u` that quit at EOF). */
  keepStdinOpen?: boolean;
  /** Stop the peer as soon as its stdout satisfies this. */
  until?: (stdout: Buffer) => boolean;
  /** Stop the peer when this settles. */
  stop?: Promise<unknown>;
  /** Safety bound in ms (default 2 × WAIT_MS). */
  timeout?: number;
}

/** Runs `cmd args` (in its own process group, so a `sh -c` pipeline is stopped whole). */
export function runPeer(
  cmd: string,
  args: string[],
  options: PeerOptions = {},
): Promise<PeerResult> {
  const from = Date.now();
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const out: Buffer[] = [];
  let err = '';
  let stopped = false;
  let timedOut = false;
  const kill = (): void => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  };
  const stop = (): void => {
    stopped = true;
    kill();
  };
  child.stdin.on('error', () => {});
  if (options.input !== undefined) child.stdin.write(options.input);
  if (!options.keepStdinOpen) child.stdin.end();
  child.stdout.on('data', (chunk: Buffer) => {
    out.push(chunk);
    if (options.until?.(Buffer.concat(out))) stop();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  void options.stop?.then(stop, stop);
  const timer = setTimeout(
    () => {
      timedOut = true;
      kill();
    },
    options.timeout ?? 2 * WAIT_MS,
  );
  return new Promise((resolve, reject) => {
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({
        code,
        stdout: Buffer.concat(out),
        stderr: err,
        stopped,
        timedOut,
        from,
        to: Date.now(),
      });
    });
  });
}

/**
 * A UDP peer exchange that survives a lost datagram: runs the peer (ended as soon as it
 * printed a reply, see `until`), and runs it again — up to `attempts` times — while
 * `answered(result)` says the exchange did not happen (by default: nothing was printed).
 */
export async function udpPeer(
  cmd: string,
  args: string[],
  options: PeerOptions & {
    attempts?: number;
    answered?: (result: PeerResult) => boolean;
    /**
     * A fresh `stop` for each attempt (e.g. "the server received this datagram"); `signal`
     * is aborted when the attempt ends, to free the wait.
     */
    stopEach?: (signal: AbortSignal) => Promise<unknown>;
  } = {},
): Promise<PeerResult & { tries: number }> {
  const attempts = options.attempts ?? 4;
  const answered = options.answered ?? ((r: PeerResult) => r.stdout.length > 0);
  const until = options.until ?? ((stdout: Buffer) => stdout.length > 0);
  let last: PeerResult | undefined;
  for (let tries = 1; tries <= attempts; tries++) {
    const attempt = new AbortController();
    try {
      last = await runPeer(cmd, args, {
        ...options,
        until,
        stop: options.stopEach?.(attempt.signal) ?? options.stop,
      });
    } finally {
      attempt.abort(new Error('the peer ended'));
    }
    if (answered(last)) return { ...last, tries };
  }
  return { ...(last as PeerResult), tries: attempts };
}

/** Maps `items` through `fn` with at most `limit` calls in flight; results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
