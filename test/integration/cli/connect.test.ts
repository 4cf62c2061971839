/**
 * `socketkit connect` against real `ncat -l` listeners (and Node servers where a
 * scripted peer is needed), side by side with `ncat` as the client where both can run.
 * Loopback only; every process is killed after its test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import {
  exitOf,
  freePort,
  type Proc,
  run,
  selfSignedCert,
  startCli,
  tempDir,
  within,
} from '../../helpers/netcat.js';
import { needs } from '../../helpers/needs.js';

const skip = needs('ncat');

/** Starts `ncat -l` with `args` (before the port) and waits until it listens. */
async function ncatListen(
  t: import('node:test').TestContext,
  args: string[],
  input: string /* or 'open' */ = '',
): Promise<{ proc: Proc; port: number }> {
  const port = await freePort(args.includes('-u'));
  const proc = run(
    t,
    'ncat',
    ['-v', '-l', ...args, '127.0.0.1', String(port)],
    input === '' ? Buffer.alloc(0) : input,
  );
  await proc.stderr.waitFor(/Listening on/);
  return { proc, port };
}

/** A TCP server running `onConnection`, closed after the test. */
async function nodeServer(
  t: import('node:test').TestContext,
  onConnection: (s: net.Socket) => void,
): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onConnection(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as net.AddressInfo).port;
}

