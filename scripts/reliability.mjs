#!/usr/bin/env node
// The reliability suite (`npm run test:reliability [-- --short | --only NAME,… | --soak-seconds N | --list]`):
// runs test/reliability/run.ts through tsx against the built CLI (`npm run build` first) and
// writes docs/reliability.json and docs/reliability.md. See test/reliability/README.md.
import { spawn } from 'node:child_process';

const child = spawn(
  process.execPath,
  ['--import', 'tsx', 'test/reliability/run.ts', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
