// A program that imports only the library loads none of the CLI or the bench, nor their
// dependencies (commander, cli-progress, hdr-histogram-js, yaml; prom-client and ws, which
// only `serve --http` loads), nor the Redis client
// (loaded when a chat bus or an exec nonce store names Redis). Every package.json entry
// point is imported in a child process whose module resolutions are recorded (ESM
// hooks), plus the CommonJS modules in require.cache. A control child imports the CLI
// and must show commander, so an empty result means "not loaded", not "not seen".
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { entryPoints } from '../../scripts/api-report.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const FORBIDDEN =
  /\/node_modules\/(commander|cli-progress|hdr-histogram-js|yaml|ioredis|prom-client|ws|puppeteer-core)\/|\/src\/(cli|bench)\//;

/** Every module URL (and CommonJS file) the child loads while importing `modules`. */
async function loadedBy(modules: string[], dir: string, name: string): Promise<string[]> {
  const record = join(dir, `${name}.txt`);
  const script = [
    ...modules.map((m) => `await import(${JSON.stringify(pathToFileURL(join(root, m)).href)});`),
    "const { createRequire } = await import('node:module');",
    'console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));',
  ].join('\n');
  const { stdout } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      './test/helpers/record-imports.mjs',
      '--input-type=module',
      '-e',
      script,
    ],
    { cwd: root, env: { ...process.env, SOCKETKIT_RECORD_IMPORTS: record }, timeout: 60_000 },
  );
  const cjs = JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as string[];
  return [...new Set([...readFileSync(record, 'utf8').split('\n').filter(Boolean), ...cjs])];
}

test('importing every library entry point loads no CLI, bench, commander, cli-progress, hdr-histogram-js, yaml, ioredis, prom-client or ws', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'socketkit-imports-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const entries = entryPoints(root).map((e) => e.source);
  assert.ok(entries.includes('src/services/index.ts'), 'socketkit/services is an entry point');
  const [library, cli] = await Promise.all([
    loadedBy(entries, dir, 'library'),
    loadedBy(['src/cli/main.ts'], dir, 'cli'),
  ]);
  assert.ok(
    cli.some((url) => url.includes('/node_modules/commander/')),
    'the control (the CLI) is seen loading commander',
  );
  assert.ok(
    library.some((url) => url.includes('/src/services/chat/')),
    'the services loaded',
  );
  assert.deepEqual(
    library.filter((url) => FORBIDDEN.test(url)),
    [],
    'modules a library-only program must not load',
  );
});
