/**
 * One UDP request/response exchange: resolve, send a datagram, wait for the first
 * acceptable reply or a timeout. The clients of the time services (`sntp`, `time -u`,
 * `rdate --udp`) are all this shape.
 * @module
 */
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { fromSystemError, HostNotFoundError, SocketTimeoutError } from '../../errors.js';

/** Options of {@link udpExchange}. */
export interface UdpExchangeOptions {
  /** Seconds to wait for a reply. Default 5. */
  timeout?: number;
  /** Aborts the wait (rejects with the signal's reason). */
  signal?: AbortSignal;
  /**
   * Called with each datagram from the server; return true to accept it. Lets a client
   * ignore stray or spoofed datagrams (an NTP reply whose origin timestamp is not ours).
   */
  accept?: (reply: Buffer) => boolean;
  /** Called right before the datagram is sent (an NTP client stamps T1 here). */
  beforeSend?: () => Buffer | undefined;
}

/** The reply and when it arrived. */
export interface UdpExchangeResult {
  reply: Buffer;
  /** `process.hrtime.bigint()` when the reply arrived. */
  receivedAt: bigint;
  /** The server address the request went to. */
  address: string;
}

/**
 * Sends `payload` to `host:port` over UDP and resolves with the first accepted reply.
 * @throws {HostNotFoundError} when `host` does not resolve.
 * @throws {SocketTimeoutError} when no acceptable reply arrives in time.
 * @throws {ConnectionRefusedError} when the host answers that nothing listens on `port`.
 */
export async function udpExchange(
  host: string,
  port: number,
  payload: Uint8Array,
  options: UdpExchangeOptions = {},
): Promise<UdpExchangeResult> {
  const timeout = options.timeout ?? 5;
  let address = host;
  let family = isIP(host);
  if (family === 0) {
    try {
      const found = await lookup(host);
      address = found.address;
      family = found.family;
    } catch (err) {
      throw new HostNotFoundError(host, { cause: err });
    }
  }
  const socket: DgramSocket = createSocket(family === 6 ? 'udp6' : 'udp4');
  try {
    return await new Promise<UdpExchangeResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new SocketTimeoutError('recvfrom', timeout, { address, port }));
      }, timeout * 1000);
      const onAbort = () => reject(options.signal?.reason ?? new Error('aborted'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      socket.on('error', (err) => {
        done();
        reject(fromSystemError(err, { address, port }));
      });
      socket.on('message', (msg, rinfo) => {
        const receivedAt = process.hrtime.bigint();
        // Only the server we asked may answer (a cheap defence against stray datagrams).
        if (rinfo.port !== port) return;
        if (options.accept !== undefined && !options.accept(msg)) return;
        done();
        resolve({ reply: msg, receivedAt, address });
      });
      if (options.signal?.aborted) {
        done();
        reject(options.signal.reason);
        return;
      }
      // A connected socket: the kernel keeps only the server's datagrams, and an ICMP
      // port-unreachable comes back as ECONNREFUSED (an 'error'), so "nothing listens
      // there" is reported at once rather than after the whole timeout.
      socket.connect(port, address, () => {
        if (options.signal?.aborted) return;
        const data = options.beforeSend?.() ?? payload;
        socket.send(data, (err) => {
          if (err) {
            done();
            reject(fromSystemError(err, { address, port, syscall: 'send' }));
          }
        });
      });
    });
  } finally {
    socket.close();
  }
}
