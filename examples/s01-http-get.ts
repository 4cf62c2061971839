/**
 * Tutorial program S1 (docs/tutorial-map.md): an HTTP GET by hand. Resolve the host, connect to port 80, send
 * the request line and headers, receive the whole reply, close.
 *
 * Python (the tutorial):
 * ```python
 * s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
 * s.connect((socket.gethostbyname(host), 80))
 * s.send('GET / HTTP/1.0\r\n\r\n')
 * reply = s.recv(4096)          # only the first 4096 bytes!
 * s.close()
 * ```
 *
 * socketkit: `recv` is called until it returns an empty buffer (the server closed: HTTP/1.0
 * ends the reply that way), so a long page is not cut at 4096 bytes; connect and every
 * receive have a timeout; a refused or unknown host is a clear error, not a traceback.
 *
 * The same from the shell:
 * `socketkit connect example.test 80 --send 'GET / HTTP/1.0\r\nHost: example.test\r\n\r\n'`
 *
 * Run: `npx tsx examples/s01-http-get.ts HOST [PORT] [PATH]`
 */
import { pathToFileURL } from 'node:url';
import { SocketkitError } from 'socketkit/errors';
import { Socket } from 'socketkit/socket';

/**
 * Sends `GET path HTTP/1.0` to `host:port` and resolves to the whole reply (status line,
 * headers and body, as bytes).
 * @throws {ConnectError}, `HostNotFoundError`, `SocketTimeoutError`.
 */
export async function httpGetByHand(
  host: string,
  port = 80,
  path = '/',
  timeout = 10,
): Promise<Buffer> {
  // createConnection resolves the name and tries each address (gethostbyname + connect).
  const sock = await Socket.createConnection({ host, port }, { timeout });
  try {
    // HTTP wants CRLF line ends; Host is required by HTTP/1.1 servers and harmless here.
    await sock.sendAll(`GET ${path} HTTP/1.0\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    const chunks: Buffer[] = [];
    for (;;) {
      const chunk = await sock.recv(64 * 1024);
      if (chunk.length === 0) break; // EOF: the server sent everything and closed
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  } finally {
    await sock.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [host, port = '80', path = '/'] = process.argv.slice(2);
  if (!host) {
    process.stderr.write('usage: s01-http-get.ts HOST [PORT] [PATH]\n');
    process.exit(2);
  }
  try {
    process.stdout.write(await httpGetByHand(host, Number(port), path));
  } catch (err) {
    if (!(err instanceof SocketkitError)) throw err;
    process.stderr.write(`s01-http-get: ${err.message}\n`);
    process.exitCode = 1;
  }
}
