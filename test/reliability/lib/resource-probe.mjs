// Loaded into a `socketkit serve` process by the reliability suite only
// (`node --import test/reliability/lib/resource-probe.mjs bin/socketkit.js serve …`): on
// SIGUSR2 it writes one line to stderr with the counts of
// `process.getActiveResourcesInfo()` by type, so the soak scenarios can see handles and
// timers that accumulate, and the heap after a full GC. It is not part of the package: a production build has no such
// endpoint. With `--processes N` the workers inherit it (cluster forks with execArgv).
process.on('SIGUSR2', () => {
  // The suite starts serve with --expose-gc: heap figures are then after a full collection.
  globalThis.gc?.();
  const counts = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  const line = JSON.stringify({
    pid: process.pid,
    resources: counts,
    heap: process.memoryUsage().heapUsed,
  });
  process.stderr.write(`socketkit-reliability-probe ${line}\n`);
});
