/**
 * Tutorial program S6 (docs/tutorial-map.md): the interactive UDP server. It prints each datagram with its
 * sender and answers it with a line typed at the keyboard (`recvfrom` / `sendto`).
 *
 * Python (the tutorial):
 * ```python
 * udp_server = socket(AF_INET, SOCK_DGRAM)
 * udp_server.bind(("127.0.0.1", 8080))
 * while True:
 *     data, addr = udp_server.recvfrom(1024)
 *     print("来自于:", addr, data.decode("utf-8"))
 *     udp_server.sendto(input(">>>").encode("utf-8"), addr)
 * ```
 *
 * socketkit: there is no connection, so any number of clients can talk to the one
 * socket, each answered at the address its datagram came from. A datagram is received
 * whole up to 64 KiB (the tutorial's `recvfrom(1024)` silently dropped the rest: the
 * `truncated` flag says when that happens); an empty datagram is a real message.
 *
 * The same from the shell: `socketkit listen -u -k 8080`.
 *
 * Run: `npx tsx examples/s06-udp-server.ts [--host 127.0.0.1] [--port 8080]`
 */
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SocketClosedError } from 'socketkit/errors';
import { DatagramSocket } from 'socketkit/socket';

/** The largest UDP payload: receive every datagram whole. */
const MAX_DATAGRAM = 65535;

/**
 * Prints each datagram and answers its sender with the next of `answers`; returns when
 * the answers run out or the socket is closed.
 */
export async function serveUdp(
  sock: DatagramSocket,
  answers: AsyncIterator<string>,
  print: (line: string) => void,
): Promise<void> {
  for (;;) {
    let datagram: Awaited<ReturnType<DatagramSocket['recvFrom']>>;
    try {
      datagram = await sock.recvFrom(MAX_DATAGRAM);
    } catch (err) {
      if (err instanceof SocketClosedError) return; // Ctrl-C
      throw err;
    }
    const { data, address } = datagram;
    if (!('port' in address)) continue; // (UDP senders always have an address and port)
    const from = `${address.address}:${address.port}`;
    print(
      `from ${from}: ${data.toString('utf8').replace(/\n$/, '')}${datagram.truncated ? ' (truncated)' : ''}`,
    );
    const answer = await answers.next();
    if (answer.done) return;
    // Answer where the datagram came from: UDP has no connection to reply on.
    await sock.sendTo(answer.value, { host: address.address, port: address.port });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
    },
  });
  const sock = new DatagramSocket();
  await sock.bind({ host: values.host, port: Number(values.port) });
  const local = sock.getSockName() as { address: string; port: number };
  process.stdout.write(`listening on udp ${local.address}:${local.port}\n`);
  const keyboard = createInterface({ input: process.stdin, terminal: false });
  const lines = keyboard[Symbol.asyncIterator]();
  const stop = (): void => {
    void sock.close();
    keyboard.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await serveUdp(sock, lines, (line) => process.stdout.write(`${line}\n`));
  await sock.close();
  keyboard.close();
}
