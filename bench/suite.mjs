#!/usr/bin/env node
// `npm run bench`: socketkit's servers against raw Node and Python baselines, on
// loopback, the same loads, alternating, repeated; prints the ratios, writes
// bench/results/<date>.json, docs/bench.svg and the table in docs/performance.md.
//
// Flags: --duration S (per run, default 3)  --repeat N (default 3)
//        --only id,id (scenarios)  --quick (0.5 s × 1, for a smoke test)
//        --from-source (run the CLI through tsx instead of the built dist/)
//        --no-write (print only)
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import {
  cliCommand,
  cpuOf,
  freePort,
  listenCounters,
  rssOf,
  runGenerator,
  startServer,
  stopProcess,
} from './lib/processes.mjs';
import { meets, writeOutputs } from './lib/report.mjs';
import { SCENARIOS, SERVERS } from './lib/scenarios.mjs';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '3' },
    repeat: { type: 'string', default: '3' },
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'from-source': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    'gen-workers': { type: 'string' },
  },
});
const duration = flags.quick ? 0.5 : Number(flags.duration);
const repeat = flags.quick ? 1 : Number(flags.repeat);
const cli = cliCommand(flags['from-source']);
// The generator's threads: on a small machine the server needs a core of its own, so
// one worker (measured to stay well under a core: see docs/performance.md); else cores-1.
const genWorkers = Number(flags['gen-workers'] ?? Math.max(1, availableParallelism() - 1));
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

function metricOf(scenario, result) {
  if (scenario.metric === 'p99') return result.latency?.p99 ?? null;
  return result[scenario.metric] ?? null;
}

/** One generator run against a running server; conns also measures the server. */
async function measure(scenario, server) {
  const args = [
    ...scenario.load,
    '127.0.0.1',
    `${server.port}`,
    '--duration',
    `${duration}`,
    '--workers',
    `${genWorkers}`,
  ];
  const extra = {};
  const cpu0 = cpuOf(server.pid);
  if (scenario.id === 'conns') {
    const rss0 = rssOf(server.pid);
    const lc0 = listenCounters();
    let rssHold = null;
    const r = await runGenerator(cli, args, {
      timeoutMs: 120_000,
      onHolding: () => {
        setTimeout(() => {
          rssHold = rssOf(server.pid);
        }, 500);
      },
    });
    const lc1 = listenCounters();
    const held = r.counters.connected;
    extra.rssBefore = rss0;
    extra.rssHolding = rssHold;
    extra.bytesPerConnection =
      rss0 !== null && rssHold !== null && held > 0 ? (rssHold - rss0) / held : null;
    if (lc0 && lc1) {
      extra.listenOverflows = lc1.overflows - lc0.overflows;
      extra.listenDrops = lc1.drops - lc0.drops;
    }
    Object.assign(r, extra);
    r.serverCpu = cpu0 === null ? null : (cpuOf(server.pid) ?? cpu0) - cpu0;
    return r;
  }
  const r = await runGenerator(cli, args, { timeoutMs: (duration + 60) * 1000 });
  r.serverCpu = cpu0 === null ? null : (cpuOf(server.pid) ?? cpu0) - cpu0;
  return r;
}

async function start(name) {
  const port = await freePort();
  const spec = SERVERS[name];
  return startServer(name, spec.argv(cli, port), port, { tcp: spec.tcp !== false });
}

/** Runs one scenario: every available server, alternating, `repeat` times. */
async function runScenario(scenario) {
  const names = [scenario.subject, ...scenario.baselines];
  const runs = Object.fromEntries(names.map((n) => [n, []]));
  const skipped = {};
  for (const n of names) {
    const why = unavailable(n);
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
    for (let rep = 0; rep < repeat; rep++) {
      for (const n of live) {
        if (skipped[n]) continue;
        if (freshFor(n)) await startAll((m) => m === n);
        const server = servers[n];
        if (!server) continue;
        try {
          const r = await measure(scenario, server);
          runs[n].push(r);
          const m = metricOf(scenario, r);
          log(
            `  ${scenario.id} #${rep + 1} ${n.padEnd(15)} ${m === null ? '-' : m.toFixed(scenario.metric === 'p99' ? 2 : 0)} ${scenario.unit}${r.verified ? '' : '  (NOT verified)'}`,
          );
        } catch (err) {
          runs[n].push({ error: err.message });
          log(`  ${scenario.id} #${rep + 1} ${n} failed: ${err.message.split('\n')[0]}`);
        }
        if (freshFor(n)) {
          await stopProcess(server.child);
          delete servers[n];
        }
      }
    }
  } finally {
    for (const s of Object.values(servers)) await stopProcess(s.child);
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
  return { ...scenario, medians, ratios, skipped, runs };
}

function printSummary(results) {
  log('\nsocketkit ÷ baseline (median of runs)');
  for (const s of results) {
    const subj = s.medians[s.subject];
    const head = `${s.id.padEnd(11)} ${SERVERS[s.subject].label}: ${subj === null ? 'n/a' : subj.toFixed(2)} ${s.unit}`;
    if (s.skipped[s.subject]) {
      log(`${s.id.padEnd(11)} not available (${s.skipped[s.subject]})`);
      continue;
    }
    log(head);
    if (s.absolute) {
      const ok = subj !== null && subj <= s.absolute.max;
      log(`${''.padEnd(11)} target < ${s.absolute.max} ${s.unit}: ${ok ? 'met' : 'NOT met'}`);
    }
    for (const b of s.baselines) {
      if (s.skipped[b]) {
        log(`${''.padEnd(11)} vs ${SERVERS[b].label}: not available (${s.skipped[b]})`);
        continue;
      }
      const r = s.ratios[b];
      const t = s.targets[b];
      const ok = meets(s, b, r);
      const target =
        t === undefined
          ? ''
          : `  target ${s.better === 'lower' ? '≤' : '≥'} ${t}: ${ok === null ? 'n/a' : ok ? 'met' : 'NOT met'}`;
      log(
        `${''.padEnd(11)} vs ${SERVERS[b].label} (${s.medians[b] === null ? 'n/a' : s.medians[b].toFixed(2)}): ${r === null ? 'n/a' : `${r.toFixed(2)}×`}${target}`,
      );
    }
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
  `socketkit bench suite: ${duration} s per run × ${repeat}, ${machine.cores} cores, Node ${machine.node}`,
);
const results = [];
for (const scenario of SCENARIOS) {
  if (only && !only.has(scenario.id)) continue;
  log(`\n${scenario.id}: ${scenario.title}`);
  results.push(await runScenario(scenario));
}
printSummary(results);
const report = {
  date: new Date().toISOString(),
  command: `node bench/suite.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  durationPerRun: duration,
  generatorWorkers: genWorkers,
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
