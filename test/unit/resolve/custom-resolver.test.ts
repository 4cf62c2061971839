// The look-ups' logic over a table-driven Resolver: every branch of the reverse and
// forward paths, with addresses from the documentation ranges and no DNS at all.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HostNotFoundError, InvalidArgumentError } from '../../../src/errors.js';
import {
  getaddrinfo,
  getfqdn,
  gethostbyaddr,
  gethostbyname,
  gethostbynameEx,
  type ResolvedAddress,
  type Resolver,
} from '../../../src/resolve/index.js';

function sysError(code: string, syscall: string): Error {
  return Object.assign(new Error(`${syscall} ${code}`), { code, syscall });
}

/** Answers from fixed tables; a name or address missing from them is ENOTFOUND. */
function tableResolver(
  names: Record<string, ResolvedAddress[]>,
  reverse: Record<string, string /* a name, or 'hang' | 'numeric' */>,
): Resolver & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async lookup(hostname, options) {
      calls.push(`lookup ${hostname} ${options.family}`);
      const found = (names[hostname] ?? []).filter(
        (a) => options.family === 0 || a.family === options.family,
      );
      if (found.length === 0) throw sysError('ENOTFOUND', 'getaddrinfo');
      return found;
    },
    lookupService(address, port) {
      calls.push(`lookupService ${address}`);
      const name = reverse[address];
      if (name === 'hang') return new Promise(() => {});
      if (name === 'numeric') return Promise.resolve({ hostname: address, service: String(port) });
      if (name === undefined) return Promise.reject(sysError('ENOTFOUND', 'getnameinfo'));
      return Promise.resolve({ hostname: name, service: String(port) });
    },
  };
}

async function hostsFileWith(t: { after(fn: () => unknown): void }, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'socketkit-hosts-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'hosts');
  await writeFile(path, text);
  return path;
}

const NAMES: Record<string, ResolvedAddress[]> = {
  'www.example.test': [
    { address: '2001:db8::10', family: 6 },
    { address: '192.0.2.10', family: 4 },
    { address: '192.0.2.11', family: 4 },
    { address: '192.0.2.10', family: 4 },
  ],
  'v6only.example.test': [{ address: '2001:db8::20', family: 6 }],
};

test('gethostbyname / gethostbynameEx take IPv4 answers in resolver order, without duplicates', async () => {
  const resolver = tableResolver(NAMES, {});
  assert.equal(await gethostbyname('www.example.test', { resolver }), '192.0.2.10');
  assert.deepEqual(
    await gethostbynameEx('www.example.test', { resolver, hostsFile: '/nonexistent' }),
    {
      hostname: 'www.example.test',
      aliases: [],
      addresses: ['192.0.2.10', '192.0.2.11'],
    },
  );
  assert.deepEqual(resolver.calls, ['lookup www.example.test 4', 'lookup www.example.test 4']);
  await assert.rejects(gethostbyname('v6only.example.test', { resolver }), HostNotFoundError);
});

test("gethostbyaddr uses the resolver's name, and the hosts file line for aliases", async (t) => {
  const resolver = tableResolver(NAMES, { '192.0.2.10': 'www.example.test' });
  const hostsFile = await hostsFileWith(t, '192.0.2.10 www.example.test www web\n');
  assert.deepEqual(await gethostbyaddr('192.0.2.10', { resolver, hostsFile }), {
    hostname: 'www.example.test',
    aliases: ['www', 'web'],
    addresses: ['192.0.2.10'],
  });
});

test('gethostbyaddr falls back to the hosts file when the resolver knows no name', async (t) => {
  const hostsFile = await hostsFileWith(t, '192.0.2.10 box.example.test box\n2001:db8::10 v6box\n');
  const notFound = tableResolver({}, {});
  assert.equal(
    (await gethostbyaddr('192.0.2.10', { resolver: notFound, hostsFile })).hostname,
    'box.example.test',
  );
  // getnameinfo without NI_NAMEREQD answers a nameless address with the address itself.
  const numeric = tableResolver({}, { '2001:db8::10': 'numeric' });
  assert.deepEqual(await gethostbyaddr('2001:0db8:0:0::10', { resolver: numeric, hostsFile }), {
    hostname: 'v6box',
    aliases: [],
    addresses: ['2001:db8::10'],
  });
});

test('gethostbyaddr: no name anywhere is a HostNotFoundError that says so', async () => {
  const resolver = tableResolver({}, { '192.0.2.99': 'numeric' });
  await assert.rejects(
    gethostbyaddr('192.0.2.99', { resolver, hostsFile: '/nonexistent' }),
    (err: unknown) => {
      assert.ok(err instanceof HostNotFoundError);
      assert.equal(err.syscall, 'getnameinfo');
      assert.match(err.message, /address 192\.0\.2\.99 has no host name/);
      return true;
    },
  );
});

test('gethostbyaddr: a resolver that hangs times out with EAI_AGAIN', async () => {
  const resolver = tableResolver({}, { '192.0.2.50': 'hang' });
  await assert.rejects(
    gethostbyaddr('192.0.2.50', { resolver, hostsFile: '/nonexistent', timeout: 0.05 }),
    (err: unknown) => err instanceof HostNotFoundError && err.errno === 'EAI_AGAIN',
  );
});

test('gethostbyaddr never asks the resolver about loopback addresses', async () => {
  const resolver = tableResolver({}, {});
  assert.equal(
    (await gethostbyaddr('::1', { resolver, hostsFile: '/nonexistent' })).hostname,
    'localhost',
  );
  assert.equal(
    (await gethostbyaddr('127.0.0.53', { resolver, hostsFile: '/nonexistent' })).hostname,
    'localhost',
  );
  assert.deepEqual(resolver.calls, []);
});

test('gethostbyaddr of a name resolves it first; getfqdn picks the first dotted name', async (t) => {
  const resolver = tableResolver(NAMES, { '2001:db8::10': 'web' });
  const hostsFile = await hostsFileWith(t, '2001:db8::10 web web.example.test\n');
  assert.deepEqual((await gethostbyaddr('www.example.test', { resolver, hostsFile })).addresses, [
    '2001:db8::10',
  ]);
  assert.equal(await getfqdn('www.example.test', { resolver, hostsFile }), 'web.example.test');
  assert.equal(
    await getfqdn('unknown.example.test', { resolver, hostsFile }),
    'unknown.example.test',
  );
});

test('getaddrinfo keeps resolver order and families, and passes the family down', async () => {
  const resolver = tableResolver(NAMES, {});
  const all = await getaddrinfo('www.example.test', 443, { resolver, type: 'stream' });
  assert.deepEqual(
    all.map((e) => `${e.family} ${e.address.host}`),
    ['IPv6 2001:db8::10', 'IPv4 192.0.2.10', 'IPv4 192.0.2.11'],
  );
  const v6 = await getaddrinfo('www.example.test', 443, {
    resolver,
    family: 'IPv6',
    type: 'dgram',
  });
  assert.deepEqual(
    v6.map((e) => e.address),
    [{ host: '2001:db8::10', port: 443 }],
  );
  assert.deepEqual(resolver.calls, ['lookup www.example.test 0', 'lookup www.example.test 6']);
});

test('a resolver without the two methods is an InvalidArgumentError', async () => {
  await assert.rejects(
    gethostbyname('x.test', { resolver: {} as unknown as Resolver }),
    InvalidArgumentError,
  );
});
