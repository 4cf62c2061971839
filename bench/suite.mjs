#!/usr/bin/env node
// `npm run bench`: socketkit's servers against raw Node and Python baselines, on
// loopback, the same loads, alternating, repeated; prints the ratios, writes
// bench/results/<date>.json, docs/bench.svg and the table in docs/performance.md.
//
// Flags: --duration S (measured per run, default 3)  --repeat N (default 3)
//        --warmup S (load before measuring, per run, default 1; a scenario's own
//          `warmup` wins, e.g. 0 for conns)
//        --only id,id (scenarios)  --quick (0.5 s × 1 after a 0.25 s warm-up, a smoke test)
//        --from-source (run the CLI through tsx instead of the built dist/)
//        --pin auto|off (taskset: generator and servers on separate cores when there
//          are enough; default auto)  --gen-workers N  --no-write (print only)
//        --no-tools (every load from the Node generator, none from bench/tools/*.c)
//
// Server CPU and memory are those of the server's whole process tree (a server's
// workers are its children), read from /proc before and after each run (CPU: from the
// end of the warm-up, when the generator says so on stderr).
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import {
  cliCommand,
  compileTool,
  fdLimit,
  freePort,
  listenCounters,
  pinPlan,
  pinPrefix,
  runGenerator,
  runTool,
  startServer,
  stopProcess,
  treeCpuOf,
  treeFdCount,
  treeRssOf,
} from './lib/processes.mjs';
import { absoluteMet, meets, pinningLine, warmupLine, writeOutputs } from './lib/report.mjs';
import { DEFAULT_WARMUP, SCENARIOS, SERVERS } from './lib/scenarios.mjs';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string' },
    repeat: { type: 'string', default: '3' },
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'from-source': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    'no-tools': { type: 'boolean', default: false },
    'gen-workers': { type: 'string' },
    pin: { type: 'string', default: 'auto' },
  },
});
if (flags.pin !== 'auto' && flags.pin !== 'off') {
  process.stderr.write(`bench/suite.mjs: --pin must be auto or off, not ${flags.pin}\n`);
  process.exit(2);
}
const duration = flags.quick ? 0.5 : Number(flags.duration);
// The warm-up before each measured run (see scenarios.mjs): 1 s unless told, less for
// the smoke test (it still goes through the warm-up path).
const warmup =
  flags.warmup !== undefined ? Number(flags.warmup) : flags.quick ? 0.25 : DEFAULT_WARMUP;
if (
  flags.warmup !== undefined &&
  (flags.warmup.trim() === '' || !Number.isFinite(warmup) || warmup < 0 || warmup > 3600)
) {
  process.stderr.write(
    `bench/suite.mjs: --warmup must be 0 to 3600 seconds, not ${flags.warmup}\n`,
  );
  process.exit(2);
}
const repeat = flags.quick ? 1 : Number(flags.repeat);
const cli = cliCommand(flags['from-source']);
// Pinning: the servers need as many cores as the largest of them has processes.
const serverCpuCount = Math.max(1, ...Object.values(SERVERS).map((s) => s.processes ?? 1));
const pin = pinPlan(flags.pin, serverCpuCount);
// The generator's threads: one per core it is pinned to; unpinned, on a small machine
// the server needs a core of its own, so one worker (measured to stay well under a
// core: see docs/performance.md); else cores-1.
const genWorkers = Number(
  flags['gen-workers'] ??
    (pin.applied ? pin.generatorCpuCount : Math.max(1, availableParallelism() - 1)),
);
const only = flags.only ? new Set(flags.only.split(',')) : null;
const started = Date.now();
const log = (s) => process.stdout.write(`${s}\n`);

function installed(tool) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function socketkitServices() {
  try {
    const out = execFileSync(cli[0], [...cli.slice(1), 'serve', '--list'], { encoding: 'utf8' });
    return new Set(
      out
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[0])
        .filter(Boolean),
    );
  } catch {
    return new Set();
  }
}

const services = socketkitServices();
/** Why a server cannot run here, or null. */
function unavailable(name) {
  const s = SERVERS[name];
  if (s.service && !services.has(s.service))
    return `socketkit service "${s.service}" not available`;
  if (s.tool && !installed(s.tool)) return `${s.tool} not installed`;
  return null;
}

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

/** The warm-up of a scenario's runs: its own, else the suite's. */
const warmupOf = (scenario) => scenario.warmup ?? warmup;

