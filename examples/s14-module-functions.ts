/**
 * Tutorial program S14 (docs/tutorial-map.md, "socket模块的部分类方法"): the socket module's functions —
 * `getfqdn`, `gethostbyname`, `gethostbyname_ex`, `gethostbyaddr`, `getservbyname`
 * and `fromfd` — the socketkit way.
 *
 * Python:
 * ```python
 * socket.getfqdn(name)                 # a fully qualified domain name
 * socket.gethostbyname(hostname)       # '127.0.0.1'
 * socket.gethostbyname_ex(name)        # (hostname, aliaslist, ipaddrlist)
 * socket.gethostbyaddr(address)        # the same, from an IP address
 * socket.getservbyname('telnet', 'tcp')  # 23
 * socket.fromfd(fd, family, type)      # a socket object from an existing descriptor
 * ```
 *
 * `fromfd` is shown as inetd does it: the parent accepts a connection and hands the
 * descriptor to a child process as its fd 3; the child wraps it with
 * `Socket.fromFd(3)` and answers the client. The CLI equivalent of the look-ups is
 * `socketkit resolve` (`socketkit resolve 127.0.0.1`, `socketkit resolve --service telnet`).
 *
 * Run: `npx tsx examples/s14-module-functions.ts`
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  getfqdn,
  gethostbyaddr,
  gethostbyname,
  gethostbynameEx,
  gethostname,
  getservbyname,
  getservbyport,
} from 'socketkit/resolve';
import { Listener, Socket } from 'socketkit/socket';

/** Prints what each look-up function returns for local names. */
export async function showLookups(print: (line: string) => void = console.log): Promise<void> {
  print(`gethostname()                  = ${gethostname()}`);
  print(`getfqdn()                      = ${await getfqdn()}`);
  print(`gethostbyname('localhost')     = ${await gethostbyname('localhost')}`);
  print(`gethostbynameEx('localhost')   = ${JSON.stringify(await gethostbynameEx('localhost'))}`);
  print(`gethostbyaddr('127.0.0.1')     = ${JSON.stringify(await gethostbyaddr('127.0.0.1'))}`);
  print(`getservbyname('telnet', 'tcp') = ${await getservbyname('telnet', 'tcp')}`);
  print(`getservbyname('ftp', 'tcp')    = ${await getservbyname('ftp', 'tcp')}`);
  print(`getservbyport(80, 'tcp')       = ${await getservbyport(80, 'tcp')}`);
}

/**
 * `fromfd`: accepts one connection, passes its descriptor to a child process as fd 3,
 * and returns what the child sent the client.
 */
export async function fromFdDemo(): Promise<string> {
  const listener = await Listener.bind({ host: '127.0.0.1', port: 0 });
  try {
    const { port } = listener.address as { port: number };
    // The reply comes once a whole new Node process has started: on a busy machine that can
    // take well over 10 s, so the client waits up to a minute.
    const client = await Socket.createConnection({ host: '127.0.0.1', port }, { timeout: 60 });
    try {
      const { socket } = await listener.accept();
      const child = spawn(
        process.execPath,
        [...process.execArgv, fileURLToPath(import.meta.url), '--child'],
        { stdio: ['ignore', 'inherit', 'inherit', socket.raw] },
      );
      // The child has its own copy of the descriptor: drop ours without a FIN
      // (destroy, not close), so the connection lives on in the child alone.
      socket.destroy();
      const line = await client.recvUntil('\n', { maxBytes: 1024 });
      const [code] = (await once(child, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`the child exited with code ${String(code)}`);
      return line.toString('utf8').trimEnd();
    } finally {
      await client.close();
    }
  } finally {
    await listener.close();
  }
}

/** The child: serve the connection inherited as fd 3. */
async function child(): Promise<void> {
  const sock = Socket.fromFd(3, { timeout: 10 });
  const peer = sock.getPeerName();
  const from = 'address' in peer ? `${peer.address}:${peer.port}` : peer.path;
  await sock.sendAll(`hello ${from}, from process ${process.pid} through Socket.fromFd(3)\n`);
  await sock.close();
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child();
  await showLookups();
  console.log(`Socket.fromFd(3) in a child     → ${await fromFdDemo()}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
