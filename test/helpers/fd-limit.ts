/**
 * Lowers a running process's open-file limit (soft and hard) with util-linux `prlimit
 * --pid`. Why after start-up and not `prlimit --nofile=N -- node …`: Node's ESM loader
 * opens the modules it loads concurrently, so a start under a tight limit can fail with
 * EMFILE before the program runs at all (seen in CI) — the tests are about a server that
 * runs out of descriptors while serving, so the limit is applied once it listens.
 */
import { execFileSync } from 'node:child_process';

/** True when `prlimit` is installed. */
export const hasPrlimit = ((): boolean => {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Sets process `pid`'s RLIMIT_NOFILE to `n` (soft and hard). */
export function limitOpenFiles(pid: number, n: number): void {
  execFileSync('prlimit', ['--pid', String(pid), `--nofile=${n}:${n}`], { stdio: 'ignore' });
}
