// The server-based seed examples (S2, S3, S13, S16): their functions in-process, then
// each file run as a user would (`node --import tsx examples/…`), on loopback only.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { echoLines } from '../../../examples/s02-echo-client.js';
import { startEchoServer } from '../../../examples/s02-echo-server.js';
import { fetchWelcome } from '../../../examples/s03-welcome-client.js';
import { startWelcomeServer } from '../../../examples/s03-welcome-server.js';
import { startUpperDatagramServer } from '../../../examples/s16-unix-datagram-server.js';
import { startUpperServer } from '../../../examples/s16-unix-stream-server.js';
import { needs } from '../../helpers/needs.js';

const dir = mkdtempSync(join(tmpdir(), 'sk-examples-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const run = promisify(execFile);

/** Starts an example, waits for its "listening on …" line; returns the child and the line. */
async function startExample(file: string, args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', `examples/${file}`, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let waiting: (() => void) | null = null;
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    waiting?.();
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const deadline = Date.now() + 60_000;
  while (!lines.some((l) => l.startsWith('listening on '))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${file} did not start: ${stderr}`);
    }
    await new Promise<void>((resolve) => {
      waiting = resolve;
      setTimeout(resolve, 200);
    });
  }
  const listening = lines.find((l) => l.startsWith('listening on '))!;
  const port = Number(/:(\d+)/.exec(listening)?.[1] ?? Number.NaN);
  return { child, lines, port, exited, stderr: () => stderr };
}

/** Reads everything a TCP server sends until it closes. */
function slurp(port: number, send?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port }, () => {
      if (send !== undefined) sock.write(send);
    });
    let got = '';
    sock.on('data', (d) => {
      got += d.toString();
    });
    sock.on('end', () => {
      sock.end();
      resolve(got);
    });
    sock.on('error', reject);
  });
}

test('S2: echo server, concurrent and serial, with the example client', async () => {
  for (const serial of [false, true]) {
    const server = await startEchoServer({ port: 0, serial });
    try {
      const { port } = server.address as { port: number };
      const printed: string[] = [];
      await Promise.all([
        echoLines({ host: '127.0.0.1', port }, ['hello', 'ni hao', '', 'never sent'], (l) =>
          printed.push(l),
        ),
        echoLines({ host: '127.0.0.1', port }, ['second client'], (l) => printed.push(l)),
      ]);
      assert.deepEqual(printed.sort(), [
        'received: hello',
        'received: ni hao',
        'received: second client',
      ]);
    } finally {
      await server.shutdown();
    }
  }
});

test('S2: the echo server file runs, serves telnet-style clients and stops on SIGTERM', async (t) => {
  const ex = await startExample('s02-echo-server.ts', ['--port', '0', '--serial']);
  t.after(() => ex.child.kill('SIGKILL'));
  assert.match(ex.lines[0]!, /^listening on 127\.0\.0\.1:\d+ \(serial\)$/);
  const sock = net.connect({ host: '127.0.0.1', port: ex.port });
  sock.end('typed in telnet\r\n');
  const chunks: Buffer[] = [];
  for await (const c of sock) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'typed in telnet\r\n');
  ex.child.kill('SIGTERM');
  assert.equal(await ex.exited, 0, ex.stderr());
});

test('S3: welcome server and client', async () => {
  const server = await startWelcomeServer({ port: 0, message: 'welcome to server!' });
  try {
    const { port } = server.address as { port: number };
    assert.equal(await fetchWelcome({ host: '127.0.0.1', port }), 'welcome to server!\r\n');
  } finally {
    await server.shutdown();
  }
  const ex = await startExample('s03-welcome-server.ts', ['--port', '0']);
  try {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'examples/s03-welcome-client.ts', '--port', String(ex.port)],
      { timeout: 60_000 },
    );
    assert.equal(stdout, 'welcome to JinCheng!\r\n');
  } finally {
    ex.child.kill('SIGTERM');
    assert.equal(await ex.exited, 0);
  }
});

for (const args of [
  ['--mode', 'serial'],
  ['--mode', 'concurrent'],
  ['--processes', '2'],
]) {
  test(`S13: socketserver TCPServer + StreamRequestHandler (${args.join(' ')})`, async (t) => {
    const ex = await startExample('s13-socketserver.ts', ['--port', '0', ...args]);
    t.after(() => ex.child.kill('SIGKILL'));
    const replies = await Promise.all([1, 2, 3].map(() => slurp(ex.port)));
    assert.deepEqual(replies, Array(3).fill('Thank you for connecting'));
    for (
      let i = 0;
      i < 500 && ex.lines.filter((l) => l.startsWith('Got connection')).length < 3;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(ex.lines.filter((l) => l.startsWith('Got connection from 127.0.0.1:')).length, 3);
    ex.child.kill('SIGTERM');
    assert.equal(await ex.exited, 0, ex.stderr());
  });
}

test('S13: --once is handle_request(): one client, then the program ends', async (t) => {
  const ex = await startExample('s13-socketserver.ts', ['--port', '0', '--once']);
  t.after(() => ex.child.kill('SIGKILL'));
  assert.equal(await slurp(ex.port), 'Thank you for connecting');
  assert.equal(await ex.exited, 0, ex.stderr());
});

test('S16: Unix stream server (in-process) and its file run with socat-like clients', async () => {
  const path = join(dir, 'upper.sock');
  const server = await startUpperServer(path);
  try {
    const sock = net.connect({ path });
    sock.end('hello\nunix\n');
    const chunks: Buffer[] = [];
    for await (const c of sock) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'HELLO\nUNIX\n');
  } finally {
    await server.shutdown();
  }
  const filePath = join(dir, 'upper2.sock');
  const ex = await startExample('s16-unix-stream-server.ts', ['--path', filePath]);
  try {
    const sock = net.connect({ path: filePath });
    sock.end('from a file\n');
    const chunks: Buffer[] = [];
    for await (const c of sock) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'FROM A FILE\n');
  } finally {
    ex.child.kill('SIGTERM');
    assert.equal(await ex.exited, 0);
  }
});

test('S16: Unix datagram server with the tutorial-style Python client', async (t) => {
  const why = needs('python3');
  if (why) return t.skip(why);
  const path = join(dir, 'upper.dgram');
  const server = await startUpperDatagramServer(path);
  t.after(() => server.shutdown());
  const script = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[2])
s.settimeout(5)
s.sendto(b'hello', sys.argv[1])
data, addr = s.recvfrom(1024)
print(data.decode(), addr == sys.argv[1])
`;
  const { stdout } = await run('python3', ['-c', script, path, join(dir, 'client.dgram')], {
    timeout: 20_000,
  });
  assert.equal(stdout, 'HELLO True\n');
});
