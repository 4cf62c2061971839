/**
 * The entry point of a load-generator worker thread: runs its share and posts the
 * report back. See run-bench.ts.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runWorkerLoad, type WorkerInput } from './run-worker-load.js';

const report = await runWorkerLoad(workerData as WorkerInput);
parentPort?.postMessage(report);
