/**
 * `DatagramRequestHandler.send()`: the class-based face of `ctx.send()`, over real UDP and
 * Unix datagram sockets.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  DatagramRequestHandler,
  type ErrorContext,
  UdpServer,
  UnixDatagramServer,
} from '../../../src/server/index.js';
import { recorder } from '../../helpers/wait.js';
import { tempDir, udpRequest, unixDatagramRequest } from './helpers/clients.js';

const tmp = tempDir();
after(tmp.cleanup);

/** Answers in upper case with `this.send()`, from hooks that return no promise. */
class Upper extends DatagramRequestHandler {
  static log: string[] = [];
  override handle(): void {
    const result: unknown = this.send(this.packet.toString().toUpperCase());
    Upper.log.push(`sent (${typeof result})`);
  }
  override finish(): void {
    Upper.log.push('finished');
  }
}

test('this.send() answers the sender over UDP, with no promise, before finish()', async (t) => {
  Upper.log = [];
  const server = await new UdpServer({ host: '127.0.0.1', port: 0, handler: Upper }).listen();
  t.after(() => server.destroy());
  void server.serveForever();
  assert.equal((await udpRequest(server.address, 'hello'))?.toString(), 'HELLO');
  assert.deepEqual(Upper.log, ['sent (undefined)', 'finished']);
});

test('this.send() answers the sender over a Unix datagram socket', async (t) => {
  Upper.log = [];
  const path = join(tmp.dir, 'upper.sock');
  const server = await new UnixDatagramServer({ path, handler: Upper }).listen();
  t.after(() => server.destroy());
  void server.serveForever();
  const reply = await unixDatagramRequest(path, join(tmp.dir, 'client.sock'), 'unix');
  assert.equal(reply?.toString(), 'UNIX');
  assert.deepEqual(Upper.log, ['sent (undefined)', 'finished']);
});

test('a failed this.send() goes to handleError (phase reply); the handler goes on', async (t) => {
  const errors = recorder<{ error: unknown; ctx: ErrorContext }>();
  class TooBig extends DatagramRequestHandler {
    override handle(): void {
      this.send(Buffer.alloc(70_000)); // over the 65,507-byte UDP payload: EMSGSIZE
      this.send('sent anyway');
    }
  }
  const server = await new UdpServer({
    host: '127.0.0.1',
    port: 0,
    handler: TooBig,
    handleError: (error, ctx) => {
      errors.push({ error, ctx });
    },
  }).listen();
  t.after(() => server.destroy());
  void server.serveForever();
  assert.equal((await udpRequest(server.address, 'x'))?.toString(), 'sent anyway');
  await errors.waitFor();
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.ctx.phase, 'reply');
  assert.equal((errors[0]?.error as { errno?: string }).errno, 'EMSGSIZE');
  assert.equal(errors[0]?.ctx.remote?.family, 'IPv4');
});
