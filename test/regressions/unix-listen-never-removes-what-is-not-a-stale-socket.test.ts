// Defect 6 of issue 10: `socketkit listen -U PATH` deleted PATH when it was a regular
// file (its stale-socket remover probed with a connect, got ECONNREFUSED from the file,
// and unlinked it). Three removers had three rules; now one helper
// (src/socket/unix-path.ts) decides for every Unix listener: only a socket file that
// refuses connections is removed; a regular file, a directory or a live socket is
// refused with an AddressInUseError that names the path and what is there.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { AddressInUseError } from '../../src/errors.js';
import { UnixDatagramServer, UnixStreamServer } from '../../src/server/index.js';
import { claimUnixSocketPath } from '../../src/socket/unix-path.js';
import { UnixDatagramSocket, unixDatagramAvailable } from '../../src/socket/unix-datagram.js';
import { runCli } from '../helpers/cli.js';
import { startCli, tempDir, within } from '../helpers/netcat.js';

const noDgram = unixDatagramAvailable() ? false : 'the unix-dgram native addon is not built';

test('listen -U on a regular file or a directory refuses, and leaves it alone', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'precious\n');
  for (const argv of [
    ['listen', '-U', file],
    ['listen', '-k', '-U', file],
    ['listen', '-u', '-U', file],
  ]) {
    const r = await runCli(argv);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /notes\.txt is already in use: a regular file is there/);
    assert.match(r.stderr, /ERR_ADDRESS_IN_USE/);
    assert.equal(readFileSync(file, 'utf8'), 'precious\n');
  }
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  const r = await runCli(['listen', '-U', sub]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /sub is already in use: a directory is there/);
  assert.ok(statSync(sub).isDirectory());
});

test(
  'listen -U on a live stream or datagram socket refuses; the socket keeps working',
  { skip: noDgram },
  async (t) => {
    const dir = tempDir(t);
    const live = join(dir, 'live.sock');
    const server = net
      .createServer((c) => {
        c.on('error', () => {}); // the probe hangs up at once
        c.end('still here\n');
      })
      .listen(live);
    await once(server, 'listening');
    t.after(() => server.close());
    const r = await runCli(['listen', '-U', live]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /live\.sock is already in use: a socket a process accepts connections on/,
    );
    const c = net.connect(live);
    const [reply] = (await once(c, 'data')) as [Buffer];
    assert.equal(reply.toString(), 'still here\n');
    c.destroy();

    const dgramPath = join(dir, 'live.dgram');
    const receiver = new UnixDatagramSocket();
    await receiver.bind({ path: dgramPath });
    t.after(() => receiver.close());
    for (const argv of [
      ['listen', '-u', '-U', dgramPath],
      ['listen', '-U', dgramPath],
    ]) {
      const d = await runCli(argv);
      assert.equal(d.code, 1);
      assert.match(
        d.stderr,
        /live\.dgram is already in use: a datagram socket a process receives on/,
      );
    }
    assert.ok(existsSync(dgramPath));
  },
);

test('a stale socket file (its server killed) is removed, by the CLI and the servers alike', async (t) => {
  const dir = tempDir(t);
  const stale = async (name: string): Promise<string> => {
    const path = join(dir, name);
    const script = `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.stdout.write('ready\\n'));`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    await once(createInterface({ input: child.stdout }), 'line');
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    assert.ok(statSync(path).isSocket());
    return path;
  };
  const forCli = await stale('cli.sock');
  const cli = startCli(t, ['listen', '-v', '-U', forCli], 'hello\n');
  await cli.stderr.waitFor(/Listening on .*cli\.sock/);
  const c = net.connect(forCli);
  const [got] = (await once(c, 'data')) as [Buffer];
  assert.equal(got.toString(), 'hello\n');
  c.end();
  assert.equal(await within(cli.done, 'listen exits'), 0);

  const forServer = await stale('server.sock');
  const server = await new UnixStreamServer({ path: forServer, handler: async () => {} }).listen();
  await server.destroy();
  assert.equal(await claimUnixSocketPath(join(dir, 'absent.sock')), false);
});

test(
  'the library servers refuse a regular file too, with the typed error',
  { skip: noDgram },
  async (t) => {
    const file = join(tempDir(t), 'data.bin');
    writeFileSync(file, 'keep');
    for (const make of [
      () => new UnixStreamServer({ path: file, handler: async () => {} }),
      () => new UnixDatagramServer({ path: file, handler: () => {} }),
    ]) {
      await assert.rejects(make().listen(), (err: unknown) => {
        assert.ok(err instanceof AddressInUseError);
        assert.equal(err.code, 'ERR_ADDRESS_IN_USE');
        assert.equal(err.path, file);
        assert.equal(err.occupant, 'a regular file');
        return true;
      });
      assert.equal(readFileSync(file, 'utf8'), 'keep');
    }
  },
);
