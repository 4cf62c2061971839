/**
 * A real `socketkit serve` child process for the reliability scenarios: started from the
 * built CLI (`node bin/socketkit.js serve …`, so `npm run build` first) with the resource
 * probe preloaded, its listening table parsed for the ports it got (port 0), its stderr
 * drained (kept: the last 256 KiB, for matching log lines), sampled through /proc, and
 * stopped by its own PID.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { limitOpenFiles } from '../../helpers/fd-limit.js';
import { type ProcSample, childrenOf, sampleTree } from './proc-stats.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PROBE = fileURLToPath(new URL('./resource-probe.mjs', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/socketkit.js', import.meta.url));
const KEEP = 256 * 1024;

export interface Listening {
  service: string;
  transport: string;
  host: string;
  port: number;
}

export interface StartOptions {
  /**
   * Once it listens, lower the child's open-file limit to N (soft and hard) with `prlimit
   * --pid` (see test/helpers/fd-limit.ts for why not at start).
   */
  nofile?: number;
  env?: Record<string, string>;
  /** Give up if the table is not printed within this long (default 20 s). */
  readyTimeoutMs?: number;
}

export interface ResourceReport {
  pid: number;
  resources: Record<string, number>;
  heap: number;
}

export class ServeProcess {
  readonly child: ChildProcess;
  readonly args: string[];
  listeners: Listening[] = [];
  #stdout = '';
  #stderr = '';
  #waiters: { re: RegExp; from: number; resolve: (m: RegExpMatchArray) => void }[] = [];
  #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exited = false;

  private constructor(args: string[], options: StartOptions) {
    this.args = args;
    const nodeArgs = ['--expose-gc', '--import', PROBE, BIN, 'serve', ...args];
    this.child = spawn(process.execPath, nodeArgs, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    this.child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      this.#stdout += s;
    });
    this.child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      const before = this.#stderr.length;
      this.#stderr += s;
      if (this.#stderr.length > KEEP * 2) this.#stderr = this.#stderr.slice(-KEEP);
      const shift = before + s.length - this.#stderr.length;
      for (const w of [...this.#waiters]) {
        w.from = Math.max(0, w.from - shift);
        const m = this.#stderr.slice(w.from).match(w.re);
        if (m) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    this.#exit = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.#exited = true;
        resolve({ code, signal });
      }),
    );
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }
  get alive(): boolean {
    return !this.#exited;
  }
  get stderr(): string {
    return this.#stderr;
  }
  get exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.#exit;
  }

  /** Starts `socketkit serve ARGS` and resolves once its listening table is printed. */
  static async start(args: string[], options: StartOptions = {}): Promise<ServeProcess> {
    const proc = new ServeProcess(args, options);
    const timeout = options.readyTimeoutMs ?? 20_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`serve ${args.join(' ')}: no table in ${timeout} ms`)),
        timeout,
      );
      const check = (): void => {
        const at = proc.#stdout.indexOf('SERVICE ');
        if (at >= 0 && proc.#stdout.endsWith('\n')) {
          clearTimeout(timer);
          proc.child.stdout?.off('data', check);
          proc.listeners = parseTable(proc.#stdout.slice(at));
          try {
            if (options.nofile !== undefined) limitOpenFiles(proc.pid, options.nofile);
          } catch (error) {
            fail(error as Error);
            return;
          }
          resolve();
        }
      };
      const fail = (err: Error): void => {
        clearTimeout(timer);
        proc.child.kill('SIGKILL');
        reject(new Error(`${err.message}\n${proc.#stderr.slice(-2000)}`));
      };
      proc.child.stdout?.on('data', check);
      proc.child.on('error', fail);
      void proc.#exit.then(({ code, signal }) =>
        fail(new Error(`serve ${args.join(' ')} exited (${code ?? signal}) before listening`)),
      );
    });
    return proc;
  }

  /** The port of SERVICE on TRANSPORT (tcp, udp, tls). */
  port(service: string, transport = 'tcp'): number {
    const l = this.listeners.find((x) => x.service === service && x.transport === transport);
    if (l === undefined)
      throw new Error(`no ${service}/${transport} in ${JSON.stringify(this.listeners)}`);
    return l.port;
  }

  /** RSS, fds and CPU of the server and its workers. */
  sample(): ProcSample {
    return sampleTree(this.pid);
  }

  /** Worker pids (with `--processes N`). */
  workers(): number[] {
    return childrenOf(this.pid).filter((p) => p !== this.pid);
  }

  /** Resolves with the first match of RE in stderr written from now on (or already, with `past`). */
  waitForStderr(re: RegExp, timeoutMs: number, past = false): Promise<RegExpMatchArray> {
    const from = past ? 0 : this.#stderr.length;
    const now = this.#stderr.slice(from).match(re);
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const w = {
        re,
        from,
        resolve: (m: RegExpMatchArray) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        reject(new Error(`no ${re} on serve's stderr in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /**
   * `process.getActiveResourcesInfo()` counts of every process of the service (the probe
   * answers SIGUSR2 on stderr), summed by type.
   */
  async resources(timeoutMs = 5000): Promise<Record<string, number>> {
    return (await this.probe(timeoutMs)).resources;
  }

  /** Resource counts and heap after a full GC (bytes), summed over the processes. */
  async probe(timeoutMs = 5000): Promise<{ resources: Record<string, number>; heap: number }> {
    let heap = 0;
    const pids = [this.pid, ...this.workers()];
    const totals: Record<string, number> = {};
    for (const pid of pids) {
      const re = new RegExp(`socketkit-reliability-probe (\\{"pid":${pid},[^\\n]*\\})\\n`);
      const wait = this.waitForStderr(re, timeoutMs);
      process.kill(pid, 'SIGUSR2');
      const report = JSON.parse((await wait)[1]!) as ResourceReport;
      for (const [k, v] of Object.entries(report.resources)) totals[k] = (totals[k] ?? 0) + v;
      heap += report.heap;
    }
    return { resources: totals, heap };
  }

  /** Sends SIGNAL and waits for the exit (SIGKILL after `timeoutMs`). */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    timeoutMs = 15_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.#exited) return this.#exit;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const result = await this.#exit;
    clearTimeout(timer);
    return result;
  }
}

/** Rows of the listening table: `SERVICE TRANSPORT ADDRESS TRY-IT`. */
export function parseTable(text: string): Listening[] {
  const out: Listening[] = [];
  for (const line of text.split('\n').slice(1)) {
    const m = /^(\S+)\s+(\S+)\s+(\S+):(\d+)\s/.exec(line);
    if (m) out.push({ service: m[1]!, transport: m[2]!, host: m[3]!, port: Number(m[4]) });
  }
  return out;
}
