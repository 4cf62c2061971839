/**
 * The load generator behind `socketkit bench`: request/response, bulk stream, UDP,
 * idle connections, chat fan-out and SNTP loads against any server, with verified
 * replies and HDR latency percentiles. See docs/performance.md.
 * @module
 */
export {
  BENCH_MODES,
  type BenchMode,
  type BenchOptions,
  MODE_DEFAULTS,
  resolveBenchOptions,
} from './bench-options.js';
export {
  type BenchResult,
  explainFailure,
  opsUnit,
  type WorkerCounters,
  type WorkerReport,
} from './bench-report.js';
export { type LatencySummary, summarize } from './latency-stats.js';
export { formatLatency, formatMs, formatNumber, formatResultTable } from './result-table.js';
export { type RunBenchHooks, runBench } from './run-bench.js';
export { isLoopbackAddress, type ResolvedTarget, resolveTarget } from './target-check.js';
