// Seed S10 (seed 002): a non-blocking connect that raises BlockingIOError while in
// progress, then a connect with a timeout that raises socket.timeout. Python:
//
//   sock.setblocking(False)
//   try: sock.connect(('localhost', 12345))
//   except BlockingIOError: print("Connection attempt is in progress...")
//   if sock.getpeername(): print("Connection successful!")
//   ...
//   sock.settimeout(5)
//   try: sock.connect(('localhost', 12345)); print("Connection successful!")
//   except socket.timeout: print("Connection timed out.")
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SocketTimeoutError, WouldBlockError } from '../../../src/errors.js';
import { Socket } from '../../../src/socket/index.js';
import { listen, neverAcceptingPort, portOf } from './_helpers.js';

test('S10: non-blocking connect is "in progress", then succeeds', async (t) => {
  const listener = await listen(t);
  const log: string[] = [];
  const sock = new Socket();
  t.after(() => sock.destroy());
  sock.setBlocking(false);
  try {
    await sock.connect({ host: '127.0.0.1', port: portOf(listener) });
  } catch (err) {
    if (!(err instanceof WouldBlockError)) throw err;
    log.push('Connection attempt is in progress...');
  }
  // Python polls getpeername(); socketkit lets the caller wait for the attempt instead.
  sock.setBlocking(true);
  await sock.connect({ host: '127.0.0.1', port: portOf(listener) });
  if (sock.getPeerName()) log.push('Connection successful!');
  await sock.close();
  assert.deepEqual(log, ['Connection attempt is in progress...', 'Connection successful!']);
});

test('S10: connect with a timeout reports socket.timeout as SocketTimeoutError', async (t) => {
  const { port, fill } = await neverAcceptingPort(t);
  await fill();
  const log: string[] = [];
  const sock = new Socket();
  t.after(() => sock.destroy());
  sock.setOperationTimeout(0.3);
  try {
    await sock.connect({ host: '127.0.0.1', port });
    log.push('Connection successful!');
  } catch (err) {
    if (!(err instanceof SocketTimeoutError)) throw err;
    log.push('Connection timed out.');
  }
  await sock.close();
  assert.deepEqual(log, ['Connection timed out.']);
});
