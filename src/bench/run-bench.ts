/**
 * Runs a load: resolves and checks the target, starts the worker threads, starts
 * their measuring phase together once all are connected, reports progress, and adds
 * the workers' reports into one {@link BenchResult}.
 *
 * The generator's CPU use is `process.cpuUsage()` over the measuring phase (from the end
 * of the warm-up), which counts every thread of the process, workers included.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { BenchOptions } from './bench-options.js';
import {
  addCounters,
  type BenchResult,
  emptyCounters,
  mergeSamples,
  opsUnit,
  type WorkerReport,
} from './bench-report.js';
import { createLatencyHistogram, mergeEncoded, summarize } from './latency-stats.js';
import { datagramProbe } from './loads/datagram-load.js';
import { createFanoutShared } from './loads/fanout-load.js';
import { createSharedCounters, SharedView, waitFor } from './loads/load-control.js';
import { runWorkerLoad, type WorkerInput } from './run-worker-load.js';
import { checkListening, resolveTarget } from './target-check.js';

/** Progress callbacks and the stop signal of a run. */
export interface RunBenchHooks {
  /** Aborting stops the load early; the partial result is still returned. */
  signal?: AbortSignal;
  /**
   * Called about 10 times a second with the measured operations done and the seconds
   * since the common start (the warm-up included: it is measuring once `elapsed` passes
   * `options.warmup`).
   */
  onProgress?: (done: number, elapsed: number) => void;
  /** Called once when the warm-up ends and the measuring phase begins (only with one). */
  onMeasuring?: () => void;
  /** conns: called once every worker holds its connections. */
  onHolding?: (connections: number) => void;
  /** Run the load in this thread instead of worker threads (debugging). */
  inline?: boolean;
}

/**
 * Starts the worker module. Built, it is bench-worker.js. From the sources (tsx), a
 * worker does not get tsx's loader hooks, so a one-line bootstrap registers them (tsx is
 * a dev dependency, present whenever the sources run) and imports the .ts module.
 */
function startWorker(input: WorkerInput): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./bench-worker.js', import.meta.url), { workerData: input });
  }
  const url = new URL('./bench-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { eval: true, workerData: input });
}

function runInWorker(input: WorkerInput): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(input);
    let report: WorkerReport | undefined;
    worker.once('message', (m: WorkerReport) => {
      report = m;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (report !== undefined) resolve(report);
      else reject(new Error(`bench worker ${input.worker} exited with code ${code} and no report`));
    });
  });
}

/**
 * Runs the load described by `options` (already checked by `resolveBenchOptions`).
 * @throws {InvalidArgumentError} for a non-loopback target without `allowRemote`.
 * @throws {HostNotFoundError} when the host does not resolve.
 * @throws {ConnectionRefusedError} when nothing listens at the target (checked first).
 */
