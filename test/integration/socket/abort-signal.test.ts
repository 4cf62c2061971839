// `{ signal }` on every waiting operation, over real loopback sockets: one rule (reject
// with `signal.reason`, as socketkit/resolve does), an aborted read takes nothing, an
// already-aborted signal rejects before doing anything, and the 'abort' listener exists
// only while an operation waits (one long-lived signal serves any number of them).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { getEventListeners, once } from 'node:events';
import * as net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidArgumentError, InvalidStateError, SocketClosedError } from '../../../src/errors.js';
import { LineCodec } from '../../../src/framing/index.js';
import {
  DatagramSocket,
  Socket,
  UnixDatagramSocket,
  unixDatagramAvailable,
} from '../../../src/socket/index.js';
import type { PeerAddress } from '../../../src/server/index.js';
import { needs } from '../../helpers/needs.js';
import { listen, neverAcceptingPort, pair, portOf, tmpDir } from './_helpers.js';

/** How many 'abort' listeners `signal` holds now. */
const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

/** A TCP server's bound address, as `connect` takes it. */
function tcpAddressOf(address: PeerAddress): { host: string; port: number } {
  assert.ok(address.family !== 'unix');
  return { host: address.address, port: address.port };
}

/** True for what a default `controller.abort()` rejects with. */
function isAbortError(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

test('an aborted recv rejects with the signal reason and takes nothing: the next recv gets the bytes', async (t) => {
  const [client, server] = await pair(t);
  const ac = new AbortController();
  const read = server.recv(10, { signal: ac.signal });
  assert.equal(listeners(ac.signal), 1, 'listening while the read waits');
  ac.abort();
  await assert.rejects(read, isAbortError);
  assert.equal(listeners(ac.signal), 0);
  await client.sendAll('kept');
  assert.equal((await server.recv(10)).toString(), 'kept');
});

test('the reason given to abort() is what the operation rejects with', async (t) => {
  const [, server] = await pair(t);
  const ac = new AbortController();
  const reason = new Error('user pressed stop');
  const read = server.recvExactly(4, { signal: ac.signal });
  ac.abort(reason);
  await assert.rejects(read, (err) => err === reason);
});

test('recvExactly and recvUntil aborted half-way keep the bytes they saw', async (t) => {
  const [client, server] = await pair(t);
  const ac = new AbortController();
  await client.sendAll('abc');
  const exactly = server.recvExactly(6, { signal: ac.signal });
  const until = server.recvUntil('\n', { signal: ac.signal });
  // Both wait: 3 bytes are queued, neither can complete.
  while (server.receivedAmount < 3) await new Promise((r) => setImmediate(r));
  ac.abort();
  await assert.rejects(exactly, isAbortError);
  await assert.rejects(until, isAbortError);
  await client.sendAll('def\n');
  assert.equal((await server.recvUntil('\n')).toString(), 'abcdef');
});

test('a read queued behind an aborted one completes in order', async (t) => {
  const [client, server] = await pair(t);
  const ac = new AbortController();
  const first = server.recvExactly(10, { signal: ac.signal });
  const second = server.recv(2);
  ac.abort();
  await assert.rejects(first, isAbortError);
  await client.sendAll('hi');
  assert.equal((await second).toString(), 'hi');
});

test('an already-aborted signal rejects at once, even with bytes queued, and consumes none', async (t) => {
  const [client, server] = await pair(t);
  await client.sendAll('queued');
  assert.equal((await server.recv(1)).toString(), 'q');
  const signal = AbortSignal.abort();
  await assert.rejects(server.recv(10, { signal }), isAbortError);
  await assert.rejects(server.recvExactly(1, { signal }), isAbortError);
  await assert.rejects(server.recvUntil('d', { signal }), isAbortError);
  await assert.rejects(server.frames(new LineCodec(), { signal }).next(), isAbortError);
  await assert.rejects(server.chunks({ signal }).next(), isAbortError);
  await assert.rejects(client.send('x', { signal }), isAbortError);
  await assert.rejects(client.sendAll('x', { signal }), isAbortError);
  await assert.rejects(client.sendFrame(new LineCodec(), 'x', { signal }), isAbortError);
  await assert.rejects(client.shutdown('write', { signal }), isAbortError);
  await assert.rejects(server.shutdown('both', { signal }), isAbortError); // nor the read side
  assert.equal(listeners(signal), 0);
  // Nothing above was sent or read.
  await client.sendAll('!');
  assert.equal((await server.recvExactly(6)).toString(), 'ueued!');
});

test('frames() and chunks() iteration end with the abort; the rest of the stream stays readable', async (t) => {
  const [client, server] = await pair(t);
  const ac = new AbortController();
  await client.sendAll('one\ntw');
  const frames = server.frames(new LineCodec(), { signal: ac.signal });
  assert.deepEqual(await frames.next(), { value: 'one', done: false });
  const next = frames.next();
  ac.abort();
  await assert.rejects(next, isAbortError);
  await client.sendAll('o\n');
  assert.equal((await server.recvUntil('\n')).toString(), 'two');
});

test('sendAll aborted while waiting for drain: the data stays written, the socket usable', async (t) => {
  // The peer does not read yet (a Socket starts reading at its first recv): buffers fill.
  const [client, server] = await pair(t);
  const ac = new AbortController();
  // More than loopback's socket buffers can take (they grow to a few MiB each side).
  const big = Buffer.alloc(64 * 1024 * 1024, 0x61);
  const sending = client.sendAll(big, { signal: ac.signal });
  for (let i = 0; i < 1000 && listeners(ac.signal) === 0; i++) {
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(listeners(ac.signal), 1, 'waiting for drain');
  ac.abort();
  await assert.rejects(sending, isAbortError);
  assert.equal(listeners(ac.signal), 0);
  // The bytes were written: the peer reads all of them, then what follows.
  const reading = server.recvExactly(big.length + 3);
  await client.sendAll('end');
  const got = await reading;
  assert.equal(got.subarray(-3).toString(), 'end');
  assert.equal(got.length, big.length + 3);
});

test('connect aborted while the handshake hangs rejects with the reason; the attempt is destroyed', async (t) => {
  const { port, fill } = await neverAcceptingPort(t);
  await fill();
  const ac = new AbortController();
  const sock = new Socket();
  t.after(() => sock.destroy());
  const connecting = sock.connect({ host: '127.0.0.1', port }, { signal: ac.signal });
  ac.abort();
  await assert.rejects(connecting, isAbortError);
  assert.equal(listeners(ac.signal), 0);
  assert.equal(sock.connecting, false);
  // createConnection and connectEx: the abort rejects (it is no errno).
  await assert.rejects(
    Socket.createConnection({ host: '127.0.0.1', port }, { signal: AbortSignal.abort() }),
    isAbortError,
  );
  await assert.rejects(
    new Socket().connectEx({ host: '127.0.0.1', port }, { signal: AbortSignal.abort() }),
    isAbortError,
  );
});

test('accept aborted: the next connection goes to the next accept', async (t) => {
  const listener = await listen(t);
  const ac = new AbortController();
  const waiting = listener.accept({ signal: ac.signal });
  ac.abort();
  await assert.rejects(waiting, isAbortError);
  assert.equal(listeners(ac.signal), 0);
  await assert.rejects(listener.accept({ signal: AbortSignal.abort() }), isAbortError);
  const client = await Socket.createConnection({ host: '127.0.0.1', port: portOf(listener) });
  t.after(() => client.destroy());
  const { socket } = await listener.accept();
  t.after(() => socket.destroy());
  await client.sendAll('hi');
  assert.equal((await socket.recv(2)).toString(), 'hi');
});

test('UDP recvFrom aborted takes no datagram; connect and sendTo honour an aborted signal', async (t) => {
  const a = new DatagramSocket();
  const b = new DatagramSocket();
  t.after(() => Promise.all([a.close(), b.close()]));
  await a.bind({ host: '127.0.0.1', port: 0 });
  await b.bind({ host: '127.0.0.1', port: 0 });
  const to = a.getSockName() as { address: string; port: number };
  const ac = new AbortController();
  const waiting = a.recvFrom(100, { signal: ac.signal });
  assert.equal(listeners(ac.signal), 1);
  ac.abort();
  await assert.rejects(waiting, isAbortError);
  assert.equal(listeners(ac.signal), 0);
  const signal = AbortSignal.abort();
  await assert.rejects(
    b.sendTo('never', { host: to.address, port: to.port }, { signal }),
    isAbortError,
  );
  await assert.rejects(b.connect({ host: to.address, port: to.port }, { signal }), isAbortError);
  await b.sendTo('one', { host: to.address, port: to.port });
  assert.equal((await a.recv(100)).toString(), 'one', 'the aborted sendTo sent nothing');
});

test(
  'Unix datagram recvFrom aborted takes no datagram',
  { skip: !unixDatagramAvailable() },
  async (t) => {
    const dir = tmpDir(t);
    const a = new UnixDatagramSocket();
    const b = new UnixDatagramSocket();
    t.after(() => Promise.all([a.close(), b.close()]));
    const path = join(dir, 'a.sock');
    await a.bind({ path });
    const ac = new AbortController();
    const waiting = a.recvFrom(100, { signal: ac.signal });
    ac.abort();
    await assert.rejects(waiting, isAbortError);
    assert.equal(listeners(ac.signal), 0);
    await assert.rejects(b.sendTo('x', { path }, { signal: AbortSignal.abort() }), isAbortError);
    await b.sendTo('kept', { path });
    assert.equal((await a.recv(100)).toString(), 'kept');
  },
);

test('one long-lived signal over many operations: no listener left, no MaxListenersExceededWarning', async (t) => {
  const [client, server] = await pair(t);
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w);
  };
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const ac = new AbortController();
  const { signal } = ac;
  // More than the default limit of 10 listeners, on operations that all wait.
  for (let i = 0; i < 50; i++) {
    const read = server.recvExactly(2, { signal });
    await client.sendAll('ok', { signal });
    assert.equal((await read).toString(), 'ok');
    assert.equal(listeners(signal), 0, `after round ${i}`);
  }
  // Several waiting at once (each holds its listener while it waits, as Node's own APIs
  // do: past 10 at once Node warns, as for them), all settled by data: every listener goes.
  const reads = Array.from({ length: 8 }, () => server.recv(1, { signal }));
  assert.equal(listeners(signal), 8);
  await client.sendAll(Buffer.alloc(8, 0x62));
  await Promise.all(reads);
  assert.equal(listeners(signal), 0);
  // Settled by a timeout, and by a close: the listener goes too.
  server.setOperationTimeout(0.01);
  await assert.rejects(server.recv(1, { signal }));
  server.setOperationTimeout(null);
  const pending = server.recv(1, { signal });
  server.destroy();
  await assert.rejects(pending);
  assert.equal(listeners(signal), 0);
  // A warning is emitted on the next tick: give it one.
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    warnings.filter((w) => w.name === 'MaxListenersExceededWarning'),
    [],
  );
});

