// Starting, probing and stopping the suite's server and generator processes.
// Every process is started here and stopped by its PID; nothing else is touched.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';

/** The socketkit CLI as argv: the built bin, or the sources through tsx. */
export function cliCommand(fromSource) {
  return fromSource
    ? [process.execPath, '--import', 'tsx', 'test/helpers/bin.ts']
    : [process.execPath, 'bin/socketkit.js'];
}

/** A free TCP+UDP port on 127.0.0.1 (bound, read back, released). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tcpReady(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Spawns a server and waits until it is ready: its stdout names the port, or (TCP
 * servers) a connect succeeds. Rejects after 20 s or if it exits first.
 */
export async function startServer(name, argv, port, { tcp = true, env } = {}) {
  const [cmd, ...args] = argv;
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  let out = '';
  let exited = null;
  child.stdout.on('data', (d) => {
    if (out.length < 65536) out += d;
  });
  child.stderr.on('data', (d) => {
    if (out.length < 65536) out += d;
  });
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    if (exited) throw new Error(`${name} exited (${JSON.stringify(exited)}): ${out.slice(-500)}`);
    if (out.includes(String(port)) && (!tcp || (await tcpReady(port)))) break;
    if (tcp && (await tcpReady(port))) break;
    await sleep(100);
  }
  if (Date.now() >= until) {
    stopProcess(child);
    throw new Error(`${name} did not start within 20 s: ${out.slice(-500)}`);
  }
  await sleep(200);
  return { name, child, pid: child.pid, port, output: () => out };
}

/**
 * SIGTERM, then SIGKILL after 3 s; resolves once the process is gone. Descendants it
 * leaves behind (a cluster worker whose primary was killed) are killed by PID too, but
 * only those that were its descendants when the stop began (same PID and start time).
 */
export function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const family = processTree(child.pid)
    .slice(1)
    .map((pid) => ({ pid, start: readStat(pid)?.starttime }));
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      reapOrphans(family).then(resolve);
    });
    child.kill('SIGTERM');
  });
}

