// Forward look-ups through the real system resolver. Only names that never leave the
// machine: localhost, IP literals, this host's name, and `.invalid` (RFC 6761).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HostNotFoundError, InvalidArgumentError } from '../../../src/errors.js';
import { gethostbyname, gethostbynameEx, gethostname } from '../../../src/resolve/index.js';

test('gethostname is os.hostname(), synchronously', () => {
  assert.equal(gethostname(), hostname());
});

test('gethostbyname resolves localhost to its IPv4 address', async () => {
  assert.equal(await gethostbyname('localhost'), '127.0.0.1');
});

test('gethostbyname passes IPv4 literals through, and treats "" as INADDR_ANY as Python does', async () => {
  assert.equal(await gethostbyname('127.0.0.1'), '127.0.0.1');
  assert.equal(await gethostbyname(''), '0.0.0.0');
  assert.equal(await gethostbyname('<broadcast>'), '255.255.255.255');
});

test('S11: gethostbyname(gethostname()) gives this host an IPv4 address', async () => {
  // A machine whose own name does not resolve is misconfigured, but it exists (some CI
  // containers): then the answer must be a clear HostNotFoundError, never a hang.
  try {
    assert.equal(isIP(await gethostbyname(gethostname(), { timeout: 5 })), 4);
  } catch (err) {
    assert.ok(err instanceof HostNotFoundError, String(err));
  }
});

test('a name under .invalid fails fast with HostNotFoundError', async () => {
  const started = Date.now();
  await assert.rejects(gethostbyname('no-such-host.invalid'), (err: unknown) => {
    assert.ok(err instanceof HostNotFoundError);
    assert.equal(err.code, 'ERR_HOST_NOT_FOUND');
    assert.equal(err.hostname, 'no-such-host.invalid');
    assert.match(err.message, /could not be resolved/);
    return true;
  });
  await assert.rejects(gethostbynameEx('x.invalid'), HostNotFoundError);
  // Generous bound: only a hang (a DNS query to nowhere) would get near it.
  assert.ok(Date.now() - started < 5000);
});

test('bad input is an InvalidArgumentError', async () => {
  await assert.rejects(gethostbyname('::1'), /IPv6 address.*getaddrinfo/);
  await assert.rejects(gethostbyname(42 as unknown as string), InvalidArgumentError);
  await assert.rejects(gethostbyname('localhost', { timeout: -1 }), InvalidArgumentError);
  await assert.rejects(gethostbyname('a\0b'), InvalidArgumentError);
});

test('gethostbynameEx returns canonical name, aliases and addresses like Python', async () => {
  // Python here gives ('localhost', [], ['127.0.0.1']); some systems list more aliases.
  const local = await gethostbynameEx('localhost');
  assert.ok([local.hostname, ...local.aliases].includes('localhost'), JSON.stringify(local));
  assert.ok(local.addresses.includes('127.0.0.1'));
  assert.deepEqual(await gethostbynameEx('127.0.0.1'), {
    hostname: '127.0.0.1',
    aliases: [],
    addresses: ['127.0.0.1'],
  });
});

test('gethostbynameEx takes the canonical name and aliases from the hosts file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'socketkit-hosts-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const hostsFile = join(dir, 'hosts');
  await writeFile(hostsFile, '127.0.0.1 localhost.localdomain localhost loopback\n');
  assert.deepEqual(await gethostbynameEx('LOCALHOST', { hostsFile }), {
    hostname: 'localhost.localdomain',
    aliases: ['localhost', 'loopback'],
    addresses: ['127.0.0.1'],
  });
});