test('without a signal nothing listens, and a non-signal is refused', async (t) => {
  const [, server] = await pair(t);
  assert.throws(
    () => server.recv(1, { signal: 'stop' as unknown as AbortSignal }),
    InvalidArgumentError,
  );
});

test('a recv after onData() took the connection rejects at once with InvalidStateError', async (t) => {
  const [client, server] = await pair(t);
  await client.sendAll('a');
  assert.equal((await server.recv(1)).toString(), 'a');
  const waiting = server.recv(1); // waits: nothing queued
  const got: Buffer[] = [];
  void server.onData((chunk) => got.push(chunk)).catch(() => {});
  await assert.rejects(waiting, (err: unknown) => {
    assert.ok(err instanceof InvalidStateError);
    assert.equal(err.code, 'ERR_INVALID_STATE');
    return true;
  });
  await assert.rejects(server.recv(1), InvalidStateError);
  await assert.rejects(server.recvExactly(1), InvalidStateError);
  await assert.rejects(server.recvUntil('\n'), InvalidStateError);
  await assert.rejects(server.frames(new LineCodec()).next(), InvalidStateError);
  // The consumer has the bytes.
  await client.sendAll('b');
  while (got.length === 0) await new Promise((r) => setImmediate(r));
  assert.equal(Buffer.concat(got).toString(), 'b');
});

