/**
 * One worker's part of a load: builds its {@link LoadContext}, runs the mode's load
 * function, and returns its {@link WorkerReport}. Runs in a worker thread
 * (bench-worker.ts) or, for debugging, in the calling thread.
 * @module
 */
import type { BenchOptions } from './bench-options.js';
import { emptyCounters, type WorkerReport } from './bench-report.js';
import { createLatencyHistogram, encodeHistogram } from './latency-stats.js';
import { connsLoad } from './loads/conns-load.js';
import { datagramLoad } from './loads/datagram-load.js';
import { fanoutLoad } from './loads/fanout-load.js';
import { type LoadContext, LoadControl } from './loads/load-control.js';
import { connectLoad } from './loads/connect-load.js';
import { rrLoad } from './loads/rr-load.js';
import { streamLoad } from './loads/stream-load.js';

/** What the main thread hands a worker (structured-clone safe). */
export interface WorkerInput {
  options: BenchOptions;
  address: string;
  family: 4 | 6;
  worker: number;
  workers: number;
  shared: SharedArrayBuffer;
  fanoutShared?: SharedArrayBuffer;
  /** A short random id marking this run's fanout lines. */
  runId: string;
}

/** Distinct error messages kept per worker. */
const MAX_SAMPLES = 5;

/** Runs one worker's share and reports it. Never throws: failures are counted. */
export async function runWorkerLoad(input: WorkerInput): Promise<WorkerReport> {
  const { options } = input;
  const errorSamples: string[] = [];
  const ctx: LoadContext = {
    options,
    address: input.address,
    family: input.family,
    worker: input.worker,
    workers: input.workers,
    control: new LoadControl(input.shared, input.worker, options),
    counters: emptyCounters(),
    warmupCounters: emptyCounters(),
    latency: createLatencyHistogram(),
    connectLatency: createLatencyHistogram(),
    ...(input.fanoutShared ? { fanoutShared: input.fanoutShared } : {}),
    note(err) {
      const message = err instanceof Error ? err.message : String(err);
      if (errorSamples.length < MAX_SAMPLES && !errorSamples.includes(message)) {
        errorSamples.push(message);
      }
    },
  };
  try {
    switch (options.mode) {
      case 'rr':
        await rrLoad(ctx);
        break;
      case 'stream':
        await streamLoad(ctx);
        break;
      case 'udp':
      case 'sntp':
        await datagramLoad(ctx);
        break;
      case 'conns':
        await connsLoad(ctx);
        break;
      case 'connect':
        await connectLoad(ctx);
        break;
      case 'fanout':
        await fanoutLoad(ctx, input.runId);
        break;
    }
  } catch (err) {
    ctx.counters.errors++;
    ctx.note(err);
  }
  const report: WorkerReport = {
    counters: ctx.counters,
    warmupCounters: ctx.warmupCounters,
    latency: encodeHistogram(ctx.latency),
    errorSamples,
    elapsed: ctx.control.elapsed,
  };
  if (options.mode === 'conns') report.connectLatency = encodeHistogram(ctx.connectLatency);
  ctx.latency.destroy();
  ctx.connectLatency.destroy();
  return report;
}
