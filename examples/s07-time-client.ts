/**
 * Tutorial program S7 (docs/tutorial-map.md): the time client with the library: each line of input is a
 * strftime format sent as one datagram; the reply is printed. Unlike the tutorial's
 * client it gives up after a timeout instead of blocking for ever on a lost datagram.
 *
 * Run: `npx tsx examples/s07-time-client.ts [--port 8080] [--tcp]`, type formats, Ctrl-D.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { SocketTimeoutError } from 'socketkit/errors';
import { DatagramSocket } from 'socketkit/socket';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8080' },
    timeout: { type: 'string', default: '3' },
  },
});

const lines = createInterface({ input: process.stdin, terminal: false });
const server = { host: values.host, port: Number(values.port) };
const sock = new DatagramSocket({ timeout: Number(values.timeout) });
process.stdout.write('>>>');
try {
  for await (const format of lines) {
    try {
      await sock.sendTo(Buffer.from(format, 'utf8'), server);
      const { data } = await sock.recvFrom(65535);
      console.log('标准时间为:', data.toString('utf8'));
    } catch (err) {
      if (!(err instanceof SocketTimeoutError)) throw err;
      console.log(`no reply: ${err.message}`);
    }
    process.stdout.write('>>>');
  }
} finally {
  await sock.close();
}
process.stdout.write('\n');
