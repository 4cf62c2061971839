import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidArgumentError } from '../../../../src/errors.js';
import { execService, isLoopbackHost } from '../../../../src/services/exec/index.js';
import { allServices, findService, services } from '../../../../src/services/registry.js';

const env = { signal: new AbortController().signal, log: () => {} };
const allow = { allowCommand: ['echo=/bin/echo'] };
const secret = 'a-secret-of-enough-length';

test('exec is known by name but never in the default set', () => {
  assert.equal(findService('exec'), execService);
  assert.ok(allServices.includes(execService));
  assert.ok(!services.includes(execService));
});

test('create(): off unless an allowlist and a secret are given', async () => {
  await assert.rejects(
    async () => execService.create({ secret }, env),
    /allow at least one command/,
  );
  await assert.rejects(
    async () => execService.create({ ...allow, environment: {} }, env),
    (e: unknown) => e instanceof InvalidArgumentError && /SOCKETKIT_EXEC_SECRET/.test(e.message),
  );
  await assert.rejects(
    async () => execService.create({ ...allow, secret: 'short' }, env),
    /at least 16 bytes/,
  );
  const ok = await execService.create(
    { ...allow, environment: { SOCKETKIT_EXEC_SECRET: secret } },
    env,
  );
  assert.equal(typeof ok.stream, 'function');
  assert.equal(typeof ok.datagram, 'function');
});

test('create(): --secret-file, a warning when others can read it; unreadable file is a clear error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sk-exec-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'secret');
  writeFileSync(file, `${secret}\n`);
  chmodSync(file, 0o600);
  const warnings: string[] = [];
  const log = (level: string, m: string) => {
    if (level === 'warn') warnings.push(m);
  };
  await execService.create({ ...allow, secretFile: file }, { ...env, log });
  assert.deepEqual(warnings, []);
  chmodSync(file, 0o644);
  await execService.create({ ...allow, secretFile: file }, { ...env, log });
  assert.match(warnings[0] ?? '', /readable by other users/);
  await assert.rejects(
    async () => execService.create({ ...allow, secretFile: join(dir, 'none') }, env),
    /cannot read/,
  );
});

test('create(): a non-loopback host needs TLS, and UDP never leaves loopback', async () => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) {
    assert.ok(isLoopbackHost(host), host);
    await execService.create({ ...allow, secret, host, udpEnabled: true }, env);
  }
  for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com'])
    assert.ok(!isLoopbackHost(host), host);
  await assert.rejects(
    async () => execService.create({ ...allow, secret, host: '0.0.0.0' }, env),
    /without TLS/,
  );
  await assert.rejects(
    async () =>
      execService.create(
        { ...allow, secret, host: '0.0.0.0', tlsEnabled: true, udpEnabled: true },
        env,
      ),
    /UDP has no TLS/,
  );
  await execService.create({ ...allow, secret, host: '0.0.0.0', tlsEnabled: true }, env);
});