function metricOf(scenario, result) {
  if (scenario.metric === 'p99') return result.latency?.p99 ?? null;
  return result[scenario.metric] ?? null;
}

/** Server CPU seconds between two tree readings (null when /proc is not there). */
const cpuDelta = (a, b) => (a === null || b === null ? null : b.seconds - a.seconds);

/** The compiled bench/tools generators, by name: a path, or null (said once) without gcc. */
const tools = new Map();
function toolPath(name) {
  if (!tools.has(name)) {
    const { path, reason } = compileTool(name);
    if (path === null)
      log(`bench/tools/${name}.c not built (${reason}): the Node generator runs instead`);
    tools.set(name, path);
  }
  return tools.get(name);
}

/**
 * One generator run against a running server. Every run also records the server's CPU
 * (its whole process tree, from the end of the warm-up to the end of the run); conns
 * runs its memory and the system's listen-queue counters.
 */
async function measure(scenario, server) {
  const w = warmupOf(scenario);
  const args = [
    ...scenario.load,
    '127.0.0.1',
    `${server.port}`,
    '--duration',
    `${scenario.duration ?? duration}`,
    ...(w > 0 ? ['--warmup', `${w}`] : []),
    '--workers',
    `${genWorkers}`,
  ];
  const extra = {};
  const prefix = pinPrefix(pin.generatorCpus);
  // With a warm-up, the server's CPU is read again when the generator says it is over, so
  // CPU per operation covers the measured operations only.
  let cpu0 = treeCpuOf(server.pid);
  const onMeasuring = () => {
    cpu0 = treeCpuOf(server.pid) ?? cpu0;
  };
  const finish = (r) => {
    const cpu1 = treeCpuOf(server.pid);
    r.serverCpu = cpuDelta(cpu0, cpu1);
    r.serverProcesses = cpu1?.processes ?? cpu0?.processes ?? null;
    return r;
  };
  if (scenario.load[0] === 'conns') {
    const rss0 = treeRssOf(server.pid);
    const fds0 = treeFdCount(server.pid);
    const lc0 = listenCounters();
    // The server may still be accepting when the generator says it holds every
    // connection (the kernel completed the handshakes): sample its memory and open
    // descriptors through the hold and keep the last sample before the pings.
    const holdMs = Number(scenario.load[scenario.load.indexOf('--hold') + 1]) * 1000;
    let rssHold = null;
    let fdsHold = null;
    let sampler = null;
    const r = await runGenerator(cli, args, {
      timeoutMs: 120_000,
      prefix,
      onHolding: () => {
        const until = Date.now() + Math.max(250, holdMs - 250);
        const sample = () => {
          rssHold = treeRssOf(server.pid);
          fdsHold = treeFdCount(server.pid);
          sampler = Date.now() + 100 < until ? setTimeout(sample, 100) : null;
        };
        sample();
      },
    }).finally(() => clearTimeout(sampler));
    const lc1 = listenCounters();
    const held = r.counters.connected;
    extra.rssBefore = rss0;
    extra.rssHolding = rssHold;
    // Sockets the server had accepted at that sample (its new descriptors). A client
    // counts a connection as held once the handshake completed, but after a listen-queue
    // overflow the server may not have accepted it yet (it does when the ping arrives):
    // memory is divided by what the server holds, when /proc tells us.
    extra.serverFdsHolding = fds0 !== null && fdsHold !== null ? fdsHold - fds0 : null;
    // A relay holds two sockets per client (and socat a process): its figure is per
    // relayed pair, so it is divided by the connections held.
    const bySockets = extra.serverFdsHolding > 0 && !scenario.perHeldConnection;
    const perConn = bySockets ? extra.serverFdsHolding : held;
    extra.perConnectionBasis = bySockets ? 'server sockets' : 'connections held';
    extra.bytesPerConnection =
      rss0 !== null && rssHold !== null && perConn > 0 ? (rssHold - rss0) / perConn : null;
    if (lc0 && lc1) {
      extra.listenOverflows = lc1.overflows - lc0.overflows;
      extra.listenDrops = lc1.drops - lc0.drops;
    }
    Object.assign(r, extra);
    return finish(r);
  }
  const tool = scenario.tool && !flags['no-tools'] ? toolPath(scenario.tool.name) : null;
  if (tool !== null) {
    const seconds = scenario.duration ?? duration;
    const r = await runTool([tool, ...scenario.tool.args(server.port, seconds, w).map(String)], {
      timeoutMs: (seconds + w + 60) * 1000,
      prefix,
      onMeasuring,
    });
    return finish(r);
  }
  // A server with `scrape` (serve --http) has its /metrics read once a second during the
  // run, as a Prometheus server would (docs/performance.md, "The HTTP side").
  const scraper = SERVERS[server.name].scrape ? startScraper(server) : null;
  try {
    const r = await runGenerator(cli, args, {
      timeoutMs: ((scenario.duration ?? duration) + w + 60) * 1000,
      prefix,
      onMeasuring,
    });
    if (scraper) r.scrapes = scraper.count();
    return finish(r);
  } finally {
    scraper?.stop();
  }
}

