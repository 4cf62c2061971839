import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { startServe } from '../services/helpers/serve-harness.js';
import { datagramExchange, tcpExchange, tempDir } from '../services/helpers/service-harness.js';

test('serve --config FILE.yaml runs each service with its own listeners and options', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'socketkit.yaml');
  writeFileSync(
    file,
    [
      'host: 127.0.0.1',
      'services:',
      '  - service: qotd',
      '    port: 0',
      '    transports: [tcp]',
      '    options:',
      '      message: "welcome to server!"',
      '  - service: echo',
      '    port: 0',
      '    transports: [udp]',
      '    unix: echo.sock',
      '    maxConnections: 5',
      '    idleTimeout: 30',
    ].join('\n'),
  );
  const run = await startServe(['--config', file]);
  t.after(() => run.stop());
  assert.deepEqual(
    run.rows.map((r) => `${r.service}/${r.transport}`),
    ['qotd/tcp', 'echo/udp', 'echo/unix'],
  );
  assert.equal(
    (await tcpExchange({ port: run.rows[0]?.port ?? 0 }, undefined, false)).toString(),
    'welcome to server!\r\n',
  );
  assert.equal((await datagramExchange({ port: run.rows[1]?.port ?? 0 }, 'u'))?.toString(), 'u');
  assert.equal(
    run.rows[2]?.path,
    join(dir, 'echo.sock'),
    'relative paths are relative to the file',
  );
  assert.equal((await tcpExchange({ path: join(dir, 'echo.sock') }, 'x')).toString(), 'x');
  assert.equal(await run.stop(), 0);
});

test('serve --config FILE.json works the same', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'socketkit.json');
  writeFileSync(
    file,
    JSON.stringify({ services: [{ service: 'time', port: 0, transports: ['tcp'] }] }),
  );
  const run = await startServe(['-c', file]);
  t.after(() => run.stop());
  assert.equal((await tcpExchange({ port: run.rows[0]?.port ?? 0 }, undefined, false)).length, 4);
});

test('a bad config key: exit 2, the file and the key named', async (t) => {
  const dir = tempDir(t);
  const yaml = join(dir, 'bad.yaml');
  writeFileSync(yaml, 'services:\n  - service: echo\n    prot: 7007\n');
  const r = await runCli(['serve', '--config', yaml]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /socketkit: bad\.yaml: services\[0\]\.prot: unknown key \(did you mean "port"\?\)/,
  );

  const json = join(dir, 'bad.json');
  writeFileSync(json, '{"services": [');
  const r2 = await runCli(['serve', '--config', json]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /bad\.json: not valid JSON/);

  const r3 = await runCli(['serve', '--config', join(dir, 'missing.yaml')]);
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, /cannot read config file/);

  const r4 = await runCli(['serve', '--config', yaml, '--port', '7']);
  assert.equal(r4.code, 2);
  assert.match(r4.stderr, /--port cannot be combined with --config/);
});

test('examples/socketkit.yaml is a valid config', async () => {
  const { loadConfigFile } = await import('../../../src/cli/serve/config-file.js');
  const plans = await loadConfigFile('examples/socketkit.yaml');
  assert.ok(plans.length >= 3);
});
