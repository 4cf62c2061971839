/**
 * What exec wraps around every command so that everything it starts dies with it, and
 * how many processes it may have. Detected once, at start, and logged:
 *
 * ```
 * /bin/sh -c 'echo $$ > "$1" && shift && exec "$@"' sh CGROUP/cgroup.procs   (pids cgroup, if any)
 *   └─ exec prlimit --nproc=N:N --                           (no cgroup, not root)
 *        └─ exec unshare --pid --fork --kill-child --        (PID namespace, if allowed)
 *             └─ /bin/sh -c '"$@"; exit $?' sh …             PID 1 of the namespace
 *                  └─ the command
 * ```
 *
 * - **PID namespace** (`unshare`, util-linux): when the command ends, its init shell
 *   exits, and when `unshare` is killed (timeout, client gone) `--kill-child` kills the
 *   init; either way the kernel then kills every process in the namespace, `setsid` and
 *   double-forked daemons included. Needs
 *   CAP_SYS_ADMIN (root) or unprivileged user namespaces; probed at start.
 * - **Otherwise a process group**: the command leads its own group and the group gets
 *   SIGKILL; a descendant that called `setsid()` escapes it (unless a cgroup holds it).
 * - **pids cgroup** (v1 `pids` hierarchy or v2 with the `pids` controller), one per run
 *   under the server's own cgroup: `pids.max` bounds the processes (fork fails with
 *   EAGAIN past it), and at the end every process left in it is killed. The shell line
 *   above is a constant (the command's words are positional parameters, never parsed):
 *   it moves itself into the cgroup before anything else runs, so nothing escapes.
 * - **RLIMIT_NPROC** (`prlimit`) when no cgroup can be made: it counts all processes of
 *   the server's user, not of one command, and root ignores it; so it is used only when
 *   the server does not run as root, and said so in the log.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';

/** `--confine`: what is required. */
export type ConfineMode = 'auto' | 'pidns' | 'pgroup';

/** How process counts are bounded. */
export type ProcessLimit =
  | { kind: 'cgroup'; parent: string; version: 1 | 2 }
  | { kind: 'rlimit'; prlimit: string }
  | { kind: 'none'; why: string };

/** The confinement detected at start. */
export interface Confinement {
  /** The `unshare …` prefix when a PID namespace is used, else null. */
  readonly unshare: readonly string[] | null;
  readonly limit: ProcessLimit;
  /** Most processes of one command (the command itself included). */
  readonly maxProcs: number;
  /** One line for the log. */
  readonly description: string;
}

/** Options of {@link detectConfinement}. */
export interface ConfinementOptions {
  mode?: ConfineMode;
  /** Most processes of one command (default 32). */
  maxProcs?: number;
}

function findTool(name: string): string | null {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin']) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return null;
}

/** The `unshare` prefix that works on this host, or null. */
function probeUnshare(): string[] | null {
  const unshare = findTool('unshare');
  if (unshare === null) return null;
  const candidates = [[unshare, '--pid', '--fork', '--kill-child']];
  if (process.getuid?.() !== 0)
    candidates.push([unshare, '--user', '--map-current-user', '--pid', '--fork', '--kill-child']);
  for (const prefix of candidates) {
    const probe = spawnSync(prefix[0] as string, [...prefix.slice(1), '--', unshare, '--version'], {
      stdio: 'ignore',
      timeout: 5000,
    });
    if (probe.status === 0) return prefix;
  }
  return null;
}

/** The server's own cgroup directory holding a usable `pids` controller, or null. */
function pidsCgroupParent(): { parent: string; version: 1 | 2 } | null {
  let lines: string[];
  try {
    lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  } catch {
    return null;
  }
  const candidates: { parent: string; version: 1 | 2 }[] = [];
  for (const line of lines) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (controllers === undefined || path === undefined) continue;
    if (controllers.split(',').includes('pids'))
      candidates.push({ parent: join('/sys/fs/cgroup/pids', path), version: 1 });
    if (controllers === '') {
      candidates.push({ parent: join('/sys/fs/cgroup', path), version: 2 });
      candidates.push({ parent: join('/sys/fs/cgroup/unified', path), version: 2 });
    }
  }
  for (const c of candidates) {
    const probe = join(c.parent, `socketkit-exec-probe-${process.pid}`);
    try {
      mkdirSync(probe);
    } catch {
      continue;
    }
    try {
      writeFileSync(join(probe, 'pids.max'), '8');
      return c;
    } catch {
      // no pids controller here
    } finally {
      try {
        rmdirSync(probe);
      } catch {
        // left for the operator; empty
      }
    }
  }
  return null;
}

