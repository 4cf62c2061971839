import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  canonicalAddress,
  findHostsEntryByAddress,
  findHostsEntryByName,
  parseHostsFile,
  readHostsFile,
} from '../../../src/resolve/hosts-file.js';

const SAMPLE = `# comment line
127.0.0.1\tlocalhost
127.0.1.1   box.example.test   box   # trailing comment
::1         localhost ip6-localhost ip6-loopback
fe00::0     ip6-localnet
not-an-ip   broken
10.0.0.1
`;

test('parseHostsFile reads address, canonical name and aliases; skips comments and bad lines', () => {
  const entries = parseHostsFile(SAMPLE);
  assert.deepEqual(entries, [
    { address: '127.0.0.1', hostname: 'localhost', aliases: [] },
    { address: '127.0.1.1', hostname: 'box.example.test', aliases: ['box'] },
    { address: '::1', hostname: 'localhost', aliases: ['ip6-localhost', 'ip6-loopback'] },
    { address: 'fe00::0', hostname: 'ip6-localnet', aliases: [] },
  ]);
});

test('parseHostsFile accepts CRLF line ends and an empty file', () => {
  assert.deepEqual(parseHostsFile(''), []);
  assert.deepEqual(parseHostsFile('127.0.0.1 a b\r\n'), [
    { address: '127.0.0.1', hostname: 'a', aliases: ['b'] },
  ]);
});

test('canonicalAddress compresses IPv6 and drops the zone', () => {
  assert.equal(canonicalAddress('0:0:0:0:0:0:0:1'), '::1');
  assert.equal(canonicalAddress('FE80:0:0:0:0:0:0:1%eth0'), 'fe80::1');
  assert.equal(canonicalAddress('127.0.0.1'), '127.0.0.1');
});

test('find by address matches any spelling of an IPv6 address; find by name is case-insensitive', () => {
  const entries = parseHostsFile(SAMPLE);
  assert.equal(findHostsEntryByAddress(entries, '0:0::1')?.hostname, 'localhost');
  assert.equal(findHostsEntryByAddress(entries, '192.0.2.1'), undefined);
  assert.equal(findHostsEntryByName(entries, 'BOX')?.address, '127.0.1.1');
  assert.equal(findHostsEntryByName(entries, 'box.example.test.')?.address, '127.0.1.1');
  assert.equal(findHostsEntryByName(entries, 'ip6-loopback', 4), undefined);
  assert.equal(findHostsEntryByName(entries, 'ip6-loopback', 6)?.address, '::1');
});

test('readHostsFile caches until the file changes; a missing file is empty', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'socketkit-hosts-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'hosts');
  await writeFile(path, '127.0.0.1 one\n');
  const first = await readHostsFile(path);
  assert.equal(first[0]?.hostname, 'one');
  assert.equal(await readHostsFile(path), first, 'second read comes from the cache');
  await writeFile(path, '127.0.0.1 two-longer\n');
  assert.equal((await readHostsFile(path))[0]?.hostname, 'two-longer');
  assert.deepEqual(await readHostsFile(join(dir, 'missing')), []);
});
