import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../../src/errors.js';
import { getservbyname, getservbyport } from '../../../src/resolve/index.js';

async function writeServices(t: { after(fn: () => unknown): void }, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'socketkit-services-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'services');
  await writeFile(path, text);
  return path;
}

const TEXT =
  'ftp 21/tcp\nfsp 21/udp fspd\nhttp 80/tcp www\ndiscard 9/tcp sink null\ndiscard 9/udp sink null\n';

test('getservbyname finds names and aliases, with or without a protocol', async (t) => {
  const servicesFile = await servicesFileFor(t);
  assert.equal(await getservbyname('ftp', 'tcp', { servicesFile }), 21);
  assert.equal(await getservbyname('http', undefined, { servicesFile }), 80);
  assert.equal(await getservbyname('WWW', 'TCP', { servicesFile }), 80);
  assert.equal(await getservbyname('fspd', 'udp', { servicesFile }), 21);
  assert.equal(await getservbyname('sink', 'udp', { servicesFile }), 9);
});

async function servicesFileFor(t: { after(fn: () => unknown): void }): Promise<string> {
  return writeServices(t, TEXT);
}

test('getservbyport returns the first name for the port and protocol', async (t) => {
  const servicesFile = await servicesFileFor(t);
  assert.equal(await getservbyport(21, undefined, { servicesFile }), 'ftp');
  assert.equal(await getservbyport(21, 'udp', { servicesFile }), 'fsp');
  assert.equal(await getservbyport(9, 'udp', { servicesFile }), 'discard');
});

test('unknown services and bad arguments are InvalidArgumentError with a clear message', async (t) => {
  const servicesFile = await servicesFileFor(t);
  await assert.rejects(getservbyname('nosuch', 'tcp', { servicesFile }), (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError);
    assert.match(
      err.message,
      /unknown service "nosuch" for protocol tcp: not listed in .*services/,
    );
    return true;
  });
  await assert.rejects(getservbyname('http', 'udp', { servicesFile }), InvalidArgumentError);
  await assert.rejects(getservbyname('', 'tcp', { servicesFile }), InvalidArgumentError);
  await assert.rejects(getservbyname('ftp', 'no proto', { servicesFile }), InvalidArgumentError);
  await assert.rejects(getservbyport(65536), /from 0 to 65535/);
  await assert.rejects(getservbyport(-1), InvalidArgumentError);
  await assert.rejects(getservbyport(1.5), InvalidArgumentError);
  await assert.rejects(
    getservbyport(4242, 'tcp', { servicesFile }),
    /no service is registered for port 4242\/tcp/,
  );
});

test('with no services file, the built-in table answers and the error says so', async (t) => {
  const servicesFile = join(await writeServices(t, ''), '..', 'missing');
  assert.equal(await getservbyname('ssh', 'tcp', { servicesFile }), 22);
  assert.equal(await getservbyname('daytime', 'udp', { servicesFile }), 13);
  assert.equal(await getservbyport(443, 'tcp', { servicesFile }), 'https');
  await assert.rejects(
    getservbyname('nosuch', null, { servicesFile }),
    /built-in table .*is missing/,
  );
});

test("the system services database answers the seeds' look-ups", async () => {
  // /etc/services on a full system, or the built-in table: both list these.
  assert.equal(await getservbyname('telnet', 'tcp'), 23);
  assert.equal(await getservbyname('ftp', 'tcp'), 21);
  assert.equal(await getservbyport(80, 'tcp'), 'http');
});