export async function runBench(
  options: BenchOptions,
  hooks: RunBenchHooks = {},
): Promise<BenchResult> {
  const target = await resolveTarget(options.host, options.allowRemote);
  const mode = options.mode;
  if (mode === 'udp' || mode === 'sntp') {
    await checkListening(target, options.port, 'udp', datagramProbe(mode, options.size));
  } else {
    await checkListening(target, options.port, 'tcp');
  }
  const workers = options.workers;
  const shared = createSharedCounters(workers);
  const view = new SharedView(shared, workers);
  const fanoutShared =
    options.mode === 'fanout' ? createFanoutShared(options.senders, options.warmup > 0) : undefined;
  const runId = randomBytes(4).toString('hex');
  const onAbort = (): void => view.stop();
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  if (hooks.signal?.aborted) view.stop();

  const runs: Promise<WorkerReport>[] = [];
  for (let w = 0; w < workers; w++) {
    const input: WorkerInput = {
      options,
      address: target.address,
      family: target.family,
      worker: w,
      workers,
      shared,
      runId,
      ...(fanoutShared ? { fanoutShared } : {}),
    };
    runs.push(hooks.inline ? runWorkerLoad(input) : runInWorker(input));
  }
  let settled = 0;
  const all = Promise.allSettled(runs.map((r) => r.finally(() => settled++)));

  // One common start, once every worker is connected (or gave up).
  const connectBudget = options.timeout * 1000 + options.connections * 10 + 1000;
  await waitFor(() => view.ready + settled >= workers, connectBudget);
  // CPU and wall time from the common start: thread start-up and connecting are not
  // part of the load (conns connects inside its measuring phase). With a warm-up, from
  // its end (each worker starts measuring `warmup` s after it saw the start, within ms).
  let cpu0 = process.cpuUsage();
  let wall0 = performance.now();
  view.start();
  const started = wall0;
  let runEnded = false;
  const measuring =
    options.warmup > 0
      ? setTimeout(() => {
          if (runEnded) return;
          cpu0 = process.cpuUsage();
          wall0 = performance.now();
          hooks.onMeasuring?.();
        }, options.warmup * 1000)
      : undefined;

  let holdingSeen = false;
  const progress = setInterval(() => {
    hooks.onProgress?.(view.done, (performance.now() - started) / 1000);
    if (!holdingSeen && options.mode === 'conns' && view.holding + settled >= workers) {
      holdingSeen = true;
      hooks.onHolding?.(options.connections);
    }
  }, 100);
  // The hard bound: whatever the server does, the run ends.
  const hardMs =
    (options.warmup + options.duration + options.hold + 3 * options.timeout) * 1000 + connectBudget;
  const hard = setTimeout(() => view.stop(), hardMs);
  const outcomes = await all;
  runEnded = true;
  clearInterval(progress);
  clearTimeout(hard);
  clearTimeout(measuring);
  hooks.signal?.removeEventListener('abort', onAbort);
  const cpu = process.cpuUsage(cpu0);
  const wall = (performance.now() - wall0) / 1000;

  const counters = emptyCounters();
  const warmupCounters = emptyCounters();
  const latency = createLatencyHistogram();
  const connectLatency = createLatencyHistogram();
  const samples: string[][] = [];
  let elapsed = 0;
  for (const o of outcomes) {
    if (o.status === 'rejected') {
      counters.errors++;
      samples.push([o.reason instanceof Error ? o.reason.message : String(o.reason)]);
      continue;
    }
    const r = o.value;
    addCounters(counters, r.counters);
    addCounters(warmupCounters, r.warmupCounters);
    mergeEncoded(latency, r.latency);
    if (r.connectLatency !== undefined) mergeEncoded(connectLatency, r.connectLatency);
    samples.push(r.errorSamples);
    elapsed = Math.max(elapsed, r.elapsed);
  }
  hooks.onProgress?.(counters.ops, options.warmup + elapsed);
  const per = elapsed > 0 ? 1 / elapsed : 0;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const result: BenchResult = {
    mode: options.mode,
    target: { host: options.host, address: target.address, port: options.port },
    options,
    warmup: options.warmup,
    elapsed,
    counters,
    warmupCounters,
    opsPerSec: counters.ops * per,
    opsUnit: opsUnit(options.mode),
    mbPerSec: (counters.bytesReceived * per) / 1e6,
    latency: summarize(latency),
    cpu: {
      user: cpu.user / 1e6,
      system: cpu.system / 1e6,
      percentOfCore: wall > 0 ? (cpuSeconds / wall) * 100 : 0,
    },
    workers,
    errorSamples: mergeSamples(samples),
    verified:
      counters.ops > 0 &&
      counters.errors === 0 &&
      counters.mismatches === 0 &&
      counters.lost === 0 &&
      warmupCounters.lost === 0 &&
      counters.missing === 0 &&
      counters.reordered === 0,
  };
  if (options.mode === 'conns') result.connectLatency = summarize(connectLatency);
  latency.destroy();
  connectLatency.destroy();
  return result;
}
