/**
 * Tutorial program S11 (docs/tutorial-map.md, "IP 地址"): the local host's IP address.
 *
 * Python:
 * ```python
 * host_ip = socket.gethostbyname(socket.gethostname())
 * print(f"Local host IP: {host_ip}")
 * ```
 *
 * socketkit: the same two calls, promise-based; a host whose own name does not
 * resolve gets a `HostNotFoundError` that says so, instead of a bare `gaierror`.
 * The CLI equivalent is `socketkit resolve` (no argument).
 *
 * Run: `npx tsx examples/s11-local-ip.ts`
 */
import { pathToFileURL } from 'node:url';
import { HostNotFoundError } from 'socketkit/errors';
import { gethostbyname, gethostname } from 'socketkit/resolve';

/** The IPv4 address this host's name resolves to. */
export async function localIp(): Promise<string> {
  return gethostbyname(gethostname(), { timeout: 5 });
}

async function main(): Promise<number> {
  try {
    console.log(`Local host IP: ${await localIp()}`);
    return 0;
  } catch (err) {
    if (!(err instanceof HostNotFoundError)) throw err;
    console.error(`${err.message}: add "127.0.1.1 ${gethostname()}" to /etc/hosts`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main();
}
