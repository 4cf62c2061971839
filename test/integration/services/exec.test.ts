// The exec service over real loopback TCP: authentication, refusals, no shell, limits.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExecSession, encodeRequest } from '../../../src/services/exec/index.js';
import {
  nodeCommand,
  rawHeader,
  rawTcpRequest,
  request,
  tampered,
  SECRET,
  serveExec,
  stdoutOf,
} from './exec-harness.js';

test('exec/tcp: an authenticated request runs and streams stdout, then the end frame', async (t) => {
  const port = await serveExec(t, 'tcp');
  const { frames } = await rawTcpRequest(port, [request('echo', ['hello', 'world'])]);
  assert.equal(stdoutOf(frames).toString(), 'hello world\n');
  const end = frames.at(-1);
  assert.equal(end?.type, 'end');
  if (end?.type === 'end') {
    assert.equal(end.end.exit, 0);
    assert.equal(end.end.truncated, false);
  }
});

test('exec/tcp: several requests on one connection, fixed args come first', async (t) => {
  const port = await serveExec(t, 'tcp');
  const session = await ExecSession.connect({ host: '127.0.0.1', port }, { secret: SECRET });
  t.after(() => session.close());
  for (let i = 0; i < 3; i++) {
    const out: Buffer[] = [];
    // A sink that returns something (like stream.write's boolean) must not end the run.
    const end = await session.run('echo', [`n${i}`], (_s, d) => out.push(d));
    assert.equal(Buffer.concat(out).toString(), `n${i}\n`);
    assert.equal(end.exit, 0);
  }
  const out: Buffer[] = [];
  await session.run('plain', [], (_s, d) => {
    out.push(d);
  });
  assert.equal(Buffer.concat(out).toString(), 'fixed\n');
});

test('exec/tcp: refusals are clear error frames', async (t) => {
  const port = await serveExec(t, 'tcp');
  const cases: [Parameters<typeof rawTcpRequest>[1][number], string, RegExp][] = [
    [tampered(request('echo', ['x']), { mac: '0'.repeat(64) }), 'ERR_EXEC_AUTH', /bad MAC/],
    [request('echo', ['x'], Date.now() - 5 * 60_000), 'ERR_EXEC_CLOCK_SKEW', /clock/],
    [request('echo', ['x'], Date.now() + 5 * 60_000), 'ERR_EXEC_CLOCK_SKEW', /clock/],
    [request('rm', ['-rf', '/']), 'ERR_EXEC_UNKNOWN_COMMAND', /not allowed/],
    [request('plain', ['extra']), 'ERR_EXEC_ARGS', /no arguments/],
    [rawHeader({ v: 1, command: 'echo' }), 'ERR_EXEC_BAD_REQUEST', /fields/],
    [{ ...request('echo', ['x']), body: Buffer.from('["y"]') }, 'ERR_EXEC_AUTH', /body/],
  ];
  for (const [req, code, message] of cases) {
    const { frames } = await rawTcpRequest(port, [req]);
    const last = frames.at(-1);
    assert.equal(last?.type, 'error', JSON.stringify(frames));
    if (last?.type === 'error') {
      assert.equal(last.error.code, code);
      assert.match(last.error.message, message);
    }
  }
});

test('exec/tcp: a replayed request is refused (nonce used once)', async (t) => {
  const port = await serveExec(t, 'tcp');
  const req = request('echo', ['once']);
  const first = await rawTcpRequest(port, [req]);
  assert.equal(first.frames.at(-1)?.type, 'end');
  const again = await rawTcpRequest(port, [req]);
  const last = again.frames.at(-1);
  assert.ok(last?.type === 'error' && last.error.code === 'ERR_EXEC_REPLAY', JSON.stringify(last));
});

test('exec/tcp: arguments outside the pattern are refused', async (t) => {
  const port = await serveExec(t, 'tcp', {
    allowCommand: ['echo=/bin/echo'],
    allowArgs: ['echo=[a-z]+'],
  });
  const { frames } = await rawTcpRequest(port, [request('echo', ['abc; rm -rf /'])]);
  const last = frames.at(-1);
  assert.ok(last?.type === 'error' && last.error.code === 'ERR_EXEC_ARGS', JSON.stringify(last));
});

test('exec/tcp: no shell: metacharacters reach the command literally', async (t) => {
  const port = await serveExec(t, 'tcp');
  const args = ['a; rm -rf /tmp/nothing', '$(id)', '`id`', '| cat', '&& false', '*', '$HOME'];
  const { frames } = await rawTcpRequest(port, [request('echo', args)]);
  assert.equal(stdoutOf(frames).toString(), `${args.join(' ')}\n`);
});

