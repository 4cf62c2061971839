import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostNotFoundError, InvalidArgumentError } from '../../../src/errors.js';
import { getaddrinfo } from '../../../src/resolve/index.js';

test('getaddrinfo lists every address × socket type, like Python', async () => {
  const all = await getaddrinfo('127.0.0.1', 80);
  assert.deepEqual(all, [
    {
      family: 'IPv4',
      type: 'stream',
      protocol: 'tcp',
      canonname: '',
      address: { host: '127.0.0.1', port: 80 },
    },
    {
      family: 'IPv4',
      type: 'dgram',
      protocol: 'udp',
      canonname: '',
      address: { host: '127.0.0.1', port: 80 },
    },
  ]);
  const v6 = await getaddrinfo('::1', '8080', { type: 'dgram' });
  assert.deepEqual(v6, [
    {
      family: 'IPv6',
      type: 'dgram',
      protocol: 'udp',
      canonname: '',
      address: { host: '::1', port: 8080 },
    },
  ]);
});

test('getaddrinfo resolves localhost and a service name', async () => {
  const entries = await getaddrinfo('localhost', 'http', { type: 'stream', family: 'IPv4' });
  assert.equal(entries.length, 1);
  assert.deepEqual(entries[0]?.address, { host: '127.0.0.1', port: 80 });
  assert.equal(entries[0]?.protocol, 'tcp');
});

test('flags.canonname fills canonname on the first entry only', async () => {
  const entries = await getaddrinfo('localhost', 7, { family: 'IPv4', flags: { canonname: true } });
  assert.equal(entries[0]?.canonname, 'localhost');
  for (const e of entries.slice(1)) assert.equal(e.canonname, '');
});

test('no host: loopback to connect, the wildcard with flags.passive to bind', async () => {
  const connectTo = await getaddrinfo(null, 80, { type: 'stream' });
  assert.deepEqual(
    connectTo.map((e) => e.address.host),
    ['::1', '127.0.0.1'],
  );
  const bindTo = await getaddrinfo(null, 0, { type: 'stream', flags: { passive: true } });
  assert.deepEqual(
    bindTo.map((e) => e.address.host),
    ['0.0.0.0', '::'],
  );
  const v4 = await getaddrinfo(undefined, undefined, { family: 'IPv4', type: 'stream' });
  assert.deepEqual(
    v4.map((e) => e.address),
    [{ host: '127.0.0.1', port: 0 }],
  );
});

test('a service known for one protocol only yields that socket type (glibc does the same)', async () => {
  const entries = await getaddrinfo('127.0.0.1', 'ssh', { servicesFile: '/nonexistent/services' });
  assert.deepEqual(
    entries.map((e) => [e.type, e.address.port]),
    [['stream', 22]],
  );
});

test('errors: .invalid host, unknown service, bad port, wrong family, numeric flags', async () => {
  await assert.rejects(getaddrinfo('host.invalid', 80), HostNotFoundError);
  await assert.rejects(
    getaddrinfo('localhost', 'no-such-service'),
    /unknown service "no-such-service"/,
  );
  await assert.rejects(getaddrinfo('localhost', 65536), /from 0 to 65535/);
  await assert.rejects(getaddrinfo('localhost', -1), InvalidArgumentError);
  await assert.rejects(
    getaddrinfo('127.0.0.1', 80, { family: 'IPv6' }),
    /IPv4 address but family IPv6/,
  );
  await assert.rejects(
    getaddrinfo('localhost', 80, { flags: { numericHost: true } }),
    /numericHost/,
  );
  await assert.rejects(
    getaddrinfo('localhost', 'http', { flags: { numericServ: true } }),
    /numericServ/,
  );
  await assert.rejects(
    getaddrinfo('localhost', 80, { type: 'raw' as 'stream' }),
    /type must be 'stream' or 'dgram'/,
  );
  await assert.rejects(
    getaddrinfo('localhost', 80, { family: 'INET' as 'IPv4' }),
    /family must be 'IPv4', 'IPv6' or 'any'/,
  );
});
