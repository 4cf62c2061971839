/**
 * `socketkit serve exec` as a separate process (from the sources, through tsx), for the
 * exec regressions that measure the server's memory or restart it: resolves once the
 * listening table is printed, with its TCP/UDP ports and the process id.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { parseTable, type TableRow } from '../../integration/services/helpers/serve-harness.js';
import { WAIT_MS } from '../../helpers/wait.js';

export interface ExecServeProcess {
  child: ChildProcess;
  pid: number;
  rows: TableRow[];
  tcpPort: number;
  stderr: () => string;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

/** Resident set size of a process, bytes (from /proc). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

/** Starts `serve exec ARGV…` with the secret in the environment. */
export async function spawnExecServe(
  argv: string[],
  secret: string,
  timeoutMs = WAIT_MS,
): Promise<ExecServeProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/helpers/bin.ts', 'serve', 'exec', '--port', '0', ...argv],
    {
      env: { ...process.env, SOCKETKIT_EXEC_SECRET: secret },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = once(child, 'exit');
  const table = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve printed no table in ${timeoutMs} ms\nstderr: ${stderr}`));
    }, timeoutMs);
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('SERVICE') && stdout.endsWith('\n')) {
        clearTimeout(timer);
        resolve(stdout);
      }
    });
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${String(code)}\nstderr: ${stderr}`));
    });
  });
  const rows = parseTable(await table);
  const tcp = rows.find((r) => r.transport === 'tcp' || r.transport === 'tls');
  return {
    child,
    pid: child.pid as number,
    rows,
    tcpPort: Number(tcp?.port),
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
