// Starting, probing and stopping the suite's server and generator processes.
// Every process is started here and stopped by its PID; nothing else is touched.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

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
export async function startServer(name, argv, port, { tcp = true } = {}) {
  const [cmd, ...args] = argv;
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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

/** SIGTERM, then SIGKILL after 3 s; resolves once the process is gone. */
export function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
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

/** CPU seconds (user + system) a process used so far (Linux /proc), or null. */
export function cpuOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
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
 * `onHolding` is called when a conns run says it holds its connections.
 */
export function runGenerator(cli, args, { onHolding, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const [cmd, ...rest] = cli;
    const child = spawn(cmd, [...rest, 'bench', ...args, '--json', '--no-progress'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let holdingCalled = false;
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
      if (!holdingCalled && onHolding && err.includes('holding')) {
        holdingCalled = true;
        onHolding();
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
        reject(new Error(`bench ${args.join(' ')} exited ${code}: ${err.slice(-800)}`));
      }
    });
  });
}
