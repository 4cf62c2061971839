/**
 * `bin/socketkit.js` from the sources: runs `main` with the process's streams, so tests
 * can spawn the real CLI as a separate process without building `dist/`:
 * `spawn(process.execPath, ['--import', 'tsx', 'test/helpers/bin.ts', 'connect', …])`.
 */
import { main } from '../../src/cli/main.js';

const controller = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  signals += 1;
  if (signals > 1) process.exit(130);
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
