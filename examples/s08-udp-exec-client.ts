/**
 * Tutorial program S8 (docs/tutorial-map.md): the UDP remote command client with the library: each command is
 * one signed datagram, the chunked reply is reassembled; a lost datagram is reported
 * ("lost 2 of 40 datagrams") instead of printing output with a hole in it.
 *
 * Run: `SOCKETKIT_EXEC_SECRET=some-long-secret npx tsx examples/s08-udp-exec-client.ts [--port 8080]`.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { SocketkitError } from 'socketkit/errors';
import { execUdp } from 'socketkit/services';

const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' } } });
const secret = process.env.SOCKETKIT_EXEC_SECRET;
if (!secret) throw new Error('set SOCKETKIT_EXEC_SECRET to the server secret');

const lines = createInterface({ input: process.stdin, terminal: false });
process.stdout.write('>>>');
for await (const line of lines) {
  const [command, ...args] = line.trim().split(/\s+/);
  if (command === 'q') break;
  if (command) {
    const chunks: Buffer[] = [];
    try {
      await execUdp(
        { host: '127.0.0.1', port: Number(values.port) },
        command,
        args,
        (_stream, data) => {
          chunks.push(data);
        },
        { secret: Buffer.from(secret), timeout: 15 },
      );
      const text = Buffer.concat(chunks).toString('utf8');
      console.log('命令行的结果是', text === '' ? 'OK' : text.trimEnd());
    } catch (err) {
      if (!(err instanceof SocketkitError)) throw err;
      console.log(err.message);
    }
  }
  process.stdout.write('>>>');
}
process.stdout.write('\n');
