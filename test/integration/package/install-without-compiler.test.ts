// The packed tarball installs on a machine without a C/C++ compiler: unix-dgram (the one
// native addon) is an optional dependency, so npm leaves it out when it cannot be built,
// socketkit itself installs and works, and Unix datagram sockets say they are unavailable.
// The compiler is hidden by a PATH of symlinks to every command except the compilers and
// make. socketkit/services is imported from the installed package and its chat mounted
// on the probe's own TcpServer. Dependencies come from npm's cache (`npm ci` filled it),
// metadata from the registry when the cache lacks it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..', '..');

/** A directory of symlinks to every command on PATH except compilers and make. */
function pathWithoutCompiler(dir: string): string {
  const hidden = /^(cc|c\+\+|cpp|gcc|g\+\+|clang.*|make|gmake|.*-(gcc|g\+\+|cpp)(-\d+)?)$/;
  mkdirSync(dir);
  for (const entry of (process.env.PATH ?? '').split(':')) {
    if (entry === '' || !existsSync(entry)) continue;
    for (const name of readdirSync(entry)) {
      if (hidden.test(name) || existsSync(join(dir, name))) continue;
      symlinkSync(join(entry, name), join(dir, name));
    }
  }
  return dir;
}

test('the tarball installs without a compiler; Unix datagrams report themselves unavailable', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'socketkit-nocc-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  assert.ok(existsSync(join(root, 'dist', 'index.js')), 'dist/ is built (npm ci runs prepare)');

  const packed = await run(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', work],
    {
      cwd: root,
      maxBuffer: 16 << 20,
    },
  );
  const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
  const shipped = new Set(info.files.map((f) => f.path));
  for (const file of [
    'LICENSE',
    'README.md',
    'docs/chat.md',
    'docs/tutorial-map.md',
    'bin/socketkit.js',
  ]) {
    assert.ok(shipped.has(file), `the tarball ships ${file}`);
  }

  const bin = pathWithoutCompiler(join(work, 'bin'));
  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, 'package.json'),
    '{"name":"consumer","version":"1.0.0","type":"module"}',
  );
  const env = { ...process.env, PATH: bin, npm_config_update_notifier: 'false' };
  try {
    await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        join(work, basename(info.filename)),
      ],
      { cwd: consumer, env, maxBuffer: 16 << 20, timeout: 120_000 },
    );
  } catch (err) {
    const text = String((err as { stderr?: string }).stderr ?? err);
    if (!process.env.CI && /ENOTFOUND|EAI_AGAIN|ENOTCACHED|ECONNREFUSED|ETIMEDOUT/.test(text)) {
      t.skip(
        `SKIPPED LOUDLY: the npm registry cannot be reached and the cache lacks a package (${text.split('\n')[0]})`,
      );
      return;
    }
    throw err;
  }
  assert.ok(existsSync(join(consumer, 'node_modules', 'socketkit')), 'socketkit installed');
  assert.ok(
    !existsSync(join(consumer, 'node_modules', 'unix-dgram', 'build', 'Release')),
    'no addon was built',
  );

  writeFileSync(
    join(consumer, 'probe.mjs'),
    `import { Socket, unixDatagramAvailable, UnixDatagramSocket } from 'socketkit';
     import { TcpServer } from 'socketkit/server';
     const server = new TcpServer({ port: 0, handler: async (s) => { await s.sendAll(await s.recv(100)); } });
     await server.listen();
     const serving = server.serveForever();
     const sock = await Socket.createConnection({ host: '127.0.0.1', port: server.address.port });
     await sock.sendAll('ping');
     const echoed = String(await sock.recvExactly(4));
     await sock.close(); await server.shutdown(); await serving;
     let code = null;
     try { await new UnixDatagramSocket().bind({ path: 'u.sock' }); } catch (e) { code = e.code; }
     // A service of socketkit/services, mounted on the program's own server.
     const { createChat } = await import('socketkit/services');
     const chat = await createChat({ bus: 'memory' });
     const chatServer = await new TcpServer({ host: '127.0.0.1', port: 0, handler: chat.stream }).listen();
     const chatServing = chatServer.serveForever();
     const a = await Socket.createConnection({ host: '127.0.0.1', port: chatServer.address.port });
     const b = await Socket.createConnection({ host: '127.0.0.1', port: chatServer.address.port });
     await a.recvUntil('\\n'); await b.recvUntil('\\n');
     await a.sendAll('hello from a\\n');
     let heard = '';
     while (!heard.includes('hello from a')) heard = String(await b.recvUntil('\\n')).trim();
     await a.close(); await b.close(); await chatServer.shutdown(); await chatServing; await chat.hub.close();
     console.log(JSON.stringify({ echoed, available: unixDatagramAvailable(), code, heard }));`,
  );
  const probe = await run(process.execPath, ['probe.mjs'], { cwd: consumer, env, timeout: 30_000 });
  const result = JSON.parse(probe.stdout) as {
    echoed: string;
    available: boolean;
    code: string | null;
    heard: string;
  };
  assert.equal(result.echoed, 'ping', 'TCP works from the installed package');
  assert.equal(result.available, false);
  assert.equal(result.code, 'ERR_UNSUPPORTED_OPTION');
  assert.equal(result.heard, '<user1> hello from a', 'chat from socketkit/services, on our server');

  const cli = join(consumer, 'node_modules', 'socketkit', 'bin', 'socketkit.js');
  const refused = await run(process.execPath, [cli, 'listen', '-u', '-U', join(work, 'x.sock')], {
    cwd: consumer,
    env,
    timeout: 30_000,
  }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /Unix datagram sockets are unavailable: the optional native package unix-dgram is not installed/,
  );
});
