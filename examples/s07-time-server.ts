/**
 * Tutorial program S7 (docs/tutorial-map.md): the "NTP" time server. The client sends a strftime format, the
 * server answers with its local time in that format ("" means "%F %X").
 *
 * Python (the tutorial's server):
 * ```python
 * udp_server = socket(AF_INET, SOCK_DGRAM)
 * udp_server.bind(("127.0.0.1", 8080))
 * while True:
 *     data, addr = udp_server.recvfrom(1024)
 *     gs = "%F %X" if not data else data.decode("utf-8")
 *     sj = time.strftime(gs)
 *     udp_server.sendto(sj.encode("utf-8"), addr)
 * ```
 *
 * socketkit: the same service over UDP *and* TCP (one line per request), where a bad
 * request cannot kill the server — invalid UTF-8, a 60 KB format or one whose reply
 * would not fit the client's `recvfrom(1024)` each get an `error: …` reply — in the
 * time zone you choose. It is `socketkit serve strftime` in ten lines of library code.
 *
 * Run: `npx tsx examples/s07-time-server.ts [--port 8080] [--tz Europe/Paris | --utc]`,
 * then `python3 examples/s07-time-client.py 8080` or `npx tsx examples/s07-time-client.ts`.
 */
import { parseArgs } from 'node:util';
import { AddressInUseError } from 'socketkit/errors';
import { TcpServer, UdpServer } from 'socketkit/server';
import { createStrftimeHandlers } from 'socketkit/services';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8080' },
    tz: { type: 'string' },
    utc: { type: 'boolean', default: false },
  },
});

const { datagram, stream, responder } = createStrftimeHandlers({
  timeZone: values.tz,
  utc: values.utc,
});

/**
 * UDP and TCP on one port number, as classic services are. With port 0 the number is
 * the one the kernel gave UDP, and TCP has its own sockets: any of them (a listener, or
 * just a client's outgoing connection) may hold that number already. Then take another.
 */
async function listenBoth(host: string, wanted: number) {
  for (let attempt = 1; ; attempt++) {
    const udp = await new UdpServer({ host, port: wanted, handler: datagram }).listen();
    const port = (udp.address as { port: number }).port;
    try {
      const tcp = await new TcpServer({ host, port, handler: stream }).listen();
      return { udp, tcp, port };
    } catch (err) {
      await udp.close();
      if (!(err instanceof AddressInUseError) || wanted !== 0 || attempt === 20) throw err;
    }
  }
}

const { udp, tcp, port } = await listenBoth(values.host, Number(values.port));
console.log(`time server on ${values.host}:${port} (udp+tcp), time zone ${responder.timeZone}`);

const stop = async (): Promise<void> => {
  await Promise.all([udp.close(), tcp.close()]);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
await Promise.all([udp.serveForever(), tcp.serveForever()]);
