// The proxy flags of `connect`: ncat's defaults (type http, ports 1080/3128), brackets for
// IPv6, credentials from the flag or SOCKETKIT_PROXY_AUTH (the flag wins), socks4's user id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../../../../src/cli/io.js';
import { proxyFromFlags, proxyNote } from '../../../../src/cli/netcat/proxy-options.js';

test('proxy flags: defaults, IPv6 brackets and credentials', () => {
  assert.equal(proxyFromFlags({}, {}), null);
  assert.deepEqual(proxyFromFlags({ proxy: 'proxy.test' }, {}), {
    proxy: { host: 'proxy.test', port: 3128 },
    type: 'http',
    auth: undefined,
  });
  assert.deepEqual(
    proxyFromFlags({ proxy: '[::1]', proxyType: 'SOCKS5', proxyAuth: 'u:p:w' }, {}),
    {
      proxy: { host: '::1', port: 1080 },
      type: 'socks5',
      auth: { username: 'u', password: 'p:w' },
    },
  );
  assert.deepEqual(
    proxyFromFlags(
      { proxy: '[::1]:9050', proxyType: 'socks4' },
      {
        SOCKETKIT_PROXY_AUTH: 'me:not-a-password',
      },
    )?.auth,
    { username: 'me:not-a-password' },
  );
  assert.deepEqual(
    proxyFromFlags(
      { proxy: 'p:1', proxyAuth: 'flag:wins' },
      {
        SOCKETKIT_PROXY_AUTH: 'env:loses',
      },
    )?.auth,
    { username: 'flag', password: 'wins' },
  );
  const choice = proxyFromFlags(
    { proxy: '[::1]:1080', proxyType: 'socks5', proxyAuth: 'a:secret' },
    {},
  );
  assert.equal(proxyNote(choice), ' through socks5 proxy [::1]:1080');
  assert.doesNotMatch(proxyNote(choice), /secret/);
});

test('proxy flags: usage errors', () => {
  for (const flags of [
    { proxyAuth: 'a:b' },
    { proxy: 'p:1', proxyType: 'socks6' },
    { proxy: 'p:1', udp: true },
    { proxy: 'p:1', unixsock: '/tmp/x' },
    { proxy: '[::1' },
    { proxy: '[::1]x' },
    { proxy: ':1080' },
    { proxy: 'p:65536' },
    { proxy: 'p:1', proxyType: 'socks5', proxyAuth: 'user-only' },
  ] as const) {
    assert.throws(
      () => proxyFromFlags(flags, {}),
      (err: unknown) => err instanceof CliError && err.exitCode === 2,
      JSON.stringify(flags),
    );
  }
});