/**
 * GETs the server's /metrics once a second until stopped (the HTTP side's port is read
 * from the listening table the server printed). Each scrape reads the whole body.
 */
function startScraper(server) {
  const m = /dashboard\s+http\s+127\.0\.0\.1:(\d+)/.exec(server.output());
  if (!m) throw new Error(`${server.name}: no dashboard row in its output`);
  let count = 0;
  const timer = setInterval(() => {
    http
      .get({ host: '127.0.0.1', port: Number(m[1]), path: '/metrics' }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) count += 1;
        });
      })
      .on('error', () => {});
  }, 1000);
  return { count: () => count, stop: () => clearInterval(timer) };
}

async function start(name) {
  const port = await freePort();
  const spec = SERVERS[name];
  // A relay is measured in front of a backend server of its own (spec.backend), started
  // first; the relay's process tree alone is measured.
  let backend = null;
  if (spec.backend) backend = await start(spec.backend);
  try {
    const argv = [...pinPrefix(pin.serverCpus), ...spec.argv(cli, port, backend?.port)];
    const server = await startServer(name, argv, port, {
      tcp: spec.tcp !== false,
      ...(spec.env ? { env: spec.env } : {}),
    });
    return { ...server, backend };
  } catch (err) {
    if (backend) await stopServer(backend);
    throw err;
  }
}

/** Stops a server, then its backend. */
async function stopServer(server) {
  await stopProcess(server.child);
  if (server.backend) await stopServer(server.backend);
}

/** The number after `-c` in a scenario's load (its connections). */
function connectionsOf(scenario) {
  const i = scenario.load.indexOf('-c');
  return i >= 0 ? Number(scenario.load[i + 1]) : null;
}

const n0 = (v) => (typeof v === 'number' ? v.toLocaleString('en-US') : '?');

/**
 * The scenario's pass/fail checks (see SCENARIOS), from the runs: each gives the
 * subject's figure, the baselines' for comparison, and whether the target is met (null
 * when there is nothing to judge).
 */
function evaluateChecks(scenario, runs, skipped) {
  const out = [];
  const others = scenario.baselines.filter((b) => !skipped[b] && runs[b].length > 0);
  const subjectRuns = runs[scenario.subject];
  const judge = (ok) => (subjectRuns.length === 0 ? null : ok);
  for (const kind of scenario.checks ?? []) {
    if (kind === 'allHeld') {
      const n = connectionsOf(scenario);
      const text = (rs) =>
        `held/pinged ${rs.map((r) => (r.error ? 'failed' : `${n0(r.counters?.connected)}/${n0(r.counters?.ops)}`)).join(', ')}`;
      out.push({
        kind,
        label: `all ${n0(n)} connections held, then each pinged`,
        target: `${n0(n)}/${n0(n)} in every run`,
        value: text(subjectRuns),
        baselines: Object.fromEntries(others.map((b) => [b, text(runs[b])])),
        met: judge(
          subjectRuns.every(
            (r) => !r.error && r.counters?.connected === n && r.counters?.ops === n,
          ),
        ),
      });
    } else if (kind === 'noListenOverflow') {
      const n = connectionsOf(scenario);
      const vals = (rs) => rs.map((r) => r.listenOverflows);
      const text = (rs) =>
        `listen overflows ${vals(rs)
          .map((v) => (typeof v === 'number' ? `+${n0(v)}` : 'n/a'))
          .join(', ')}`;
      const v = vals(subjectRuns);
      out.push({
        kind,
        label: `a burst of ${n0(n)} connects accepted without listen-queue overflow (TcpExt ListenOverflows, system-wide)`,
        target: '0 in every run',
        value: text(subjectRuns),
        baselines: Object.fromEntries(others.map((b) => [b, text(runs[b])])),
        met:
          v.length === 0 || v.some((x) => typeof x !== 'number') ? null : v.every((x) => x === 0),
      });
    } else if (kind === 'noLoss') {
      const text = (rs) =>
        `missing/reordered ${rs.map((r) => (r.error ? 'failed' : `${n0(r.counters?.missing)}/${n0(r.counters?.reordered)}`)).join(', ')}`;
      out.push({
        kind,
        label: 'no line missing or reordered',
        target: '0/0 in every run',
        value: text(subjectRuns),
        baselines: Object.fromEntries(others.map((b) => [b, text(runs[b])])),
        met: judge(
          subjectRuns.every(
            (r) =>
              !r.error && r.verified && r.counters?.missing === 0 && r.counters?.reordered === 0,
          ),
        ),
      });
    } else {
      throw new Error(`scenario ${scenario.id}: unknown check ${kind}`);
    }
  }
  return out;
}

