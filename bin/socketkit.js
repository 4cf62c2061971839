#!/usr/bin/env node
// The only place that calls process.exit: everything else returns exit codes.
import { main } from '../dist/cli/main.js';

const controller = new AbortController();
let signals = 0;
const onSignal = (signal) => {
  signals += 1;
  if (signals > 1) {
    process.stderr.write(`socketkit: second ${signal}, exiting now\n`);
    process.exit(130);
  }
  controller.abort(signal);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
process.exit(code);
