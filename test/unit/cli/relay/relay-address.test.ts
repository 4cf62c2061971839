import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../../../../src/cli/io.js';
import { parseRelayAddress } from '../../../../src/cli/relay/relay-address.js';
import { splitCommand } from '../../../../src/cli/relay/split-command.js';

test('client addresses', () => {
  assert.deepEqual(parseRelayAddress('tcp:example.test:80'), {
    text: 'tcp:example.test:80',
    kind: 'tcp',
    target: { host: 'example.test', port: 80 },
  });
  assert.deepEqual(parseRelayAddress('TLS:[::1]:443').kind, 'tls');
  assert.deepEqual((parseRelayAddress('udp:[fe80::1%eth0]:53') as { target: unknown }).target, {
    host: 'fe80::1%eth0',
    port: 53,
  });
  assert.deepEqual(parseRelayAddress('unix:/run/a b.sock'), {
    text: 'unix:/run/a b.sock',
    kind: 'unix',
    path: '/run/a b.sock',
  });
  assert.equal(parseRelayAddress('-').kind, 'stdio');
  assert.equal(parseRelayAddress('stdio').kind, 'stdio');
  assert.deepEqual((parseRelayAddress("exec:printf '%s\\n' a;b") as { argv: string[] }).argv, [
    'printf',
    '%s\\n',
    'a;b',
  ]);
  assert.equal(parseRelayAddress('file:/tmp/x:y').kind, 'file');
});

test('listening addresses default to loopback', () => {
  assert.deepEqual(parseRelayAddress('tcp-listen:8080'), {
    text: 'tcp-listen:8080',
    kind: 'tcp-listen',
    bind: { host: '127.0.0.1', port: 8080 },
  });
  assert.deepEqual((parseRelayAddress('udp-listen:[::]:0') as { bind: unknown }).bind, {
    host: '::',
    port: 0,
  });
  assert.deepEqual((parseRelayAddress('tls-listen:0.0.0.0:443') as { bind: unknown }).bind, {
    host: '0.0.0.0',
    port: 443,
  });
});

test('proxy addresses are tcp clients with a hop', () => {
  assert.deepEqual(parseRelayAddress('socks5:127.0.0.1:1080:example.test:443'), {
    text: 'socks5:127.0.0.1:1080:example.test:443',
    kind: 'tcp',
    target: { host: 'example.test', port: 443 },
    via: { type: 'socks5', host: '127.0.0.1', port: 1080 },
  });
  assert.deepEqual(
    (parseRelayAddress('http-connect:[::1]:3128:[2001:db8::1]:22') as { via: unknown }).via,
    { type: 'http-connect', host: '::1', port: 3128 },
  );
});

test('malformed addresses are usage errors that say what was expected', () => {
  for (const bad of [
    'tcp',
    'tcp:',
    'tcp:host',
    'tcp:host:0',
    'tcp:host:65536',
    'tcp:host:80:extra',
    'tcp:::1:80',
    'tcp:[::1:80',
    'tcp-listen:[::1]',
    'tcp-listen::::8080',
    'nope:1',
    'exec:',
    "exec:'unterminated",
    'socks5:127.0.0.1:1080',
  ]) {
    assert.throws(
      () => parseRelayAddress(bad),
      (err: unknown) => err instanceof CliError && err.exitCode === 2,
      bad,
    );
  }
});

test('splitCommand: words, quotes and escapes, nothing a shell would interpret', () => {
  assert.deepEqual(splitCommand('  cat   -n '), ['cat', '-n']);
  assert.deepEqual(splitCommand(`a 'b c' "d \\" e" f\\ g`), ['a', 'b c', 'd " e', 'f g']);
  assert.deepEqual(splitCommand('echo $HOME; rm -rf / | x > y'), [
    'echo',
    '$HOME;',
    'rm',
    '-rf',
    '/',
    '|',
    'x',
    '>',
    'y',
  ]);
  assert.deepEqual(splitCommand(`''`), ['']);
  assert.throws(() => splitCommand('a\\'));
  assert.throws(() => splitCommand('"a'));
});
