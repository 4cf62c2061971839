/**
 * Tutorial program S6 (docs/tutorial-map.md): the interactive UDP client. Each line typed is sent as one
 * datagram (`sendto`), then the answer is awaited (`recvfrom`) and printed.
 *
 * Python (the tutorial):
 * ```python
 * udp_client = socket(AF_INET, SOCK_DGRAM)
 * while True:
 *     udp_client.sendto(input(">>>").encode("utf-8"), ip_port)
 *     data, addr = udp_client.recvfrom(1024)
 *     print(data.decode("utf-8"))
 * ```
 *
 * socketkit: UDP may lose a datagram and never tells, so waiting for the answer has a
 * timeout (the tutorial waited for ever); an empty line is sent as an empty datagram,
 * which UDP carries as a real message (TCP could not: see the tutorial's note).
 *
 * The same from the shell: `socketkit connect -u 127.0.0.1 8080`.
 *
 * Run: `npx tsx examples/s06-udp-client.ts [--host 127.0.0.1] [--port 8080] [--timeout 2]`
 */

import { isIP } from 'node:net';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SocketkitError, SocketTimeoutError } from 'socketkit/errors';
import { DatagramSocket, type TcpAddress } from 'socketkit/socket';

/** Sends each line as a datagram to `server` and prints the answer (or that none came). */
export async function udpChat(
  server: TcpAddress,
  lines: AsyncIterable<string>,
  print: (line: string) => void,
  timeout = 2,
): Promise<void> {
  const sock = new DatagramSocket({ family: isIP(server.host) === 6 ? 'IPv6' : 'IPv4', timeout });
  try {
    for await (const line of lines) {
      await sock.sendTo(line, server);
      try {
        print((await sock.recvFrom(65535)).data.toString('utf8'));
      } catch (err) {
        if (!(err instanceof SocketTimeoutError)) throw err;
        print(
          `(no answer within ${timeout} s: the datagram or its answer may be lost; UDP does not retry)`,
        );
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
      timeout: { type: 'string', default: '2' },
    },
  });
  const keyboard = createInterface({ input: process.stdin, terminal: false });
  // Take the iterator now: lines read before it exists would be dropped by readline.
  const lines = keyboard[Symbol.asyncIterator]();
  try {
    await udpChat(
      { host: values.host, port: Number(values.port) },
      { [Symbol.asyncIterator]: () => lines },
      (line) => process.stdout.write(`${line}\n`),
      Number(values.timeout),
    );
  } catch (err) {
    if (!(err instanceof SocketkitError)) throw err;
    process.stderr.write(`s06-udp-client: ${err.message}\n`);
    process.exitCode = 1;
  } finally {
    keyboard.close();
  }
}
