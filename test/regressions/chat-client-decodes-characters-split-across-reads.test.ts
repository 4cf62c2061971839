/**
 * Regression (issue 10, defect 14 review: what `socketkit chat` reads from any server):
 * the client decoded each TCP read on its own, so a multi-byte character split between
 * two reads was shown as two U+FFFD (a long line of accented text came out garbled),
 * and it kept an unterminated line whole however long it grew — a hostile server could
 * fill the client's memory with one endless line. Now characters are decoded across
 * reads, and a line without its newline is shown in pieces of MAX_PARTIAL_LINE
 * characters (nothing dropped).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { MAX_PARTIAL_LINE } from '../../src/cli/commands/chat.js';
import { runCli } from '../helpers/cli.js';

test('socketkit chat: split characters are kept, an endless line is shown in pieces', async (t) => {
  // Two-byte characters after a one-byte prefix: every read that ends on an even byte
  // count (a full 64 KiB read does) cuts one in half.
  const accented = `x${'é'.repeat(300_000)}`;
  const endless = 'y'.repeat(2 * MAX_PARTIAL_LINE + 12_345);
  const server = net.createServer((sock) => {
    sock.on('error', () => {});
    sock.on('data', () => {}); // the client's /quit
    sock.write(`${accented}\r\n`);
    sock.end(endless); // no newline: the line ends with the connection
  });
  t.after(() => server.close());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;

  const { code, stdout } = await runCli(['chat', '127.0.0.1', String(port), '--plain']);
  assert.equal(code, 0);
  const lines = stdout.split('\n');
  assert.equal(lines.pop(), '', 'the output ends with a newline');
  assert.equal(lines.length, 4, `lines of ${lines.map((l) => l.length).join(', ')} characters`);
  assert.ok(!lines[0]!.includes('\ufffd'), 'a character split between reads was garbled');
  assert.equal(lines[0], accented);
  assert.deepEqual(
    lines.slice(1).map((l) => l.length),
    [MAX_PARTIAL_LINE, MAX_PARTIAL_LINE, 12_345],
  );
  assert.equal(lines.slice(1).join(''), endless);
});
