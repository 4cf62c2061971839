#!/usr/bin/env node
// A quick interleaved A/B of relays: two socketkit builds (and socat, with --socat), each
// in front of its own raw Node echo backend, measured in turn by the same generator with
// the suite's relay-stream or relay-connect load. Bounded: at most 10 rounds of at most
// 5 s per subject. Prints each run, then medians and the relay's CPU per operation (read
// around the whole generator run, warm-up included: for comparing subjects, not absolute).
//
//   node bench/tools/relay-ab.mjs --load stream|connect [--rounds 3] [--duration 2]
//        [--old DIR] [--new DIR] [--socat]
//
// DIR is a checkout with a built dist/ (default: this one for --new; --old is optional).
// Traffic stays on 127.0.0.1; every process started here is stopped by its PID.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, runGenerator, startServer, stopProcess, treeCpuOf } from '../lib/processes.mjs';

const { values: flags } = parseArgs({
  options: {
    load: { type: 'string', default: 'stream' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '2' },
    old: { type: 'string' },
    new: { type: 'string', default: '.' },
    socat: { type: 'boolean', default: false },
  },
});

const LOADS = {
  stream: {
    args: ['stream', '-c', '4', '-s', '65536', '--window', '4'],
    metric: 'mbPerSec',
    unit: 'MB/s',
  },
  connect: { args: ['connect', '-c', '16', '-s', '64'], metric: 'opsPerSec', unit: 'conns/s' },
};
const load = LOADS[flags.load];
if (load === undefined) throw new Error(`--load stream|connect, got ${flags.load}`);
const rounds = Math.min(10, Math.max(1, Number(flags.rounds)));
const duration = Math.min(5, Math.max(1, Number(flags.duration)));
const node = process.execPath;
const generator = [node, resolve(flags.new, 'bin/socketkit.js')];

const relayArgv = (dir) => (port, backend) => [
  node,
  resolve(dir, 'bin/socketkit.js'),
  'relay',
  '--max-connections',
  '20000',
  `tcp-listen:127.0.0.1:${port}`,
  `tcp:127.0.0.1:${backend}`,
];
const subjects = [];
if (flags.old !== undefined) subjects.push({ name: 'old', argv: relayArgv(flags.old) });
subjects.push({ name: 'new', argv: relayArgv(flags.new) });
if (flags.socat) {
  subjects.push({
    name: 'socat',
    argv: (port, backend) => [
      'socat',
      `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr,backlog=4096`,
      `TCP:127.0.0.1:${backend}`,
    ],
  });
}

const started = [];
try {
  for (const s of subjects) {
    const bport = await freePort();
    const backend = await startServer(
      `${s.name}-backend`,
      [node, 'bench/baselines/raw-net-echo.mjs', `${bport}`],
      bport,
    );
    started.push(backend);
    const port = await freePort();
    s.server = await startServer(s.name, s.argv(port, bport), port);
    started.push(s.server);
    s.runs = [];
  }
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no subject always runs first (or last).
    const order = subjects.map((_, i) => subjects[(i + round) % subjects.length]);
    for (const s of order) {
      const cpu0 = treeCpuOf(s.server.pid);
      const r = await runGenerator(
        generator,
        [
          ...load.args,
          '127.0.0.1',
          `${s.server.port}`,
          '--duration',
          `${duration}`,
          '--warmup',
          '1',
        ],
        { timeoutMs: 60_000 },
      );
      const cpu1 = treeCpuOf(s.server.pid);
      const value = r[load.metric];
      // Per operation for connect (a connection), per MB for stream.
      const ops =
        flags.load === 'stream'
          ? (r.counters?.bytesReceived ?? 0) / 1e6
          : (r.counters?.ops ?? null);
      const cpu = cpu0 && cpu1 ? cpu1.seconds - cpu0.seconds : null;
      s.runs.push({ value, cpuPerOp: cpu !== null && ops ? (cpu * 1e6) / ops : null });
      const load1 = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ')[0];
      console.log(
        `round ${round + 1} ${s.name.padEnd(6)} ${Math.round(value)} ${load.unit}  errors ${r.counters?.errors ?? '?'}  load ${load1}`,
      );
    }
  }
  const median = (xs) => {
    const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
    return v.length === 0 ? null : v[Math.floor(v.length / 2)];
  };
  const per = flags.load === 'stream' ? 'MB received' : 'connection';
  console.log(
    `\n${flags.load}: median of ${rounds}; relay CPU (its process tree) in µs per ${per}`,
  );
  const base = median(subjects.at(-1).runs.map((r) => r.value));
  for (const s of subjects) {
    const m = median(s.runs.map((r) => r.value));
    const c = median(s.runs.map((r) => r.cpuPerOp));
    console.log(
      `${s.name.padEnd(6)} ${Math.round(m)} ${load.unit}  (${s.runs.map((r) => Math.round(r.value)).join(', ')})  cpu ${c === null ? '?' : c.toFixed(1)} µs  ×${base ? (m / base).toFixed(2) : '?'} of ${subjects.at(-1).name}`,
    );
  }
} finally {
  for (const p of started.reverse()) await stopProcess(p.child);
}
