// `socketkit exec` (seeds S5/S8) against the exec service on loopback, in-process.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { splitWords } from '../../../src/cli/commands/exec.js';
import { runCli } from '../../helpers/cli.js';
import { selfSignedCert } from '../../helpers/netcat.js';
import { needs } from '../../helpers/needs.js';
import { nodeCommand, SECRET, serveExec } from '../services/exec-harness.js';
import { startServe } from '../services/helpers/serve-harness.js';

const env = { SOCKETKIT_EXEC_SECRET: SECRET.toString() };
const commands = {
  three: nodeCommand("process.stdout.write('x'); process.exit(3)"),
  quiet: nodeCommand(''),
  gbk: nodeCommand('process.stdout.write(Buffer.from([0xc4, 0xe3, 0xba, 0xc3, 0x0a]))'),
  killed: nodeCommand("process.kill(process.pid, 'SIGTERM')"),
};

function secretFile(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sk-exec-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'secret');
  writeFileSync(file, `${SECRET.toString()}\n`);
  chmodSync(file, 0o600);
  return file;
}

for (const kind of ['tcp', 'udp'] as const) {
  const udp = kind === 'udp' ? ['--udp'] : [];

  test(`exec ${kind}: prints stdout, passes args literally, exit code 0`, async (t) => {
    const port = String(await serveExec(t, kind));
    const r = await runCli(['exec', '127.0.0.1', port, ...udp, 'echo', 'a;b', '$(id)'], { env });
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'a;b $(id)\n');
    assert.equal(r.code, 0);
  });

  test(`exec ${kind}: the remote exit code, 128+N for a signal`, async (t) => {
    const port = String(await serveExec(t, kind, { commands }));
    const three = await runCli(['exec', '127.0.0.1', port, ...udp, 'three'], { env });
    assert.equal(three.stdout, 'x');
    assert.equal(three.code, 3);
    const killed = await runCli(['exec', '127.0.0.1', port, ...udp, 'killed'], { env });
    assert.equal(killed.code, 128 + 15);
  });

  test(`exec ${kind}: a refusal is one line on stderr and exit 1`, async (t) => {
    const port = String(await serveExec(t, kind));
    const r = await runCli(['exec', '127.0.0.1', port, ...udp, 'rm', '/'], { env });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^socketkit: server refused \(ERR_EXEC_UNKNOWN_COMMAND\): command "rm" is not allowed on this server \[ERR_EXEC_REFUSED\]\n$/,
    );
    const bad = await runCli(['exec', '127.0.0.1', port, ...udp, 'echo'], {
      env: { SOCKETKIT_EXEC_SECRET: 'not-the-right-secret' },
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /ERR_EXEC_AUTH/);
  });
}

test('exec: --encoding gbk decodes a Windows peer, utf-8 passes bytes through', async (t) => {
  const port = String(await serveExec(t, 'tcp', { commands }));
  const r = await runCli(['exec', '127.0.0.1', port, '--encoding', 'gbk', 'gbk'], { env });
  assert.equal(r.stdout, '你好\n');
  const bad = await runCli(['exec', '127.0.0.1', port, '--encoding', 'klingon', 'gbk'], { env });
  assert.equal(bad.code, 2);
});

test('exec: interactive mode runs each line, "OK" for silent commands, q quits', async (t) => {
  const port = String(await serveExec(t, 'tcp', { commands }));
  const r = await runCli(['exec', '127.0.0.1', port], {
    env,
    stdin: 'echo "two words" \'$HOME\'\nquiet\n\nnope\nthree\nq\necho never\n',
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'two words $HOME\nOK\nx');
  assert.match(r.stderr, /ERR_EXEC_UNKNOWN_COMMAND/);
  assert.match(r.stderr, /exit status 3/);
});

test('exec: no secret, bad port are usage errors (exit 2)', async () => {
  const none = await runCli(['exec', '127.0.0.1', '7512', 'echo'], { env: {} });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no secret: give --secret-file FILE or set SOCKETKIT_EXEC_SECRET/);
  assert.equal((await runCli(['exec', '127.0.0.1', 'x', 'echo'], { env })).code, 2);
});

