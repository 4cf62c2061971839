/**
 * Tutorial program S5 (docs/tutorial-map.md): the remote command client with the library. Like the tutorial's
 * client it reads commands at a `>>>` prompt and prints "命令行的结果是" and the result
 * ("OK" when the command printed nothing); unlike it, each request is signed, the reply
 * is read to its end however long it is, and a refusal is printed, not mistaken for
 * output. `--encoding gbk` decodes the output of a Windows server, as the tutorial did.
 *
 * Run: `SOCKETKIT_EXEC_SECRET=some-long-secret npx tsx examples/s05-remote-exec-client.ts [--port 8080]`.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ExecRefusedError, ExecSession } from 'socketkit/services';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    encoding: { type: 'string', default: 'utf-8' },
  },
});
const secret = process.env.SOCKETKIT_EXEC_SECRET;
if (!secret) throw new Error('set SOCKETKIT_EXEC_SECRET to the server secret');

const session = await ExecSession.connect(
  { host: '127.0.0.1', port: Number(values.port) },
  { secret: Buffer.from(secret) },
);
const lines = createInterface({ input: process.stdin, terminal: false });
process.stdout.write('>>>');
for await (const line of lines) {
  const [command, ...args] = line.trim().split(/\s+/);
  if (command === 'q') break;
  if (command) {
    const chunks: Buffer[] = [];
    try {
      const end = await session.run(command, args, (_stream, data) => {
        chunks.push(data);
      });
      const text = new TextDecoder(values.encoding).decode(Buffer.concat(chunks));
      console.log(
        '命令行的结果是',
        text === '' ? 'OK' : text.trimEnd(),
        end.exit ? `(exit ${end.exit})` : '',
      );
    } catch (err) {
      if (!(err instanceof ExecRefusedError)) throw err;
      console.log(err.message);
    }
  }
  process.stdout.write('>>>');
}
process.stdout.write('\n');
await session.close();