test('exec/tcp: the timeout kills the whole process group', async (t) => {
  const port = await serveExec(t, 'tcp', {
    execTimeout: 0.5,
    // The background child prints its PID as the host sees it (/proc/self: the command
    // may run in its own PID namespace, where `$!` would be a namespace PID).
    commands: {
      tree: {
        path: '/bin/sh',
        args: ['-c', "sh -c 'read -r pid rest < /proc/self/stat; echo $pid; exec sleep 30' & wait"],
      },
    },
  });
  const { frames } = await rawTcpRequest(port, [request('tree')]);
  const end = frames.at(-1);
  assert.ok(end?.type === 'end', JSON.stringify(frames));
  if (end?.type !== 'end') return;
  assert.equal(end.end.timedOut, true);
  assert.equal(end.end.signal, 'SIGKILL');
  const grandchild = Number(stdoutOf(frames).toString().trim());
  assert.ok(grandchild > 0);
  let alive = true;
  for (let i = 0; i < 100 && alive; i++) {
    try {
      process.kill(grandchild, 0);
      await sleep(50);
    } catch {
      alive = false;
    }
  }
  assert.equal(alive, false, `background child ${grandchild} survived the timeout`);
});

test('exec/tcp: output past --max-output is cut, flagged truncated, the command stopped', async (t) => {
  const port = await serveExec(t, 'tcp', {
    maxOutput: 100_000,
    commands: { yes: '/usr/bin/yes' },
  });
  const { frames } = await rawTcpRequest(port, [request('yes')]);
  const out = stdoutOf(frames);
  assert.equal(out.length, 100_000);
  assert.ok(/^(y\n)+$/.test(out.toString()));
  const end = frames.at(-1);
  assert.ok(end?.type === 'end' && end.end.truncated, JSON.stringify(end));
});

test('exec/tcp: a > 1 MiB request and a > 1 MiB reply arrive intact', async (t) => {
  const port = await serveExec(t, 'tcp', { maxOutput: 4 << 20 });
  // Linux caps one argument at 128 KiB: twelve of 100 000 bytes each.
  const args = Array.from({ length: 12 }, (_, i) => String.fromCharCode(97 + i).repeat(100_000));
  const { frames } = await rawTcpRequest(port, [request('echo', args)]);
  const out = stdoutOf(frames).toString();
  assert.equal(out.length, 12 * 100_001);
  assert.equal(out, `${args.join(' ')}\n`);
});

test('exec/tcp: stderr is streamed apart from stdout, exit codes come back', async (t) => {
  const port = await serveExec(t, 'tcp', {
    commands: {
      both: nodeCommand(
        "process.stdout.write('out'); process.stderr.write('err'); process.exit(3)",
      ),
    },
  });
  const { frames } = await rawTcpRequest(port, [request('both')]);
  const err = Buffer.concat(frames.flatMap((f) => (f.type === 'stderr' ? [f.data] : [])));
  assert.equal(stdoutOf(frames).toString(), 'out');
  assert.equal(err.toString(), 'err');
  const end = frames.at(-1);
  assert.ok(end?.type === 'end' && end.end.exit === 3);
});

test('exec/tcp: an abrupt disconnect mid-output kills the command, the server keeps serving', async (t) => {
  let aborted = 0;
  const onRun = (m: unknown): void => {
    if ((m as { aborted?: boolean }).aborted) aborted++;
  };
  subscribe('socketkit:exec:run', onRun);
  t.after(() => unsubscribe('socketkit:exec:run', onRun));
  const port = await serveExec(t, 'tcp', {
    maxOutput: 64 << 20,
    execTimeout: 60,
    commands: { yes: '/usr/bin/yes' },
  });
  for (let round = 0; round < 3; round++) {
    await new Promise<void>((resolve, reject) => {
      const sock = connect(port, '127.0.0.1');
      sock.on('connect', () => sock.write(encodeRequest(request('yes'))));
      let got = 0;
      sock.on('data', (c: Buffer) => {
        got += c.length;
        if (got > 50_000) {
          sock.resetAndDestroy();
          resolve();
        }
      });
      sock.on('error', reject);
    });
  }
  const { frames } = await rawTcpRequest(port, [request('echo', ['still', 'here'])]);
  assert.equal(stdoutOf(frames).toString(), 'still here\n');
  // Each `yes` was stopped (not left running until --exec-timeout).
  for (let i = 0; i < 200 && aborted < 3; i++) await sleep(25);
  assert.equal(aborted, 3);
});

test('exec/tcp: past --max-concurrent a request is refused as busy', async (t) => {
  const port = await serveExec(t, 'tcp', {
    maxConcurrent: 1,
    commands: { slow: nodeCommand('setTimeout(() => {}, 1500)') },
  });
  const slow = rawTcpRequest(port, [request('slow')]);
  await sleep(500);
  const { frames } = await rawTcpRequest(port, [request('slow')]);
  const last = frames.at(-1);
  assert.ok(last?.type === 'error' && last.error.code === 'ERR_EXEC_BUSY', JSON.stringify(last));
  assert.equal((await slow).frames.at(-1)?.type, 'end');
});
