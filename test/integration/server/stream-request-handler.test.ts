// StreamRequestHandler on a real connection: readLine/writeLine, per-class timeout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamRequestHandler, TcpServer } from '../../../src/server/index.js';
import { LineClient } from './helpers/clients.js';

test('readLine: CRLF and LF lines, a last line without its end, then null at EOF', async (t) => {
  const lines: Array<string | null> = [];
  class Collect extends StreamRequestHandler {
    override async handle(): Promise<void> {
      for (;;) {
        const line = await this.readLine();
        lines.push(line);
        if (line === null) break;
      }
      await this.writeLine(`${lines.length - 1} lines`);
    }
  }
  const server = await new TcpServer({ port: 0, handler: Collect }).listen();
  t.after(() => server.destroy());
  void server.serveForever();
  const c = await LineClient.open(server.address);
  c.sock.end('one\r\ntwo\n\nlast');
  assert.equal(await c.readAll(), '4 lines\r\n');
  assert.deepEqual(lines, ['one', 'two', '', 'last', null]);
});

test('readLine: a line over the limit is a FrameTooLongError for the handler', async (t) => {
  const errors: unknown[] = [];
  class Short extends StreamRequestHandler {
    static override maxLineLength = 8;
    override async handle(): Promise<void> {
      await this.readLine();
    }
  }
  const server = await new TcpServer({
    port: 0,
    handler: Short,
    handleError: (e) => {
      errors.push(e);
    },
  }).listen();
  t.after(() => server.destroy());
  void server.serveForever();
  const c = await LineClient.open(server.address);
  c.write('this line is far too long\n');
  await c.readAll();
  assert.equal((errors[0] as Error).name, 'FrameTooLongError');
});

test('a handler class timeout (Python StreamRequestHandler.timeout) ends a silent client', async (t) => {
  let timedOut = false;
  class Patient extends StreamRequestHandler {
    static override timeout = 0.2;
    override async handle(): Promise<void> {
      try {
        await this.readLine();
      } catch (err) {
        timedOut = (err as Error).name === 'SocketTimeoutError';
        throw err;
      }
    }
  }
  const server = await new TcpServer({ port: 0, handler: Patient }).listen();
  t.after(() => server.destroy());
  void server.serveForever();
  const c = await LineClient.open(server.address);
  assert.equal(await c.readAll(), '');
  assert.equal(timedOut, true);
});
