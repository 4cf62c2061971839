#!/usr/bin/env node
// Runs every test file under test/ (or under the paths given) with Node's own test runner.
// Node 20's `--test` does not expand globs, so the files are found here and passed explicitly.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const extra = process.argv.slice(2).filter((a) => a.startsWith('-'));

function collect(path, out) {
  const st = statSync(path);
  if (st.isFile()) {
    out.push(path);
    return out;
  }
  for (const name of readdirSync(path).sort()) {
    if (name === 'node_modules' || name === 'helpers' || name === 'fixtures') continue;
    const child = join(path, name);
    if (statSync(child).isDirectory()) collect(child, out);
    else if (/\.test\.ts$/.test(name)) out.push(child);
  }
  return out;
}

const files = [];
for (const root of roots.length > 0 ? roots : ['test']) collect(root, files);
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}

// Test files mostly wait on sockets and peer processes, so two files per core keep a 2-core
// machine busy without starving it (4 there; measured: ~70 s alone). The tests themselves
// wait on events, not wall-clock windows, so a slower machine only makes the run longer.
// TEST_CONCURRENCY overrides it.
const concurrency =
  process.env.TEST_CONCURRENCY ?? String(Math.min(8, Math.max(2, 2 * availableParallelism())));
const args = [
  '--import',
  'tsx',
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-timeout=600000',
  '--test-reporter=spec',
  ...extra,
  ...files.map((f) => relative(process.cwd(), f)),
];
const child = spawn(process.execPath, args, { stdio: 'inherit' });
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
