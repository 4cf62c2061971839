// The library-only seed examples (S10, S11, S12, S14): their functions in-process, then
// each file run as a user would (`node --import tsx examples/…`), on loopback only.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { isIP } from 'node:net';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  connectWithTimeout,
  nonBlockingConnect,
  timeoutDemo,
} from '../../../examples/s10-nonblocking-connect.js';
import { localIp } from '../../../examples/s11-local-ip.js';
import { askServer } from '../../../examples/s12-verification-client.js';
import {
  GO_AWAY,
  startVerificationServer,
  WELCOME,
} from '../../../examples/s12-verification-server.js';
import { fromFdDemo, showLookups } from '../../../examples/s14-module-functions.js';
import { HostNotFoundError } from '../../../src/errors.js';
import { Listener } from '../../../src/socket/index.js';

/** The repository root: examples are run from there, as the README says. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs an example file to completion; resolves to its exit code and output. */
async function runExample(
  file: string,
  args: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', `examples/${file}`, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Waits for the first stdout line of a long-running example. */
async function firstLine(child: ChildProcess): Promise<string> {
  assert.ok(child.stdout);
  const lines = createInterface({ input: child.stdout });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  return line;
}

test('S10: a non-blocking connect reports "in progress", then succeeds', async (t) => {
  const listener = await Listener.bind({ host: '127.0.0.1', port: 0 });
  t.after(() => listener.close());
  const { port } = listener.address as { port: number };
  const lines: string[] = [];
  const peer = await nonBlockingConnect({ host: '127.0.0.1', port }, (l) => lines.push(l));
  assert.equal(peer, `127.0.0.1:${port}`);
  assert.deepEqual(lines, [
    'Connection attempt is in progress...',
    `Connection successful! (peer 127.0.0.1:${port})`,
  ]);
});

test('S10: a non-blocking connect to a closed port reports the failure', async () => {
  const listener = await Listener.bind({ host: '127.0.0.1', port: 0 });
  const { port } = listener.address as { port: number };
  await listener.close(); // nothing listens there any more
  const lines: string[] = [];
  assert.equal(await nonBlockingConnect({ host: '127.0.0.1', port }, (l) => lines.push(l)), null);
  assert.match(lines.at(-1) ?? '', /^Connection failed\. \(connection refused/);
});

test('S10: connecting to a server whose listen queue is full times out', async () => {
  const lines: string[] = [];
  const connected = await timeoutDemo(0.3, (l) => lines.push(l));
  // Normally one or two connections land in the queue first (the kernel completes their
  // handshakes); on a starved machine even those may miss 0.3 s, so only the end is certain.
  assert.equal(lines.length, connected + 1);
  for (const line of lines.slice(0, -1)) assert.equal(line, 'Connection successful!');
  assert.match(lines.at(-1) ?? '', /^Connection timed out\. \(connect timed out after 0\.3 s/);
});

test('S10: connectWithTimeout returns the socket when the server answers', async (t) => {
  const listener = await Listener.bind({ host: '127.0.0.1', port: 0 });
  t.after(() => listener.close());
  const { port } = listener.address as { port: number };
  const sock = await connectWithTimeout({ host: '127.0.0.1', port }, 5, () => {});
  assert.ok(sock);
  await sock.close();
});

test('S11: the local host IP is an IPv4 address', async () => {
  try {
    assert.equal(isIP(await localIp()), 4);
  } catch (err) {
    assert.ok(err instanceof HostNotFoundError, String(err)); // a host whose name does not resolve
  }
});

test('S12: "1" is welcome, anything else is sent away, clients are served independently', async (t) => {
  const log: string[] = [];
  const server = await startVerificationServer({ port: 0, timeout: 10, log: (l) => log.push(l) });
  t.after(() => server.close());
  const address = server.address;
  assert.equal(await askServer(address, { delay: 0 }), WELCOME);
  assert.equal(await askServer(address, { delay: 0, word: '1\n' }), WELCOME);
  assert.equal(await askServer(address, { delay: 0, word: 'let me in' }), GO_AWAY);
  // A client that dawdles does not hold up a quick one (the seed served one at a time).
  const [slow, quick] = await Promise.all([
    askServer(address, { delay: 0.5, word: 'x' }),
    askServer(address, { delay: 0 }),
  ]);
  assert.equal(slow, GO_AWAY);
  assert.equal(quick, WELCOME);
  assert.equal(log.length, 5, log.join('\n'));
});

test('S12: the server drops a client that waits longer than its timeout', async (t) => {
  const log: string[] = [];
  const server = await startVerificationServer({ port: 0, timeout: 0.3, log: (l) => log.push(l) });
  t.after(() => server.close());
  // Server and client share this event loop: the server's 0.3 s timer always expires
  // before the client's 1 s sleep, however loaded the machine.
  assert.equal(await askServer(server.address, { delay: 1 }), null);
  assert.ok(
    log.some((l) => /time out$/.test(l)),
    log.join('\n'),
  );
});

test('S14: the module functions answer for local names', async () => {
  const lines: string[] = [];
  await showLookups((l) => lines.push(l));
  const text = lines.join('\n');
  assert.match(text, /gethostbyname\('localhost'\) += 127\.0\.0\.1/);
  assert.match(text, /gethostbyaddr\('127\.0\.0\.1'\) += \{"hostname":"localhost/);
  assert.match(text, /getservbyname\('telnet', 'tcp'\) = 23/);
  assert.match(text, /getservbyname\('ftp', 'tcp'\) += 21/);
});

test('S14: Socket.fromFd serves a connection inherited by a child process', async () => {
  assert.match(
    await fromFdDemo(),
    /^hello 127\.0\.0\.1:\d+, from process \d+ through Socket\.fromFd\(3\)$/,
  );
});

test('every example runs as a program', async (t) => {
  await t.test('s11-local-ip.ts', async () => {
    const r = await runExample('s11-local-ip.ts');
    assert.ok(r.code === 0 || /could not be resolved/.test(r.stderr), r.stderr);
    if (r.code === 0) assert.match(r.stdout, /^Local host IP: \d+\.\d+\.\d+\.\d+\n$/);
  });
  await t.test('s14-module-functions.ts', async () => {
    const r = await runExample('s14-module-functions.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /getfqdn\(\) +=/);
    assert.match(r.stdout, /Socket\.fromFd\(3\) in a child +→ hello 127\.0\.0\.1:/);
  });
  await t.test('s10-nonblocking-connect.ts', async () => {
    const r = await runExample('s10-nonblocking-connect.ts', ['--timeout', '0.3']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Connection attempt is in progress\.\.\.\nConnection successful!/);
    assert.match(r.stdout, /Connection timed out\./);
  });
  await t.test('s12-verification-server.ts + s12-verification-client.ts', async () => {
    const server = spawn(
      process.execPath,
      ['--import', 'tsx', 'examples/s12-verification-server.ts', '--port', '0', '--timeout', '30'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
    );
    const exited = once(server, 'exit');
    try {
      const line = await firstLine(server);
      const port = /^listening on 127\.0\.0\.1:(\d+)$/.exec(line)?.[1];
      assert.ok(port, line);
      const r = await runExample('s12-verification-client.ts', ['--port', port, '--delay', '0']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${WELCOME}\n`);
    } finally {
      server.kill('SIGTERM'); // our own child, by its handle
      await exited;
    }
  });
});
