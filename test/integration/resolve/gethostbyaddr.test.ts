// Reverse look-ups through the real system resolver, on loopback addresses only.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HostNotFoundError, InvalidArgumentError } from '../../../src/errors.js';
import { getfqdn, gethostbyaddr, gethostname } from '../../../src/resolve/index.js';

async function hostsFileWith(t: { after(fn: () => unknown): void }, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'socketkit-hosts-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'hosts');
  await writeFile(path, text);
  return path;
}

test('gethostbyaddr("127.0.0.1") is localhost', async () => {
  const entry = await gethostbyaddr('127.0.0.1');
  assert.equal(entry.hostname, 'localhost');
  assert.deepEqual(entry.addresses, ['127.0.0.1']);
  assert.ok(Array.isArray(entry.aliases));
});

test('gethostbyaddr("::1") is localhost, even when the hosts file lacks ::1 (RFC 6761)', async (t) => {
  assert.equal((await gethostbyaddr('::1')).hostname, 'localhost');
  assert.deepEqual((await gethostbyaddr('0:0:0:0:0:0:0:1')).addresses, ['::1']);
  const hostsFile = await hostsFileWith(t, '127.0.0.1 localhost\n');
  assert.equal((await gethostbyaddr('::1', { hostsFile })).hostname, 'localhost');
});

test('gethostbyaddr reports the aliases of the hosts file line', async (t) => {
  const hostsFile = await hostsFileWith(t, '127.0.0.1 localhost lo-alias another\n');
  assert.deepEqual(await gethostbyaddr('127.0.0.1', { hostsFile }), {
    hostname: 'localhost',
    aliases: ['lo-alias', 'another'],
    addresses: ['127.0.0.1'],
  });
});

test('gethostbyaddr accepts a host name and resolves it first, as Python does', async () => {
  const entry = await gethostbyaddr('localhost');
  assert.equal(entry.hostname, 'localhost');
  assert.ok(entry.addresses[0] === '127.0.0.1' || entry.addresses[0] === '::1');
});

test('gethostbyaddr of a .invalid name, or a bad argument, fails clearly', async () => {
  await assert.rejects(gethostbyaddr('nowhere.invalid'), HostNotFoundError);
  await assert.rejects(gethostbyaddr(undefined as unknown as string), InvalidArgumentError);
});

test('getfqdn follows Python: first dotted name, else the primary name, else the input', async (t) => {
  assert.match(await getfqdn('127.0.0.1'), /^localhost/); // 'localhost.localdomain' on some systems
  assert.equal(await getfqdn('nowhere.invalid'), 'nowhere.invalid');
  const hostsFile = await hostsFileWith(t, '127.0.0.1 localhost localhost.localdomain\n');
  assert.equal(await getfqdn('127.0.0.1', { hostsFile }), 'localhost.localdomain');
  assert.equal(await getfqdn('  127.0.0.1  ', { hostsFile }), 'localhost.localdomain');
});

test('getfqdn() with no name describes this host', async () => {
  const fqdn = await getfqdn(undefined, { timeout: 5 });
  assert.equal(typeof fqdn, 'string');
  assert.ok(fqdn.length > 0);
  // Python: '' and '0.0.0.0' mean this host too.
  assert.equal(await getfqdn('0.0.0.0', { timeout: 5 }), fqdn);
  assert.ok(gethostname().length > 0);
});
