import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.js';

test('--help prints usage and exits 0', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: socketkit/);
});

test('an unknown command is a usage error (exit 2)', async () => {
  const r = await runCli(['no-such-command']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command|too many arguments/);
});

test('the built bin runs (npx socketkit --version)', () => {
  const r = spawnSync(process.execPath, ['bin/socketkit.js', '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+/);
});

test('a subcommand loads only its own module; --help and unknown commands load all', async () => {
  const { commandEntries, loadCommands } = await import('../../../src/cli/commands/index.js');
  assert.equal((await loadCommands(['serve', 'echo'])).length, 1);
  assert.equal((await loadCommands(['bench', 'rr'])).length, 1);
  assert.equal((await loadCommands([])).length, commandEntries.length);
  assert.equal((await loadCommands(['--help'])).length, commandEntries.length);
  assert.equal((await loadCommands(['no-such-command'])).length, commandEntries.length);
  // Every entry's module exports the factory it names, and the factory builds that command.
  const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: {} };
  for (const entry of commandEntries) {
    const factory = await entry.load();
    assert.equal(factory(io as never, () => {}).name(), entry.name);
  }
});

test('`serve` does not load the load generator libraries', () => {
  const probe = `
    const { main } = await import('./dist/cli/main.js');
    const sink = { write: () => true };
    await main(['serve', '--list'], { stdin: process.stdin, stdout: sink, stderr: sink, env: {} });
    const { createRequire } = await import('node:module');
    process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const cjsLoaded = JSON.parse(r.stdout) as string[];
  assert.ok(!cjsLoaded.some((p) => p.includes('cli-progress')), 'cli-progress loaded by serve');
  assert.ok(
    !cjsLoaded.some((p) => p.includes('hdr-histogram-js')),
    'hdr-histogram-js loaded by serve',
  );
});

test('no command prints the help on stderr and is a usage error (exit 2)', async () => {
  const r = await runCli([]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Usage: socketkit/);
});

test('every error the CLI prints starts with one prefix, commander’s too', async () => {
  for (const argv of [['conect'], ['connect', '--bogus'], ['serve', 'ecoh']]) {
    const r = await runCli(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.stderr, /^socketkit: /, argv.join(' '));
    assert.doesNotMatch(r.stderr, /^error:/m, argv.join(' '));
  }
});

test('serve with a mistyped service says "did you mean" and lists every service, exec too', async () => {
  const r = await runCli(['serve', 'ecoh']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown service "ecoh" \(did you mean echo\?\)/);
  assert.match(r.stderr, /known: .*\bchat, exec\b/);
});
