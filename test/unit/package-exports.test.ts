// The package's public entry points: every `exports` subpath of package.json must come
// from a source module that exists and exports something, with its types next to its
// code, and the bin must be shipped. (This checks the mapping without a build; the
// built tarball is installed and used by test/integration/package.)
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
  bin: Record<string, string>;
  files: string[];
  type: string;
  engines: { node: string };
};

test('package.json: ESM, Node >= 20, the socketkit bin, dist and bin shipped', () => {
  assert.equal(pkg.type, 'module');
  assert.match(pkg.engines.node, />=\s*20/);
  assert.equal(pkg.bin.socketkit, 'bin/socketkit.js');
  assert.ok(existsSync(join(root, pkg.bin.socketkit)));
  for (const f of ['bin', 'dist']) assert.ok(pkg.files.includes(f), `files lists ${f}`);
});

test('every export subpath has types and code built from an existing source module', async () => {
  const expected = [
    '.',
    './socket',
    './framing',
    './resolve',
    './server',
    './services',
    './errors',
  ];
  for (const subpath of expected) assert.ok(subpath in pkg.exports, `exports ${subpath}`);
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (subpath === './package.json') continue;
    assert.equal(typeof target, 'object', `${subpath} has types and default conditions`);
    const { types, default: code } = target as { types: string; default: string };
    // Conditions are matched in order: `types` must come first for TypeScript.
    assert.equal(Object.keys(target)[0], 'types', `${subpath}: types first`);
    assert.equal(types.replace(/\.d\.ts$/, ''), code.replace(/\.js$/, ''));
    const source = join(root, code.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
    assert.ok(existsSync(source), `${subpath} → ${source}`);
    const mod = (await import(pathToFileURL(source).href)) as Record<string, unknown>;
    assert.ok(Object.keys(mod).length > 0, `${subpath} exports something`);
  }
});

test('socketkit/services exports each service definition with its handlers', async () => {
  const services = (await import('socketkit/services')) as Record<string, unknown>;
  const expected = {
    chat: ['chatService', 'createChat', 'ChatHub', 'MemoryBus'],
    exec: ['execService', 'createExecStreamHandler', 'createExecDatagramHandler', 'ExecSession'],
    sntp: ['sntpService', 'createSntpHandler', 'querySntp'],
    strftime: ['strftimeService', 'createStrftimeHandlers'],
    echo: ['echoService', 'echoStream', 'echoDatagram'],
    discard: ['discardService', 'discardStream', 'discardDatagram'],
    daytime: ['daytimeService', 'daytimeStream', 'daytimeDatagram'],
    time: ['timeService', 'timeStream', 'timeDatagram'],
    chargen: ['chargenService', 'chargenStream', 'createChargenDatagram'],
    qotd: ['qotdService', 'createQotdStream', 'createQotdDatagram'],
    socks: ['socksService', 'DestinationPolicy', 'DestinationRefusedError'],
    'http-proxy': ['httpProxyService', 'DestinationPolicy'],
  };
  for (const [name, exports] of Object.entries(expected)) {
    for (const e of exports) assert.ok(e in services, `socketkit/services exports ${e}`);
    const camel = name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    assert.equal((services[`${camel}Service`] as { name: string }).name, name);
  }
  const all = services.allServices as { name: string }[];
  assert.deepEqual(
    all.map((s) => s.name).sort(),
    Object.keys(expected).sort(),
    'every service of the registry is exported',
  );
});

test('examples and docs import the package (socketkit/…), never its sources', () => {
  const files = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
    ...readdirSync(join(root, 'examples'))
      .filter((f) => /\.(ts|mjs|js)$/.test(f))
      .map((f) => `examples/${f}`),
  ];
  const offenders: string[] = [];
  for (const file of files) {
    readFileSync(join(root, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/\bfrom\s+['"](\.\.?\/)+src\/|import\(\s*['"](\.\.?\/)+src\//.test(line)) {
          offenders.push(`${file}:${i + 1}: ${line.trim()}`);
        }
      });
  }
  assert.deepEqual(offenders, [], 'import from socketkit/… instead');
});
