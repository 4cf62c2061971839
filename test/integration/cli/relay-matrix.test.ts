/**
 * `socketkit relay`: half-close both ways and backpressure end to end, for every stream
 * address type on each side: the listening side (tcp-listen, unix-listen, tls-listen)
 * and the connecting side (tcp, unix, tls, exec). relay.test.ts proves each address type
 * against socat; this matrix proves that what relay.test.ts shows for tcp → tcp (a
 * half-closed side still reads, a side that never reads holds the other back) holds
 * whatever carries the bytes. Every wait is on an event, none on a clock.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import tls from 'node:tls';
import { selfSignedCert, startCli, tempDir, within } from '../../helpers/netcat.js';
import { deferred, until, watchChannel } from '../../helpers/wait.js';

interface Tls {
  cert: string;
  key: string;
}

/** A side the relay connects to: a server in the test, of the given kind. */
interface Back {
  kind: 'tcp' | 'unix' | 'tls';
  /** The relay's address for it. */
  address: string;
}

/** A side clients come in through: the relay's listening address and how to dial it. */
type FrontKind = 'tcp-listen' | 'unix-listen' | 'tls-listen';

/** Starts a server of `kind` running `onConnection`; resolves to the relay address for it. */
async function backServer(
  t: TestContext,
  kind: Back['kind'],
  creds: Tls,
  dir: string,
  onConnection: (sock: net.Socket) => void,
): Promise<Back> {
  const server =
    kind === 'tls'
      ? tls.createServer(
          { cert: readFileSync(creds.cert), key: readFileSync(creds.key), allowHalfOpen: true },
          onConnection,
        )
      : net.createServer({ allowHalfOpen: true }, onConnection);
  const path = join(dir, `back-${Math.random().toString(36).slice(2)}.sock`);
  if (kind === 'unix') server.listen(path);
  else server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  if (kind === 'unix') return { kind, address: `unix:${path}` };
  const port = (server.address() as net.AddressInfo).port;
  return { kind, address: kind === 'tls' ? `tls:localhost:${port}` : `tcp:127.0.0.1:${port}` };
}

/** Starts `socketkit relay -v FRONT BACK` in-process; resolves to a function dialling it. */
async function relayFront(
  t: TestContext,
  front: FrontKind,
  back: string,
  creds: Tls,
  dir: string,
): Promise<{ dial: () => Promise<net.Socket>; log: ReturnType<typeof startCli>['stderr'] }> {
  const path = join(dir, `front-${Math.random().toString(36).slice(2)}.sock`);
  const listen =
    front === 'unix-listen'
      ? `unix-listen:${path}`
      : front === 'tls-listen'
        ? 'tls-listen:0'
        : 'tcp-listen:0';
  const cli = startCli(t, [
    'relay',
    '-v',
    // Each TLS flag only where its address is (the relay refuses one that applies to none).
    ...(front === 'tls-listen' ? ['--tls-cert', creds.cert, '--tls-key', creds.key] : []),
    ...(back.startsWith('tls:') ? ['--tls-ca', creds.cert] : []),
    ...(back.startsWith('exec:') ? ['--allow-exec'] : []),
    listen,
    back,
  ]);
  const m = await cli.stderr.waitFor(/listening on (?:\S+:(\d+)|(\/\S+))/);
  const port = Number(m[1]);
  const dial = async (): Promise<net.Socket> => {
    let sock: net.Socket;
    if (front === 'tls-listen') {
      // allowHalfOpen is a net.Socket option tls.connect passes on (its types omit it).
      const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca: readFileSync(creds.cert),
        allowHalfOpen: true,
      };
      sock = tls.connect(options);
      await once(sock, 'secureConnect');
    } else {
      sock =
        front === 'unix-listen'
          ? net.connect({ path, allowHalfOpen: true })
          : net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      await once(sock, 'connect');
    }
    return sock;
  };
  return { dial, log: cli.stderr };
}

/** Collects a socket's bytes until EOF; rejects on an error (a reset). */
function readAll(sock: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.once('end', () => resolve(Buffer.concat(chunks)));
    sock.once('error', reject);
  });
}

const PAIRS: ReadonlyArray<readonly [FrontKind, Back['kind']]> = [
  ['tcp-listen', 'tcp'],
  ['tcp-listen', 'unix'],
  ['tcp-listen', 'tls'],
  ['unix-listen', 'tcp'],
  ['tls-listen', 'tcp'],
  ['tls-listen', 'tls'],
];