test('a recv on a socket that went to push mode before any read is refused too', async (t) => {
  const [, server] = await pair(t);
  void server.onData(() => {}).catch(() => {});
  await assert.rejects(server.recv(1), InvalidStateError);
  // A raw net.Socket shows the flow is still the consumer's.
  assert.ok(server.raw instanceof net.Socket);
});

test(
  'Unix datagram sendTo aborted while the receiver is full rejects with the reason; the socket stays open',
  { skip: !unixDatagramAvailable() || needs('python3') },
  async (t) => {
    const dir = tmpDir(t);
    // A receiver that never reads: a python3 process that binds and sleeps (killed by PID).
    const full = join(dir, 'full.sock');
    const py = spawn(
      'python3',
      [
        '-c',
        'import socket,sys,time\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("ready",flush=True)\ntime.sleep(30)',
        full,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    t.after(() => {
      py.kill('SIGKILL');
    });
    await once(py.stdout, 'data');
    const a = new UnixDatagramSocket();
    t.after(() => a.close());
    const big = Buffer.alloc(16 * 1024, 1);
    const ac = new AbortController();
    // Fill the receiver; the send that finds no room waits (no timeout) until the abort.
    let waiting: Promise<number> | null = null;
    for (let i = 0; i < 10_000 && waiting === null; i++) {
      const sending = a.sendTo(big, { path: full }, { signal: ac.signal });
      const settledAtOnce = await Promise.race([
        sending.then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 20)),
      ]);
      if (!settledAtOnce) waiting = sending;
    }
    assert.ok(waiting !== null, 'the receiver filled up');
    ac.abort();
    await assert.rejects(waiting, isAbortError);
    assert.equal(listeners(ac.signal), 0);
    // The socket is not closed by an abort (its send buffer stays full of datagrams the
    // receiver holds: the kernel charges them to the sender, so later sends wait for room).
    assert.equal(a.closed, false);
  },
);