test('serve exec: refuses to start without an allowlist or off loopback without TLS', async (t) => {
  const file = secretFile(t);
  const noList = await runCli(['serve', 'exec', '--port', '0', '--secret-file', file]);
  assert.notEqual(noList.code, 0);
  assert.match(noList.stderr, /allow at least one command/);
  const exposed = await runCli([
    'serve',
    'exec',
    '--port',
    '0',
    '--host',
    '0.0.0.0',
    '--secret-file',
    file,
    '--allow-command',
    'echo=/bin/echo',
  ]);
  assert.notEqual(exposed.code, 0);
  assert.match(exposed.stderr, /without TLS/);
});

test('serve exec + socketkit exec --secret-file: end to end over TCP and UDP', async (t) => {
  const file = secretFile(t);
  const run = await startServe([
    'exec',
    '--port',
    '0',
    '--secret-file',
    file,
    '--allow-command',
    'echo=/bin/echo',
    '--allow-args',
    'echo=.*',
    '--allow-options',
    'echo=-n',
  ]);
  t.after(() => run.stop());
  assert.deepEqual(run.rows.map((r) => r.transport).sort(), ['tcp', 'udp']);
  for (const row of run.rows) {
    const udp = row.transport === 'udp' ? ['--udp'] : [];
    const r = await runCli(
      [
        'exec',
        '127.0.0.1',
        String(row.port),
        ...udp,
        '--secret-file',
        file,
        '--',
        'echo',
        '-n',
        'hi',
      ],
      { env: {} },
    );
    assert.equal(r.stdout, 'hi', r.stderr);
    assert.equal(r.code, 0);
  }
});

test('splitWords: quotes and escapes, no expansion', () => {
  assert.deepEqual(splitWords(` a  'b c' "d \\" e" f\\ g $(x) '' `), [
    'a',
    'b c',
    'd " e',
    'f g',
    '$(x)',
    '',
  ]);
  assert.throws(() => splitWords(`'open`), /unterminated/);
});

test('serve --config: an exec entry with a commands map', async (t) => {
  const file = secretFile(t);
  const dir = mkdtempSync(join(tmpdir(), 'sk-exec-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'socketkit.yaml');
  writeFileSync(
    config,
    [
      'services:',
      '  - service: exec',
      '    port: 0',
      '    transports: [tcp]',
      '    options:',
      `      secretFile: ${file}`,
      '      execTimeout: 5',
      '      commands:',
      '        say: { path: /bin/echo, args: [said], allowArgs: "[a-z]+" }',
      '',
    ].join('\n'),
  );
  const run = await startServe(['--config', config]);
  t.after(() => run.stop());
  const port = String(run.rows[0]?.port);
  const ok = await runCli(['exec', '127.0.0.1', port, '--secret-file', file, 'say', 'hi'], {
    env: {},
  });
  assert.equal(ok.stdout, 'said hi\n', ok.stderr);
  const no = await runCli(['exec', '127.0.0.1', port, '--secret-file', file, 'say', 'HI'], {
    env: {},
  });
  assert.match(no.stderr, /ERR_EXEC_ARGS/);
});

test('serve exec with TLS + socketkit exec --tls --tls-ca', async (t) => {
  const why = needs('openssl');
  if (why) return t.skip(why);
  const file = secretFile(t);
  const dir = mkdtempSync(join(tmpdir(), 'sk-exec-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { cert, key } = selfSignedCert(dir);
  const run = await startServe([
    'exec',
    '--port',
    '0',
    '--secret-file',
    file,
    '--tls-cert',
    cert,
    '--tls-key',
    key,
    '--allow-command',
    'echo=/bin/echo',
    '--allow-args',
    'echo=.*',
  ]);
  t.after(() => run.stop());
  assert.deepEqual(
    run.rows.map((r) => r.transport),
    ['tls'],
  );
  const port = String(run.rows[0]?.port);
  const argv = [
    'exec',
    '127.0.0.1',
    port,
    '--secret-file',
    file,
    '--tls',
    '--tls-ca',
    cert,
    'echo',
    'secure',
  ];
  const r = await runCli(argv, { env: {} });
  assert.equal(r.stdout, 'secure\n', r.stderr);
  assert.equal(r.code, 0);
});
