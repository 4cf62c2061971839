/**
 * Regression (session 6 probe): an `exec:` command (relay's, and `connect`/`listen
 * --exec`, which share it) that was killed by a signal — a crash, the OOM killer, a
 * `kill -9` — had its stdout's end passed on as a FIN: its peer read "partial" and a
 * clean end, as if that was all the command had to say, and `relay -v` logged the relay
 * `done`. Now the end counts only once the command exited; killed by a signal, the peer
 * is reset and the relay reported failed. A command that exits (whatever its status) still
 * ends with a FIN.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { startCli } from '../helpers/netcat.js';
import { needs } from '../helpers/needs.js';

const KILLED = 'sh -c "printf partial; kill -9 $$"';
const EXITS = 'sh -c "printf whole; exit 3"';

/** python3 connects, reads to the end; `eof TEXT` or `reset TEXT`. */
const READ_ALL = `
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
got = b''
try:
    while True:
        d = s.recv(65536)
        if not d:
            print('eof', got.decode()); break
        got += d
except ConnectionResetError:
    print('reset', got.decode())
`;

async function pythonRead(port: string): Promise<string> {
  const child = spawn('python3', ['-c', READ_ALL, port], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await once(child, 'exit');
  return out.trim();
}

test(
  'relay exec: a command killed by a signal resets its client; one that exits ends it',
  { skip: needs('python3') },
  async (t) => {
    for (const [command, expected, logged] of [
      [KILLED, /^reset/, /relay #1 failed \(.*killed by SIGKILL/],
      [EXITS, /^eof whole$/, /relay #1 done/],
    ] as const) {
      const cli = startCli(t, ['relay', '-v', '--allow-exec', 'tcp-listen:0', `exec:${command}`]);
      const port = (await cli.stderr.waitFor(/listening on \S+:(\d+)/))[1]!;
      assert.match(await pythonRead(port), expected, command);
      await cli.stderr.waitFor(logged);
    }
  },
);

/** python3 listens on 127.0.0.1 (prints its port), reads one client to its end: `eof` or `reset`. */
const ONE_CLIENT = `
import socket
l = socket.socket()
l.bind(('127.0.0.1', 0))
l.listen()
print(l.getsockname()[1], flush=True)
c, _ = l.accept()
try:
    while c.recv(65536):
        pass
    print('eof')
except ConnectionResetError:
    print('reset')
`;

/** Python reports a reset faithfully (Node's libuv may report an EOF after data). */
async function oneClient(t: TestContext): Promise<{ port: number; outcome: Promise<string> }> {
  const child = spawn('python3', ['-c', ONE_CLIENT], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout });
  const it = lines[Symbol.asyncIterator]();
  const port = Number((await it.next()).value);
  const outcome = it.next().then((r) => String(r.value));
  return { port, outcome };
}

test(
  'connect --exec: a command killed by a signal resets the server it talked to',
  { skip: needs('python3') },
  async (t) => {
    const killed = await oneClient(t);
    const r = await runCli(['connect', '--exec', KILLED, '127.0.0.1', String(killed.port)]);
    assert.equal(await killed.outcome, 'reset');
    assert.equal(r.code, 1, r.stderr);
    const exits = await oneClient(t);
    const ok = await runCli(['connect', '--exec', EXITS, '127.0.0.1', String(exits.port)]);
    assert.equal(await exits.outcome, 'eof');
    assert.equal(ok.code, 0, ok.stderr);
  },
);