test('destroy() on a listener and on datagram sockets rejects their waits at once', async (t) => {
  const listener = await listen(t);
  const accepting = listener.accept();
  listener.destroy();
  assert.equal(listener.closed, true);
  await assert.rejects(accepting, SocketClosedError);
  const udp = new DatagramSocket();
  await udp.bind({ host: '127.0.0.1', port: 0 });
  const receiving = udp.recvFrom(10);
  udp.destroy();
  assert.equal(udp.closed, true);
  await assert.rejects(receiving, SocketClosedError);
  await udp.close(); // idempotent
  if (unixDatagramAvailable()) {
    const unix = new UnixDatagramSocket();
    await unix.bind({ path: join(tmpDir(t), 'd.sock') });
    const r = unix.recvFrom(10);
    unix.destroy();
    await assert.rejects(r, SocketClosedError);
  }
});

test('listener.connections({ signal }) ends with the abort; the next connection goes to the next accept', async (t) => {
  const listener = await listen(t);
  const ac = new AbortController();
  const client = await Socket.createConnection({ host: '127.0.0.1', port: portOf(listener) });
  t.after(() => client.destroy());
  const seen: Socket[] = [];
  const looping = (async () => {
    for await (const { socket } of listener.connections({ signal: ac.signal })) {
      seen.push(socket);
      t.after(() => socket.destroy());
      ac.abort(); // after the first: the loop's next accept rejects
    }
  })();
  await assert.rejects(looping, isAbortError);
  assert.equal(seen.length, 1);
  assert.equal(listeners(ac.signal), 0);
  const second = await Socket.createConnection({ host: '127.0.0.1', port: portOf(listener) });
  t.after(() => second.destroy());
  const { socket } = await listener.accept();
  t.after(() => socket.destroy());
  await second.sendAll('next');
  assert.equal((await socket.recvExactly(4)).toString(), 'next');
});