/** Waits up to 3 s for the given processes to exit, then SIGKILLs the ones still there. */
async function reapOrphans(family) {
  const alive = () =>
    family.filter((p) => {
      const st = readStat(p.pid);
      return st !== null && st.starttime === p.start && st.state !== 'Z';
    });
  for (let i = 0; i < 30 && alive().length > 0; i++) await sleep(100);
  for (const p of alive()) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

let clockTicks = null;
/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`, 100 if unknown). */
function ticksPerSecond() {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * The fields of /proc/<pid>/stat the suite uses, or null (no such process, not Linux).
 * Times are in clock ticks; `cutime`/`cstime` are those of children already reaped.
 */
export function readStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      state: f[0],
      ppid: Number(f[1]),
      utime: Number(f[11]),
      stime: Number(f[12]),
      cutime: Number(f[13]),
      cstime: Number(f[14]),
      starttime: Number(f[19]),
    };
  } catch {
    return null;
  }
}

/**
 * A process and all its descendants (Linux: parent links of every /proc/<pid>/stat),
 * root first; `[pid]` when /proc cannot be listed, `[]` when the process is gone.
 * A server's workers (node:cluster, Python's forking servers) are its children, so
 * the suite measures every server as its whole tree.
 */
export function processTree(pid) {
  if (readStat(pid) === null) return [];
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return [pid];
  }
  const children = new Map();
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const st = readStat(e);
    if (st === null) continue;
    const list = children.get(st.ppid);
    if (list) list.push(Number(e));
    else children.set(st.ppid, [Number(e)]);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/**
 * CPU seconds (user + system) used so far by a process and its descendants (Linux
 * /proc), or null. Each live process counts its own time plus that of its children
 * already reaped (`cutime`/`cstime`), so a worker that exits between two readings is
 * still counted once: take the difference of two readings.
 */
export function treeCpuOf(pid) {
  const tree = processTree(pid);
  if (tree.length === 0) return null;
  let ticks = 0;
  for (const p of tree) {
    const st = readStat(p);
    if (st) ticks += st.utime + st.stime + st.cutime + st.cstime;
  }
  return { seconds: ticks / ticksPerSecond(), processes: tree.length };
}

/**
 * Resident memory of a process and its descendants in bytes (sum of VmRSS; pages
 * shared between them are counted in each), or null.
 */
export function treeRssOf(pid) {
  const tree = processTree(pid);
  if (tree.length === 0) return null;
  let total = 0;
  let any = false;
  for (const p of tree) {
    const rss = rssOf(p);
    if (rss !== null) {
      total += rss;
      any = true;
    }
  }
  return any ? total : null;
}

/** Resident memory of a process in bytes (Linux /proc), or null. */
export function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** TcpExt ListenOverflows + ListenDrops counters (system-wide), or null. */
export function listenCounters() {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const i = lines.findIndex((l) => l.startsWith('TcpExt:'));
    const names = lines[i].split(/\s+/);
    const values = lines[i + 1].split(/\s+/);
    const get = (n) => Number(values[names.indexOf(n)]);
    return { overflows: get('ListenOverflows'), drops: get('ListenDrops') };
  } catch {
    return null;
  }
}

/**
 * Runs `socketkit bench … --json` as its own process; resolves to its parsed result.
 * `onHolding` is called when a conns run says it holds its connections, `onMeasuring`
 * when a run with `--warmup` says its warm-up is over; `prefix` is put before the
 * command (`taskset -c …` when pinned).
 */
export function runGenerator(cli, args, options) {
  return runTool([...cli, 'bench', ...args, '--json', '--no-progress'], options);
}

/**
 * Runs a generator (`socketkit bench … --json`, or one of bench/tools compiled) and
 * resolves with the JSON it prints; `onHolding` when it says on stderr it holds its
 * connections (conns), `onMeasuring` when it says the warm-up is over.
 */
export function runTool(argv, { onHolding, onMeasuring, timeoutMs, prefix = [] }) {
  return new Promise((resolve, reject) => {
    const [cmd, ...rest] = [...prefix, ...argv];
    const child = spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let holdingCalled = false;
    let measuringCalled = false;
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
      if (!holdingCalled && onHolding && err.includes('holding')) {
        holdingCalled = true;
        onHolding();
      }
      if (!measuringCalled && onMeasuring && err.includes('measuring for')) {
        measuringCalled = true;
        onMeasuring();
      }
    });
    const timer = setTimeout(() => stopProcess(child), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      try {
        const result = JSON.parse(out);
        result.exitCode = code;
        resolve(result);
      } catch {
        reject(new Error(`${argv.join(' ')} exited ${code}: ${err.slice(-800)}`));
      }
    });
  });
}

/** Open file descriptors of a process and its descendants (Linux /proc), or null. */
export function treeFdCount(pid) {
  const tree = processTree(pid);
  if (tree.length === 0) return null;
  let total = 0;
  for (const p of tree) {
    try {
      total += readdirSync(`/proc/${p}/fd`).length;
    } catch {
      return null;
    }
  }
  return total;
}

/** The CPUs this process may run on (Linux `Cpus_allowed_list`), else 0 … n-1. */
export function allowedCpus() {
  try {
    const m = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) {
      const cpus = [];
      for (const part of m[1].split(',')) {
        const [a, b] = part.split('-').map(Number);
        for (let c = a; c <= (b ?? a); c++) cpus.push(c);
      }
      if (cpus.length > 0 && cpus.every(Number.isInteger)) return cpus;
    }
  } catch {
    // not Linux
  }
  return Array.from({ length: availableParallelism() }, (_, i) => i);
}

/** Does `taskset` exist here and may it set an affinity (containers can forbid it)? */
function tasksetWorks(cpu) {
  try {
    execFileSync('taskset', ['-c', `${cpu}`, 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const cpuList = (cpus) => cpus.join(',');

/**
 * Where the suite runs its processes. `auto` pins (with `taskset -c`, inherited by a
 * server's workers) when the machine has a core for the generator besides the
 * `serverCpus` the servers need (two, for `serve echo --processes 2`): servers on the
 * last `serverCpus` allowed CPUs, the generator on the others. Otherwise nothing is
 * pinned and `reason` says why; `off` never pins.
 */
export function pinPlan(mode, serverCpus = 2) {
  const cpus = allowedCpus();
  const plan = { mode, applied: false, cpus: cpuList(cpus), tasksetAvailable: null };
  if (mode === 'off') return { ...plan, reason: 'turned off by --pin off' };
  if (process.platform !== 'linux') {
    return { ...plan, reason: `not on Linux (${process.platform}): taskset not used` };
  }
  plan.tasksetAvailable = tasksetWorks(cpus[0]);
  if (cpus.length < serverCpus + 1) {
    return {
      ...plan,
      reason: `${cpus.length} core(s) available; pinning needs at least ${serverCpus + 1} (${serverCpus} for the servers, as \`--processes ${serverCpus}\` runs ${serverCpus} workers, and one for the generator), so generator and servers share every core`,
    };
  }
  if (!plan.tasksetAvailable) {
    return {
      ...plan,
      reason: 'taskset (util-linux) is not installed or may not set affinity here',
    };
  }
  const server = cpus.slice(-serverCpus);
  const generator = cpus.slice(0, cpus.length - serverCpus);
  return {
    ...plan,
    applied: true,
    serverCpus: cpuList(server),
    generatorCpus: cpuList(generator),
    generatorCpuCount: generator.length,
    reason: `generator on CPU(s) ${cpuList(generator)}, every server (and its workers) on CPU(s) ${cpuList(server)}, with taskset -c`,
  };
}

/** The argv prefix that runs a command on the given CPUs, or [] when not pinned. */
export function pinPrefix(cpus) {
  return cpus ? ['taskset', '-c', cpus] : [];
}

/**
 * The open-file limit a Node child of this process gets (Node raises its soft limit to
 * the hard one at start-up, so this is the hard limit), or null when unknown.
 */
export function fdLimit() {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const hard = line?.trim().split(/\s+/)[4];
    if (hard === 'unlimited') return Infinity;
    if (hard !== undefined && Number.isFinite(Number(hard))) return Number(hard);
  } catch {
    // not Linux
  }
  try {
    const out = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    return out === 'unlimited' ? Infinity : Number(out) || null;
  } catch {
    return null;
  }
}

/**
 * Compiles one of bench/tools/*.c with gcc into a temporary directory (once per suite
 * run); resolves to the binary's path, or null (with the reason) when there is no gcc
 * or it fails.
 */
export function compileTool(name) {
  const out = join(mkdtempSync(join(tmpdir(), 'socketkit-bench-')), name);
  try {
    execFileSync('gcc', ['-O2', '-o', out, `bench/tools/${name}.c`], { stdio: 'pipe' });
    return { path: out, reason: null };
  } catch (err) {
    const why = err.code === 'ENOENT' ? 'gcc not installed' : String(err.stderr ?? err.message);
    return { path: null, reason: why.trim().split('\n')[0] };
  }
}
