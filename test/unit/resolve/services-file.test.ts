import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  builtinServices,
  parseServicesFile,
  readServicesFile,
} from '../../../src/resolve/services-file.js';

test('parseServicesFile reads name, port/protocol and aliases; skips comments and bad lines', () => {
  const text = [
    '# Network services, Internet style',
    'echo\t\t7/tcp',
    'discard\t\t9/udp\t\tsink null',
    'http\t\t80/TCP\t\twww\t\t# WorldWideWeb HTTP',
    'broken\t\tnotaport/tcp',
    'huge\t\t70000/tcp',
    '   ',
    'lonely',
  ].join('\n');
  assert.deepEqual(parseServicesFile(text), [
    { name: 'echo', port: 7, protocol: 'tcp', aliases: [] },
    { name: 'discard', port: 9, protocol: 'udp', aliases: ['sink', 'null'] },
    { name: 'http', port: 80, protocol: 'tcp', aliases: ['www'] },
  ]);
});

test('the built-in table has the classic well-known ports', () => {
  const { entries, source } = builtinServices();
  assert.equal(source, 'builtin');
  const port = (name: string, protocol = 'tcp') =>
    entries.find((e) => e.name === name && e.protocol === protocol)?.port;
  const classic: [string, number][] = [
    ['echo', 7],
    ['discard', 9],
    ['daytime', 13],
    ['qotd', 17],
    ['chargen', 19],
    ['ftp', 21],
    ['ssh', 22],
    ['telnet', 23],
    ['smtp', 25],
    ['time', 37],
    ['domain', 53],
    ['http', 80],
    ['https', 443],
  ];
  for (const [name, p] of classic) assert.equal(port(name), p, name);
  assert.equal(port('ntp', 'udp'), 123);
  assert.equal(port('time', 'udp'), 37);
});

test('readServicesFile falls back to the built-in table when the file is missing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'socketkit-services-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const missing = await readServicesFile(join(dir, 'nope'));
  assert.equal(missing.source, 'builtin');
  const path = join(dir, 'services');
  await writeFile(path, 'custom 4242/tcp\n');
  const db = await readServicesFile(path);
  assert.equal(db.source, path);
  assert.deepEqual(db.entries, [{ name: 'custom', port: 4242, protocol: 'tcp', aliases: [] }]);
  assert.equal(await readServicesFile(path), db, 'cached');
});
