/**
 * Tutorial program S4 (docs/tutorial-map.md): the "phone call" client. Say a line, wait for the
 * answer, print it, and so on, until the keyboard input ends or you type `q`.
 *
 * Python (the tutorial):
 * ```python
 * s.connect(ip_port)
 * while True:
 *     nr = input(">>>").strip()
 *     if not nr: continue                 # sending b'' would wait for ever for a reply
 *     s.sendall(bytes(nr, encoding="utf-8"))
 *     res = s.recv(buffer_size)
 *     print("来自远方的消息", str(res, encoding="utf-8"))
 * ```
 *
 * socketkit: lines are the messages (so an answer split by TCP is still one answer);
 * when the server hangs up, the client says so and stops instead of printing empty
 * replies for ever.
 *
 * The same from the shell: `socketkit connect 127.0.0.1 8080`.
 *
 * Run: `npx tsx examples/s04-phone-call-client.ts [--host 127.0.0.1] [--port 8080]`
 */
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { IncompleteReadError, SocketkitError } from 'socketkit/errors';
import { Socket, type TcpAddress } from 'socketkit/socket';

/** Calls `address` and talks in turns: each line said, then the answer printed. */
export async function phoneCall(
  address: TcpAddress,
  lines: AsyncIterable<string>,
  print: (line: string) => void,
): Promise<void> {
  const sock = await Socket.createConnection(address, { timeout: 10 });
  sock.setOperationTimeout(null); // connecting may time out; waiting for a human to answer may not
  try {
    for await (const raw of lines) {
      const line = raw.trim();
      if (line === '') continue; // nothing to say: the server would wait for a line
      if (line === 'q') break;
      await sock.sendAll(`${line}\n`);
      try {
        print(`from far away>>> ${(await sock.recvUntil('\n')).toString('utf8')}`);
      } catch (err) {
        if (!(err instanceof IncompleteReadError)) throw err;
        print('the other side hung up');
        return;
      }
    }
  } finally {
    await sock.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
    },
  });
  const keyboard = createInterface({ input: process.stdin, terminal: false });
  // Take the iterator now: lines read before it exists would be dropped by readline.
  const lines = keyboard[Symbol.asyncIterator]();
  try {
    await phoneCall(
      { host: values.host, port: Number(values.port) },
      { [Symbol.asyncIterator]: () => lines },
      (line) => process.stdout.write(`${line}\n`),
    );
  } catch (err) {
    if (!(err instanceof SocketkitError)) throw err;
    process.stderr.write(`s04-phone-call-client: ${err.message}\n`);
    process.exitCode = 1;
  } finally {
    keyboard.close();
  }
}
