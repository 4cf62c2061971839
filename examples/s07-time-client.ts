/**
 * Tutorial program S7 (docs/tutorial-map.md): the time client with the library: each line of input is a
 * strftime format sent as one datagram; the reply is printed. Unlike the tutorial's
 * client it gives up after a timeout instead of blocking for ever on a lost datagram.
 *
 * Run: `npx tsx examples/s07-time-client.ts [--port 8080] [--tcp]`, type formats, Ctrl-D.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { SocketTimeoutError } from '../src/errors.js';
import { udpExchange } from '../src/services/sntp/udp-exchange.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8080' },
    timeout: { type: 'string', default: '3' },
  },
});

const lines = createInterface({ input: process.stdin, terminal: false });
process.stdout.write('>>>');
for await (const format of lines) {
  try {
    const { reply } = await udpExchange(
      values.host,
      Number(values.port),
      Buffer.from(format, 'utf8'),
      {
        timeout: Number(values.timeout),
      },
    );
    console.log('标准时间为:', reply.toString('utf8'));
  } catch (err) {
    if (!(err instanceof SocketTimeoutError)) throw err;
    console.log(`no reply: ${err.message}`);
  }
  process.stdout.write('>>>');
}
process.stdout.write('\n');
