/**
 * Figures of a running process read from /proc: resident memory, open file descriptors and
 * CPU time. With `serve --processes N` the workers are children of the primary; `tree()`
 * sums the primary and its children so a scenario sees the whole service.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on every Linux we run on). */
const TICKS = 100;

export interface ProcSample {
  /** Resident set size, bytes. */
  rss: number;
  /** Open file descriptors. */
  fds: number;
  /** User + system CPU time, seconds. */
  cpu: number;
}

/** The pids of `pid`'s direct children (all threads' children lists). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (list !== '') out.push(...list.split(/\s+/).map(Number));
    }
  } catch {}
  return out;
}

/** One process's figures, or null once it is gone. */
export function sample(pid: number): ProcSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: split after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / TICKS;
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    return { rss: rssKb * 1024, fds, cpu };
  } catch {
    return null;
  }
}

/** The figures of `pid` and its children, summed. */
export function sampleTree(pid: number): ProcSample {
  const total: ProcSample = { rss: 0, fds: 0, cpu: 0 };
  for (const p of [pid, ...childrenOf(pid)]) {
    const s = sample(p);
    if (s === null) continue;
    total.rss += s.rss;
    total.fds += s.fds;
    total.cpu += s.cpu;
  }
  return total;
}

export const MiB = 1024 * 1024;
export const mib = (bytes: number): number => Math.round((bytes / MiB) * 10) / 10;