/** Runs one scenario: every available server, alternating, `repeat` times. */
async function runScenario(scenario) {
  const t0 = Date.now();
  const names = [scenario.subject, ...scenario.baselines];
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  const skipped = {};
  const reps = Math.min(repeat, scenario.maxRepeat ?? Infinity);
  const fds = scenario.fds ? fdLimit() : null;
  for (const n of names) {
    const why =
      fds !== null && fds < scenario.fds
        ? `ulimit -n is ${fds}; ${n0(scenario.fds)} descriptors needed per process`
        : unavailable(n);
    if (why) skipped[n] = why;
  }
  const live = names.filter((n) => !skipped[n]);
  let servers = {};
  const freshFor = (n) => scenario.fresh || SERVERS[n].fresh === true;
  const startAll = async (which = () => true) => {
    for (const n of live) {
      if (servers[n] || skipped[n] || !which(n)) continue;
      try {
        servers[n] = await start(n);
      } catch (err) {
        skipped[n] = `did not start: ${err.message.split('\n')[0]}`;
      }
    }
  };
  try {
    if (!scenario.fresh) await startAll((n) => !SERVERS[n].fresh);
    for (let rep = 0; rep < reps; rep++) {
      for (const n of live) {
        if (skipped[n]) continue;
        if (freshFor(n)) await startAll((m) => m === n);
        const server = servers[n];
        if (!server) continue;
        try {
          const r = await measure(scenario, server);
          runs[n].push(r);
          const m = metricOf(scenario, r);
          const held =
            scenario.load[0] === 'conns'
              ? `  held ${n0(r.counters?.connected)} (server had accepted ${n0(r.serverFdsHolding)} at the memory sample), pinged ${n0(r.counters?.ops)}`
              : '';
          const srv =
            typeof r.serverCpu === 'number'
              ? `  server ${r.serverCpu.toFixed(2)} s CPU (${r.serverProcesses} process${r.serverProcesses === 1 ? '' : 'es'})`
              : '';
          log(
            `  ${scenario.id} #${rep + 1} ${n.padEnd(15)} ${m === null ? '-' : m.toFixed(scenario.metric === 'p99' ? 2 : 0)} ${scenario.unit}${held}${srv}${r.verified ? '' : '  (NOT verified)'}`,
          );
        } catch (err) {
          runs[n].push({ error: err.message });
          log(`  ${scenario.id} #${rep + 1} ${n} failed: ${err.message.split('\n')[0]}`);
        }
        if (freshFor(n)) {
          await stopServer(server);
          delete servers[n];
        }
      }
    }
  } finally {
    for (const s of Object.values(servers)) await stopServer(s);
    servers = {};
  }
  const medians = {};
  for (const n of names)
    medians[n] = median(runs[n].map((r) => (r.error ? null : metricOf(scenario, r))));
  const ratios = {};
  const subject = medians[scenario.subject];
  for (const b of scenario.baselines) {
    const base = medians[b];
    ratios[b] = subject !== null && base !== null && base > 0 ? subject / base : null;
  }
  // Runs that failed or were not verified: a target is not met on such runs.
  const failed = Object.fromEntries(
    names.map((n) => [n, runs[n].filter((r) => r.error || !r.verified).length]),
  );
  const checks = evaluateChecks(scenario, runs, skipped);
  const note =
    Math.max(...names.map((n) => SERVERS[n].processes ?? 1)) > 1
      ? `pinning: ${pin.applied ? pin.reason : `none (${pin.reason})`}`
      : undefined;
  return {
    ...scenario,
    warmup: warmupOf(scenario),
    repeat: reps,
    medians,
    ratios,
    failed,
    checks,
    ...(note ? { note } : {}),
    skipped,
    runs,
    wallSeconds: (Date.now() - t0) / 1000,
  };
}