/**
 * Detects what this host allows.
 * @throws {InvalidArgumentError} for `mode: 'pidns'` when no PID namespace can be made.
 */
export function detectConfinement(options: ConfinementOptions = {}): Confinement {
  const mode = options.mode ?? 'auto';
  const maxProcs = options.maxProcs ?? 32;
  if (!Number.isInteger(maxProcs) || maxProcs < 1)
    throw new InvalidArgumentError(`exec: maxProcs must be an integer >= 1, got ${maxProcs}`);
  const linux = process.platform === 'linux';
  const unshare = linux && mode !== 'pgroup' ? probeUnshare() : null;
  if (mode === 'pidns' && unshare === null)
    throw new InvalidArgumentError(
      'exec: --confine pidns: this host does not allow a PID namespace (unshare --pid failed: needs root or user namespaces)',
    );
  let limit: ProcessLimit;
  const cgroup = linux ? pidsCgroupParent() : null;
  const prlimit = linux ? findTool('prlimit') : null;
  if (cgroup !== null) limit = { kind: 'cgroup', ...cgroup };
  else if (prlimit !== null && process.getuid?.() !== 0) limit = { kind: 'rlimit', prlimit };
  else
    limit = {
      kind: 'none',
      why: !linux
        ? 'not Linux'
        : prlimit === null
          ? 'no pids cgroup and no prlimit'
          : 'no writable pids cgroup, and root ignores RLIMIT_NPROC',
    };
  const parts = [
    unshare !== null
      ? 'PID namespace (everything a command starts dies with it)'
      : 'process group only (a descendant that calls setsid() escapes the kill' +
        (limit.kind === 'cgroup' ? ' but not the cgroup' : '') +
        ')',
    limit.kind === 'cgroup'
      ? `pids cgroup v${limit.version} (${maxProcs} processes per command)`
      : limit.kind === 'rlimit'
        ? `RLIMIT_NPROC ${maxProcs} (counts every process of this user)`
        : `no process-count limit (${limit.why})`,
  ];
  return { unshare, limit, maxProcs, description: parts.join('; ') };
}

let runs = 0;

/** One run's wrapping: the argv to spawn, and the cgroup to clean up after it. */
export interface ConfinedRun {
  file: string;
  argv: string[];
  /** Kills what is left in the run's cgroup and removes it (no-op without one). */
  cleanup(): void;
}

/** Wraps `file argv…` for one run. */
export function confine(c: Confinement, file: string, argv: readonly string[]): ConfinedRun {
  let words = [file, ...argv];
  // The namespace's init is a constant shell line that runs the command as its child:
  // an init ignores signals it sends itself (`kill $$`), the command must not. The
  // price: a command ended by signal N is reported as exit 128+N, as a shell would.
  if (c.unshare !== null)
    words = [...c.unshare, '--', '/bin/sh', '-c', '"$@"; exit $?', 'sh', ...words];
  let cgroup: string | null = null;
  if (c.limit.kind === 'rlimit') words = [c.limit.prlimit, `--nproc=${c.maxProcs}`, '--', ...words];
  else if (c.limit.kind === 'cgroup') {
    const dir = join(c.limit.parent, `socketkit-exec-${process.pid}-${++runs}`);
    try {
      mkdirSync(dir);
      // +2: `unshare` itself and the namespace's init shell, which wait for the command.
      writeFileSync(join(dir, 'pids.max'), String(c.maxProcs + (c.unshare !== null ? 2 : 0)));
      cgroup = dir;
      words = [
        '/bin/sh',
        '-c',
        'echo $$ > "$1" || { echo "socketkit exec: cannot enter the cgroup" >&2; exit 126; }; shift; exec "$@"',
        'sh',
        join(dir, 'cgroup.procs'),
        ...words,
      ];
    } catch {
      // Could not make this run's cgroup: it still runs (in the namespace / group).
      cgroup = null;
    }
  }
  return {
    file: words[0] as string,
    argv: words.slice(1),
    cleanup: () => {
      if (cgroup !== null) killCgroup(cgroup);
      cgroup = null;
    },
  };
}

/** Kills every process left in a cgroup and removes it (retrying while they die). */
function killCgroup(dir: string): void {
  const tryRemove = (attempt: number): void => {
    try {
      writeFileSync(join(dir, 'cgroup.kill'), '1');
    } catch {
      // v1 has no cgroup.kill: kill each process.
      try {
        for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n'))
          if (pid !== '') process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    try {
      rmdirSync(dir);
    } catch {
      if (attempt < 50) setTimeout(() => tryRemove(attempt + 1), 20).unref();
    }
  };
  tryRemove(0);
}