test('TCP: both directions at once with ncat -l, exit 0', { skip }, async (t) => {
  const { proc, port } = await ncatListen(t, [], 'from ncat\n');
  const r = await runCli(['connect', '127.0.0.1', String(port)], { stdin: 'from socketkit\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'from ncat\n');
  assert.equal(await exitOf(proc), 0);
  assert.equal(proc.stdout.text, 'from socketkit\n');
});

test('stdin EOF half-closes; the reply that comes after is still printed', async (t) => {
  // ncat -l closes at the client's EOF, so a Node server plays the slow peer here.
  const port = await nodeServer(t, (s) => {
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
    });
    s.on('end', () => setTimeout(() => s.end(`answer after your EOF to ${got}`), 100));
  });
  const r = await runCli(['connect', '127.0.0.1', String(port)], { stdin: 'question\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'answer after your EOF to question\n');
});

test('-C sends CRLF line endings, the same bytes as ncat -C', { skip }, async (t) => {
  const ours = await ncatListen(t, []);
  assert.equal(
    (await runCli(['connect', '-C', '127.0.0.1', String(ours.port)], { stdin: 'a\nb\r\nc' })).code,
    0,
  );
  await exitOf(ours.proc);
  const theirs = await ncatListen(t, []);
  const nc = run(t, 'ncat', ['-C', '127.0.0.1', String(theirs.port)], 'a\nb\r\nc');
  assert.equal(await exitOf(nc), 0);
  await exitOf(theirs.proc);
  assert.deepEqual(ours.proc.stdout.bytes, Buffer.from('a\r\nb\r\nc'));
  assert.deepEqual(ours.proc.stdout.bytes, theirs.proc.stdout.bytes);
});

test('--send: the HTTP GET by hand of seed S1 prints the whole reply', async (t) => {
  const server = http.createServer((req, res) => {
    res.setHeader('Connection', 'close');
    res.end(`hello ${req.method} ${req.url}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as net.AddressInfo;
  const r = await runCli([
    'connect',
    '127.0.0.1',
    String(port),
    '--send',
    'GET /index.html HTTP/1.0\\r\\n\\r\\n',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(r.stdout, /\r\n\r\nhello GET \/index\.html\n$/);
});

test('--send ends on the -i timeout when the peer never closes, exit 0', async (t) => {
  const port = await nodeServer(t, (s) => s.pipe(s));
  const r = await runCli([
    'connect',
    '127.0.0.1',
    String(port),
    '--no-shutdown',
    '-i',
    '300ms',
    '--send',
    'ping\\n',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'ping\n');
});

test('refused: exit 1 and a clear message, like ncat', { skip }, async () => {
  const port = await freePort();
  const r = await runCli(['connect', '127.0.0.1', String(port)]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(
      `socketkit: connection refused by 127\\.0\\.0\\.1:${port}: nothing is listening there`,
    ),
  );
  const nc = spawn('ncat', ['127.0.0.1', String(port)], { stdio: 'ignore' });
  const [code] = (await once(nc, 'exit')) as [number | null];
  assert.equal(code, 1, 'ncat agrees');
});

test(
  '-w: a connect that hangs times out with exit 1, like ncat -w',
  {
    skip: needs('ncat', 'python3'),
  },
  async (t) => {
    // A listener whose accept queue is full drops further SYNs: the connect hangs (loopback only).
    const py = run(t, 'python3', [
      '-c',
      [
        'import socket, time',
        's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
        'fill = []',
        'for i in range(4):',
        '    c = socket.socket(); c.setblocking(False)',
        '    try: c.connect(s.getsockname())',
        '    except BlockingIOError: pass',
        '    fill.append(c)',
        'print(s.getsockname()[1], flush=True)',
        'time.sleep(60)',
      ].join('\n'),
    ]);
    const port = (await py.stdout.waitFor(/(\d+)\n/))[1]!;
    const r = await runCli(['connect', '-w', '500ms', '127.0.0.1', port]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /connect timed out after 0\.5 s \(127\.0\.0\.1:\d+\) \[ERR_SOCKET_TIMEOUT\]/,
    );
    const nc = run(t, 'ncat', ['-w', '500ms', '127.0.0.1', port]);
    assert.equal(await exitOf(nc), 1, 'ncat agrees');
  },
);

test('-i: an idle connection ends with exit 1, like ncat -i', { skip }, async (t) => {
  const { port } = await ncatListen(t, ['-k'], 'open');
  const cli = startCli(t, ['connect', '-i', '300ms', '127.0.0.1', String(port)]); // stdin left open
  assert.equal(await within(cli.done, 'idle timeout'), 1);
  assert.match(cli.stderr.text, /idle timeout expired \(300 ms without traffic\)/);
});

test('--recv-only never sends; --send-only prints nothing', { skip }, async (t) => {
  const a = await ncatListen(t, [], 'for you\n');
  const r = await runCli(['connect', '--recv-only', '127.0.0.1', String(a.port)], {
    stdin: 'must not be sent\n',
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'for you\n');
  await exitOf(a.proc);
  assert.equal(a.proc.stdout.text, '');

  const b = await ncatListen(t, [], 'ignored\n');
  const s = await runCli(['connect', '--send-only', '127.0.0.1', String(b.port)], {
    stdin: 'only this\n',
  });
  assert.equal(s.code, 0, s.stderr);
  assert.equal(s.stdout, '');
  await exitOf(b.proc);
  assert.equal(b.proc.stdout.text, 'only this\n');
});

test('--no-shutdown keeps the write side open after stdin EOF', async (t) => {
  let sawEof = false;
  const port = await nodeServer(t, (s) => {
    s.on('end', () => {
      sawEof = true;
    });
    s.once('data', () => setTimeout(() => s.end(`eof seen: ${sawEof}\n`), 200));
  });
  const r = await runCli(['connect', '--no-shutdown', '127.0.0.1', String(port)], {
    stdin: 'hi\n',
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'eof seen: false\n');
  const plain = await runCli(['connect', '127.0.0.1', String(port)], { stdin: 'hi\n' });
  assert.equal(plain.stdout, 'eof seen: true\n');
});

test('-x - dumps the traffic to stderr in the same format as ncat -x', { skip }, async (t) => {
  const dir = tempDir(t);
  const input = 'hello world, this is a test line\nsecond\n';
  const a = await ncatListen(t, []);
  const ours = await runCli(['connect', '-x', '-', '127.0.0.1', String(a.port)], { stdin: input });
  assert.equal(ours.code, 0);
  const b = await ncatListen(t, []);
  const file = join(dir, 'ncat.hex');
  assert.equal(await exitOf(run(t, 'ncat', ['-x', file, '127.0.0.1', String(b.port)], input)), 0);
  const { readFileSync } = await import('node:fs');
  assert.equal(ours.stderr, readFileSync(file, 'utf8'));
  assert.match(ours.stderr, /^0000 {3}68 65 6c 6c/);
});

test('-x FILE dumps both directions', { skip }, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'dump.hex');
  const { proc, port } = await ncatListen(t, [], 'pong\n');
  assert.equal(
    (await runCli(['connect', '-x', file, '127.0.0.1', String(port)], { stdin: 'ping\n' })).code,
    0,
  );
  await exitOf(proc);
  const { readFileSync } = await import('node:fs');
  const dump = readFileSync(file, 'utf8');
  assert.match(dump, /^0000 {3}70 69 6e 67 0a +ping\. +$/m);
  assert.match(dump, /^0000 {3}70 6f 6e 67 0a +pong\. +$/m);
});

test('UDP: each stdin line is one datagram; replies are printed', { skip }, async (t) => {
  const { proc, port } = await ncatListen(t, ['-u'], 'open');
  const cli = startCli(
    t,
    ['connect', '-u', '-v', '127.0.0.1', String(port)],
    new (await import('node:stream')).PassThrough(),
  );
  cli.stdin.write('one\ntwo\n');
  await proc.stdout.waitFor(/one\ntwo\n/);
  proc.child.stdin?.write('reply from ncat\n');
  await cli.stdout.waitFor(/reply from ncat\n/);
  cli.stdin.end();
  assert.equal(await within(cli.done, 'udp connect exits'), 0);
  assert.match(cli.stderr.text, /socketkit: Connected to 127\.0\.0\.1:\d+\./);
  assert.match(cli.stderr.text, /8 bytes sent, 16 bytes received/);
});

test('UDP: nothing listening → ICMP port unreachable → exit 1 "connection refused"', async () => {
  const port = await freePort(true);
  const r = await runCli(['connect', '-u', '-i', '2', '127.0.0.1', String(port)], {
    stdin: 'anyone?\n',
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /connection refused by 127\.0\.0\.1:\d+/);
});

test('Unix stream socket (-U) with ncat -lU', { skip }, async (t) => {
  const path = join(tempDir(t), 'nc.sock');
  const proc = run(t, 'ncat', ['-v', '-lU', path], 'over unix\n');
  await proc.stderr.waitFor(/Listening on/);
  const r = await runCli(['connect', '-U', path], { stdin: 'hello unix\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'over unix\n');
  await exitOf(proc);
  assert.equal(proc.stdout.text, 'hello unix\n');
  const missing = await runCli(['connect', '-U', join(tempDir(t), 'none.sock')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot connect to .*none\.sock: no such socket file/);
});

test(
  'TLS with ncat --ssl: verified by default (--tls-ca trusts a CA), --tls-insecure warns',
  {
    skip,
  },
  async (t) => {
    const { cert, key } = selfSignedCert(tempDir(t));
    const a = await ncatListen(
      t,
      ['--ssl', '--ssl-cert', cert, '--ssl-key', key],
      'secret reply\n',
    );
    const r = await runCli(['connect', '--tls-insecure', '127.0.0.1', String(a.port)], {
      stdin: 'secret\n',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'secret reply\n');
    assert.match(
      r.stderr,
      /WARNING: --tls-insecure: the certificate of 127\.0\.0\.1 is NOT verified/,
    );
    await exitOf(a.proc);
    assert.equal(a.proc.stdout.text, 'secret\n');

    const b = await ncatListen(t, ['--ssl', '--ssl-cert', cert, '--ssl-key', key], 'verified\n');
    const v = await runCli(
      ['connect', '--tls-verify', '--tls-ca', cert, '127.0.0.1', String(b.port)],
      { stdin: '' },
    );
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout, 'verified\n');

    const c = await ncatListen(t, ['-k', '--ssl', '--ssl-cert', cert, '--ssl-key', key]);
    const bad = await runCli(['connect', '--tls', '127.0.0.1', String(c.port)], {
      stdin: '',
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /self-signed certificate.*pass --tls-ca FILE/);
  },
);

test('usage errors exit 2', async () => {
  assert.equal((await runCli(['connect', '127.0.0.1'])).code, 2);
  assert.equal((await runCli(['connect', '127.0.0.1', '99999'])).code, 2);
  assert.equal((await runCli(['connect', '-w', 'soon', '127.0.0.1', '80'])).code, 2);
  assert.equal(
    (await runCli(['connect', '--send-only', '--recv-only', '127.0.0.1', '80'])).code,
    2,
  );
  assert.equal((await runCli(['connect', '-u', '--tls', '127.0.0.1', '80'])).code, 2);
  assert.equal((await runCli(['connect', '--send', 'bad\\q', '127.0.0.1', '80'])).code, 2);
});

test('Unix datagram socket (-u -U) with ncat -l -uU, replies come back', { skip }, async (t) => {
  const path = join(tempDir(t), 'dgram.sock');
  const proc = run(t, 'ncat', ['-v', '-l', '-uU', path], 'open');
  await proc.stderr.waitFor(/Listening on/);
  const stdin = new (await import('node:stream')).PassThrough();
  const cli = startCli(t, ['connect', '-u', '-U', path], stdin);
  stdin.write('over unix dgram\n');
  await proc.stdout.waitFor(/over unix dgram\n/);
  proc.child.stdin?.write('dgram reply\n');
  await cli.stdout.waitFor(/dgram reply\n/);
  stdin.end();
  assert.equal(await within(cli.done, 'connect exits'), 0, cli.stderr.text);
});

test('--tls-servername is sent as SNI; -6 connects over ::1', async (t) => {
  const tls = await import('node:tls');
  const { readFileSync } = await import('node:fs');
  const { cert, key } = selfSignedCert(tempDir(t));
  let sni: string | undefined;
  const server = tls.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (s) => {
    sni = s.servername || undefined;
    s.end('sni ok\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as net.AddressInfo;
  const r = await runCli(
    ['connect', '-6', '--tls-insecure', '--tls-servername', 'service.test', '::1', String(port)],
    {
      stdin: '',
    },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'sni ok\n');
  assert.equal(sni, 'service.test');
});

test(
  'talks to nc -l (netcat-openbsd) and socat TCP-LISTEN too',
  {
    skip: needs('nc', 'socat'),
  },
  async (t) => {
    const ncPort = await freePort();
    const nc = run(t, 'nc', ['-lv', '127.0.0.1', String(ncPort)], 'from nc\n');
    await nc.stderr.waitFor(/Listening on/);
    const a = await runCli(['connect', '127.0.0.1', String(ncPort)], { stdin: 'to nc\n' });
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, 'from nc\n');
    await exitOf(nc);
    assert.equal(nc.stdout.text, 'to nc\n');

    const soPort = await freePort();
    const so = run(
      t,
      'socat',
      ['-d', '-d', `TCP-LISTEN:${soPort},bind=127.0.0.1`, '-'],
      'from socat\n',
    );
    await so.stderr.waitFor(/listening on/);
    const b = await runCli(['connect', '127.0.0.1', String(soPort)], { stdin: 'to socat\n' });
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout, 'from socat\n');
    await exitOf(so);
    assert.equal(so.stdout.text, 'to socat\n');
  },
);

test('UDP -i: silence while stdin is open is an idle timeout (1); after stdin ended, a normal end (0)', async (t) => {
  const dgram = await import('node:dgram');
  const server = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const port = String(server.address().port);
  const open = startCli(t, ['connect', '-u', '-i', '300ms', '127.0.0.1', port]); // stdin left open
  assert.equal(await within(open.done, 'idle'), 1);
  assert.match(open.stderr.text, /idle timeout expired/);
  const ended = await runCli(['connect', '-u', '-i', '300ms', '127.0.0.1', port], { stdin: 'x\n' });
  assert.equal(ended.code, 0, ended.stderr);
});