const verdict = (ok, unverified = 0) =>
  ok === null
    ? 'n/a'
    : ok
      ? 'met'
      : unverified > 0
        ? `NOT met (${unverified} run(s) failed or not verified)`
        : 'NOT met';

function printSummary(results) {
  log(`\nsocketkit ÷ baseline (median of runs; ${warmupLine(warmup, results)})`);
  const pad = ''.padEnd(11);
  for (const s of results) {
    const subj = s.medians[s.subject];
    const runsNote = s.repeat !== repeat ? ` (${s.repeat} run${s.repeat === 1 ? '' : 's'})` : '';
    const head = `${s.id.padEnd(11)} ${SERVERS[s.subject].label}: ${subj === null ? 'n/a' : subj.toFixed(2)} ${s.unit}${runsNote}`;
    if (s.skipped[s.subject]) {
      log(`${s.id.padEnd(11)} not available: ${s.skipped[s.subject]}`);
      continue;
    }
    log(head);
    const unverified = s.failed[s.subject] ?? 0;
    if (s.absolute) {
      const ok = absoluteMet(s);
      log(`${pad} target < ${s.absolute.max} ${s.unit}: ${verdict(ok, unverified)}`);
    }
    for (const b of s.baselines) {
      if (s.skipped[b]) {
        log(`${pad} vs ${SERVERS[b].label}: not available (${s.skipped[b]})`);
        continue;
      }
      const r = s.ratios[b];
      const t = s.targets[b];
      const ok = meets(s, b, r);
      const target =
        t === undefined
          ? ''
          : `  target ${s.better === 'lower' ? '≤' : '≥'} ${t}: ${verdict(ok, unverified)}`;
      log(
        `${pad} vs ${SERVERS[b].label} (${s.medians[b] === null ? 'n/a' : s.medians[b].toFixed(2)}): ${r === null ? 'n/a' : `${r.toFixed(2)}×`}${target}`,
      );
    }
    for (const c of s.checks) {
      const base = Object.entries(c.baselines)
        .map(([b, v]) => `${SERVERS[b].label}: ${v}`)
        .join('; ');
      log(`${pad} ${c.label}: ${c.value}${base ? ` (${base})` : ''}`);
      log(`${pad}   target ${c.target}: ${verdict(c.met)}`);
    }
    if (s.note) log(`${pad} ${s.note}`);
  }
}

const machine = {
  cores: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGB: Math.round(totalmem() / 1e9),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  python: installed('python3')
    ? execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim()
    : null,
};
log(
  `socketkit bench suite: ${duration} s per run × ${repeat}, ${machine.cores} cores, Node ${machine.node}, generator ${genWorkers} worker thread(s)`,
);
const selected = only ? SCENARIOS.filter((s) => only.has(s.id)) : SCENARIOS;
log(warmupLine(warmup, selected));
log(`pinning: ${pinningLine(pin)}`);
if (only) {
  const unknown = [...only].filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) log(`unknown scenario(s) ignored: ${unknown.join(', ')}`);
}
if (SCENARIOS.every((s) => only && !only.has(s.id))) {
  process.stderr.write(
    `bench/suite.mjs: no scenario selected (ids: ${SCENARIOS.map((s) => s.id).join(', ')})\n`,
  );
  process.exit(2);
}
const results = [];
for (const scenario of SCENARIOS) {
  if (only && !only.has(scenario.id)) continue;
  log(`\n${scenario.id}: ${scenario.title}`);
  const result = await runScenario(scenario);
  log(`  (${result.wallSeconds.toFixed(0)} s)`);
  results.push(result);
}
printSummary(results);
const report = {
  date: new Date().toISOString(),
  command: `node bench/suite.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  durationPerRun: duration,
  warmupPerRun: warmup,
  generatorWorkers: genWorkers,
  pinning: pin,
  repeat,
  machine,
  wallSeconds: (Date.now() - started) / 1000,
  scenarios: results,
};
if (!flags['no-write']) {
  const written = await writeOutputs(report, SERVERS);
  log(`\nwrote ${written.join(', ')}`);
}
log(`suite took ${report.wallSeconds.toFixed(0)} s`);