for (const [front, back] of PAIRS) {
  test(`${front} → ${back}: half-close both ways`, async (t) => {
    const dir = tempDir(t);
    const creds = selfSignedCert(dir);

    // Client → server: the client sends, shuts down its write side and still reads the
    // server's answer (which the server sends only after the client's EOF).
    const counter = await backServer(t, back, creds, dir, (sock) => {
      let n = 0;
      sock.on('data', (c: Buffer) => (n += c.length));
      sock.on('end', () => sock.end(`got ${n}\n`));
    });
    const a = await relayFront(t, front, counter.address, creds, dir);
    const client = await a.dial();
    const reply = readAll(client);
    client.end(Buffer.alloc(300_000, 0x78));
    assert.equal((await within(reply, 'the count after our EOF')).toString(), 'got 300000\n');
    await a.log.waitFor(/relay #1 done: 300000 bytes →, 11 bytes ←/);

    // Server → client: the server speaks first and half-closes; the client answers after
    // the server's EOF, and the server still reads the answer.
    const answered = deferred<string>();
    const greeter = await backServer(t, back, creds, dir, (sock) => {
      sock.end('hello, then EOF\n');
      void readAll(sock).then((b) => answered.resolve(b.toString()), answered.resolve);
    });
    const b = await relayFront(t, front, greeter.address, creds, dir);
    const second = await b.dial();
    const heard = await within(readAll(second), 'the greeting and EOF');
    assert.equal(heard.toString(), 'hello, then EOF\n');
    second.end('answer after your EOF\n');
    assert.equal(await within(answered.promise, 'the answer'), 'answer after your EOF\n');
    await b.log.waitFor(/relay #1 done: 22 bytes →, 16 bytes ←/);
  });

  test(`${front} → ${back}: a server that never reads holds the client back; nothing is lost`, async (t) => {
    const dir = tempDir(t);
    const creds = selfSignedCert(dir);
    const pauses = watchChannel<{ buffered: number }>(t, 'socketkit:relay:pause');
    const accepted = deferred<net.Socket>();
    const server = await backServer(t, back, creds, dir, (sock) => {
      sock.pause(); // never reads (until the test says so)
      accepted.resolve(sock);
    });
    const r = await relayFront(t, front, server.address, creds, dir);
    const client = await r.dial();
    client.on('error', () => {});
    // More than every socket buffer on the way can hold (loopback's grow to a few MiB).
    const total = 64 * 1024 * 1024;
    const payload = randomBytes(1024 * 1024);
    let written = 0;
    let waiting = false;
    const writerState = new EventEmitter();
    const writer = (async (): Promise<void> => {
      while (written < total) {
        written += payload.length;
        if (!client.write(payload)) {
          waiting = true;
          writerState.emit('state');
          await once(client, 'drain');
          waiting = false;
        }
      }
      client.end();
    })();
    const sock = await within(accepted.promise, 'the relay connects to the server');
    await pauses.waitFor((all) => all.length >= 1);
    for (const p of pauses.messages) {
      assert.ok(p.buffered <= 2 * 1024 * 1024, `relay buffered ${p.buffered} bytes`);
    }
    await until(() => waiting, writerState, 'state', { what: 'the client to wait for drain' });
    assert.ok(written < total, 'the client could not write everything');
    const hash = createHash('sha256');
    let received = 0;
    const ended = new Promise<void>((resolve) => sock.once('end', resolve));
    sock.on('data', (c: Buffer) => {
      received += c.length;
      hash.update(c);
    });
    sock.resume();
    await within(writer, 'the client to finish');
    await within(ended, "the server's EOF");
    assert.equal(received, total);
    const expected = createHash('sha256');
    for (let i = 0; i < total / payload.length; i++) expected.update(payload);
    assert.equal(hash.digest('hex'), expected.digest('hex'));
    sock.end();
    await r.log.waitFor(/relay #1 done/);
  });
}

test('tcp-listen → exec: the child reads to our EOF and still answers (half-close)', async (t) => {
  const dir = tempDir(t);
  const creds = selfSignedCert(dir);
  const r = await relayFront(t, 'tcp-listen', 'exec:wc -c', creds, dir);
  const client = await r.dial();
  const reply = readAll(client);
  client.end(Buffer.alloc(200_000, 0x61));
  assert.equal((await within(reply, "wc's count after our EOF")).toString().trim(), '200000');
  await r.log.waitFor(/relay #1 done: 200000 bytes →/);
});
