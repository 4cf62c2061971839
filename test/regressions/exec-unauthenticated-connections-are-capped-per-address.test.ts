// Issue 10, defect 2: one address could open any number of unauthenticated exec
// connections and keep them for 60 s. Now: at most --max-unauthenticated-per-ip of them
// (and --max-unauthenticated in all, a bounded table), each dropped at --auth-timeout.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { decodeReplyPayload, encodeRequest } from '../../src/services/exec/index.js';
import { request, serveExec } from '../integration/services/exec-harness.js';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
    s.on('error', () => {});
  });
}

/** The error code of the one frame the server sends before it closes. */
async function refusalOf(s: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  await once(s, 'close');
  const got = Buffer.concat(chunks);
  if (got.length < 5) return `nothing (${got.length} bytes)`;
  const frame = decodeReplyPayload(got.subarray(4, 4 + got.readUInt32BE(0)));
  return frame.type === 'error' ? `${frame.error.code}: ${frame.error.message}` : frame.type;
}

/** Resolves on the next `socketkit:exec:preauth` event of this kind. */
function nextPreauth(event: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (msg: unknown): void => {
      if ((msg as { event: string }).event !== event) return;
      unsubscribe('socketkit:exec:preauth', on);
      resolve();
    };
    subscribe('socketkit:exec:preauth', on);
  });
}

test('exec: a third unauthenticated connection from one address is refused; a slot frees on close', async (t) => {
  const port = await serveExec(t, 'tcp', { maxUnauthenticatedPerIp: 2, authTimeout: 60 });
  const a = await open(port);
  const b = await open(port);
  t.after(() => {
    a.destroy();
    b.destroy();
  });
  // The server admitted a and b (each is in the table once its handler ran).
  const third = await open(port);
  assert.match(
    await refusalOf(third),
    /^ERR_EXEC_BUSY: too many unauthenticated connections from your address \(2\)/,
  );
  // One leaves: its slot is free again, and an authenticated request goes through.
  const freed = nextPreauth('closed');
  a.destroy();
  await freed;
  const c = await open(port);
  const frames: Buffer[] = [];
  c.on('data', (d: Buffer) => frames.push(d));
  c.write(encodeRequest(request('echo', ['admitted'])));
  await new Promise<void>((resolve) => {
    c.on('data', () => {
      if (Buffer.concat(frames).includes('admitted')) resolve();
    });
  });
  c.destroy();
});

test('exec: the total of unauthenticated connections is capped too', async (t) => {
  const port = await serveExec(t, 'tcp', {
    maxUnauthenticatedPerIp: 10,
    maxUnauthenticated: 2,
    authTimeout: 60,
  });
  const held = [await open(port), await open(port)];
  t.after(() => held.forEach((s) => s.destroy()));
  assert.match(
    await refusalOf(await open(port)),
    /^ERR_EXEC_BUSY: too many unauthenticated connections \(2\)/,
  );
});

test('exec: a client that does not authenticate in --auth-timeout is dropped', async (t) => {
  const port = await serveExec(t, 'tcp', { authTimeout: 0.3 });
  const timedOut = nextPreauth('timeout');
  const silent = await open(port);
  // Trickle: a byte of the header length, then nothing more.
  silent.write(Buffer.of(0));
  await timedOut;
  await once(silent, 'close');
});
