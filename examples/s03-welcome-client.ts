/**
 * Tutorial program S3 (docs/tutorial-map.md): the client of the welcome server — connect, print what the server
 * says, close.
 *
 * Python:
 * ```python
 * s.connect((host, 8080))
 * msg = s.recv(1024)       # a longer greeting would be cut at 1024 bytes
 * s.close()
 * print(msg.decode('utf-8'))
 * ```
 *
 * socketkit: read until the server closes (EOF), so the whole greeting arrives whatever
 * its length or however TCP splits it.
 *
 * Run: `npx tsx examples/s03-welcome-client.ts [--port 8080]`.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Socket } from 'socketkit/socket';

/** Connects, reads until EOF, and returns the greeting. */
export async function fetchWelcome(address: { host: string; port: number }): Promise<string> {
  await using sock = await Socket.createConnection(address, { timeout: 10 });
  const chunks: Buffer[] = [];
  for await (const chunk of sock) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
    },
  });
  process.stdout.write(await fetchWelcome({ host: values.host, port: Number(values.port) }));
}
