/**
 * Tutorial program S2 (docs/tutorial-map.md), the tutorial's `tcpclient.py`: send each line typed (or piped) to the echo server
 * and print what comes back; an empty line or EOF quits.
 *
 * Python:
 * ```python
 * client_sock.connect(('127.0.0.1', 8100))
 * while True:
 *     data = raw_input('>')
 *     if not data: break
 *     client_sock.send(data)
 *     data = client_sock.recv(1024)   # may return half a reply, or two replies
 * ```
 *
 * socketkit: the reply is read by its length (`recvExactly`), so a long line is never
 * cut in two by a 1024-byte `recv`, and `sendAll` sends it whole.
 *
 * Run: `npx tsx examples/s02-echo-client.ts [--port 8100]`.
 */
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Socket } from 'socketkit/socket';

/** Sends each line and resolves to the echoes, in order. */
export async function echoLines(
  address: { host: string; port: number },
  lines: AsyncIterable<string> | Iterable<string>,
  print: (line: string) => void = console.log,
): Promise<void> {
  await using sock = await Socket.createConnection(address, { timeout: 10 });
  for await (const line of lines) {
    if (line === '') break;
    const data = Buffer.from(`${line}\n`);
    await sock.sendAll(data);
    const reply = await sock.recvExactly(data.length);
    print(`received: ${reply.toString().trimEnd()}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8100' },
    },
  });
  await echoLines(
    { host: values.host, port: Number(values.port) },
    createInterface({ input: process.stdin }),
  );
}