test('UDP datagrams({ signal, maxBytes }) yields what arrives, cut to maxBytes, until the abort', async (t) => {
  const a = new DatagramSocket();
  const b = new DatagramSocket();
  t.after(() => Promise.all([a.close(), b.close()]));
  await a.bind({ host: '127.0.0.1', port: 0 });
  const to = a.getSockName() as { address: string; port: number };
  const ac = new AbortController();
  await b.sendTo('first', { host: to.address, port: to.port });
  await b.sendTo('second', { host: to.address, port: to.port });
  const got: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const d of a.datagrams({ signal: ac.signal, maxBytes: 3 })) {
        got.push(`${d.data.toString()}${d.truncated ? '…' : ''}`);
        if (got.length === 2) ac.abort();
      }
    })(),
    isAbortError,
  );
  assert.deepEqual(got, ['fir…', 'sec…']);
  assert.equal(listeners(ac.signal), 0);
  await b.sendTo('kept', { host: to.address, port: to.port });
  for await (const d of a) {
    assert.equal(d.data.toString(), 'kept', 'iterating the socket is datagrams() with no signal');
    break;
  }
});

test(
  'Unix datagram datagrams({ signal }) ends with the abort',
  { skip: !unixDatagramAvailable() },
  async (t) => {
    const dir = tmpDir(t);
    const a = new UnixDatagramSocket();
    const b = new UnixDatagramSocket();
    t.after(() => Promise.all([a.close(), b.close()]));
    const path = join(dir, 'it.sock');
    await a.bind({ path });
    await b.sendTo('one', { path });
    const ac = new AbortController();
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const d of a.datagrams({ signal: ac.signal })) {
          got.push(d.data.toString());
          ac.abort();
        }
      })(),
      isAbortError,
    );
    assert.deepEqual(got, ['one']);
  },
);

test('close({ wait, signal }) aborted while the peer keeps its side open: a reset, and the reason', async (t) => {
  const [client, server] = await pair(t);
  const ac = new AbortController();
  const closing = client.close({ wait: true, signal: ac.signal });
  // Our FIN reaches the peer (its read ends) while our close waits for the peer's.
  assert.equal((await server.recv(10)).length, 0);
  const reason = new Error('stop waiting');
  ac.abort(reason);
  await assert.rejects(closing, (err) => err === reason);
  assert.equal(listeners(ac.signal), 0);
  assert.equal(client.raw.destroyed, true, 'the connection was reset, not left lingering');
  await assert.rejects(client.close({ signal: AbortSignal.abort() }), isAbortError);
});

test('serveForever({ signal }): the abort shuts the server down and rejects once it is closed', async () => {
  const { TcpServer } = await import('../../../src/server/index.js');
  const server = await new TcpServer({
    port: 0,
    host: '127.0.0.1',
    handler: async (conn) => {
      for await (const chunk of conn) await conn.sendAll(chunk);
    },
  }).listen();
  const ac = new AbortController();
  const serving = server.serveForever({ signal: ac.signal });
  const client = await Socket.createConnection(tcpAddressOf(server.address));
  await client.sendAll('ping');
  assert.equal((await client.recvExactly(4)).toString(), 'ping');
  ac.abort();
  // The handler still waits on this client: the drain lets it finish when it leaves.
  await client.close();
  await assert.rejects(serving, isAbortError);
  assert.equal(server.closed, true, 'closed before serveForever settled');
  assert.equal(listeners(ac.signal), 0);
});

test('handleRequest({ signal }) aborted while waiting: the next request is kept for the next call', async () => {
  const { TcpServer } = await import('../../../src/server/index.js');
  const served: string[] = [];
  const server = await new TcpServer({
    port: 0,
    host: '127.0.0.1',
    handler: async (conn) => {
      served.push((await conn.recvExactly(3)).toString());
      await conn.sendAll('ok');
    },
  }).listen();
  try {
    const ac = new AbortController();
    const waiting = server.handleRequest({ signal: ac.signal });
    ac.abort();
    await assert.rejects(waiting, isAbortError);
    await assert.rejects(server.handleRequest({ signal: AbortSignal.abort() }), isAbortError);
    const client = await Socket.createConnection(tcpAddressOf(server.address));
    await client.sendAll('abc');
    const handled = server.handleRequest();
    assert.equal((await client.recvExactly(2)).toString(), 'ok');
    await client.close();
    await handled;
    assert.deepEqual(served, ['abc']);
  } finally {
    await server.destroy();
  }
});
