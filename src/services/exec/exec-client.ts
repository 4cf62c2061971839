/**
 * The client side of the exec protocol, used by `socketkit exec`: a TCP session that
 * runs requests one after the other on one connection, and a one-shot UDP exchange
 * that reassembles the chunked reply. Output is handed over as raw bytes; decoding
 * (UTF-8, or GBK from a Windows peer) is the caller's choice.
 * @module
 */
import { SocketTimeoutError } from '../../errors.js';
import { FrameReader } from '../../framing/frame-reader.js';
import type { TcpAddress } from '../../socket/address.js';
import { DatagramSocket } from '../../socket/datagram-socket.js';
import { Socket } from '../../socket/tcp-socket.js';
import type { TlsConnectOptions } from '../../socket/tls-pin.js';
import { ExecRefusedError, ExecReplyError } from './exec-error.js';
import {
  decodeReplyPayload,
  encodeRequest,
  type ExecEnd,
  type ExecReplyFrame,
  execCodec,
  signRequest,
} from './exec-protocol.js';
import { ChunkAssembler, parseChunk } from './udp-chunks.js';
import { ignoreError } from '../../internal/ignore-error.js';

/**
 * Receives output bytes as they arrive. A returned promise is awaited before the next
 * chunk is read (backpressure); any other return value (`stream.write`'s boolean) is ignored.
 */
export type OutputSink = (stream: 'stdout' | 'stderr', data: Buffer) => unknown;

/** Options of {@link ExecSession.connect} and {@link execUdp}. */
export interface ExecClientOptions {
  /** The shared secret. */
  secret: Uint8Array;
  /** Seconds to wait for the connection and for each reply (default 60). */
  timeout?: number;
  /**
   * TLS options: connect with TLS (TCP only). Node verifies the certificate unless told
   * not to; `fingerprint256` pins it instead.
   */
  tls?: TlsConnectOptions;
  /** Largest reply frame accepted, bytes (default 16 MiB). */
  maxFrame?: number;
}

/** Hands output to the sink; returns the end frame, or `undefined` for output. */
async function handle(frame: ExecReplyFrame, onOutput: OutputSink): Promise<ExecEnd | undefined> {
  if (frame.type === 'error')
    throw new ExecRefusedError(
      frame.error.code,
      `server refused (${frame.error.code}): ${frame.error.message}`,
    );
  if (frame.type === 'end') return frame.end;
  await onOutput(frame.type, frame.data);
  return undefined;
}

function decode(payload: Buffer): ExecReplyFrame {
  try {
    return decodeReplyPayload(payload);
  } catch (err) {
    throw new ExecReplyError(`bad reply frame: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * One TCP (or TLS) connection to an exec server.
 * @example
 * ```ts
 * const session = await ExecSession.connect({ host: '127.0.0.1', port: 7512 }, { secret });
 * const end = await session.run('echo', ['hello'], (stream, data) => process[stream].write(data));
 * await session.close();
 * ```
 */
export class ExecSession {
  readonly #sock: Socket;
  readonly #secret: Uint8Array;
  readonly #reader: FrameReader<Buffer>;

  private constructor(sock: Socket, options: ExecClientOptions) {
    this.#sock = sock;
    this.#secret = options.secret;
    this.#reader = new FrameReader(execCodec(options.maxFrame ?? 16 << 20));
  }

  /** Connects. @throws {ConnectError} and its kin from the socket layer. */
  static async connect(address: TcpAddress, options: ExecClientOptions): Promise<ExecSession> {
    const sock = await Socket.createConnection(address, {
      timeout: options.timeout ?? 60,
      ...(options.tls ? { tls: options.tls } : {}),
    });
    return new ExecSession(sock, options);
  }

  /**
   * Runs `command args…` on the server, streaming its output to `onOutput`.
   * @returns the end frame: exit code or signal, truncated, timedOut.
   * @throws {ExecRefusedError} when the server refused the request (`reason` says why).
   * @throws {ExecReplyError} when the reply is not in the exec protocol.
   */
  async run(command: string, args: readonly string[], onOutput: OutputSink): Promise<ExecEnd> {
    await this.#sock.sendAll(encodeRequest(signRequest(this.#secret, command, args)));
    for (;;) {
      for (let payload = this.#reader.next(); payload !== null; payload = this.#reader.next()) {
        const end = await handle(decode(payload), onOutput);
        if (end !== undefined) return end;
      }
      const chunk = await this.#sock.recv(64 * 1024);
      if (chunk.length === 0)
        throw new ExecReplyError('the server closed the connection before the end of the reply');
      if (this.#reader.buffered === 0 && chunk[0] !== 0)
        throw new ExecReplyError(
          `not an exec server: it said ${JSON.stringify(chunk.subarray(0, 200).toString('utf8').trim())}`,
        );
      this.#reader.push(chunk);
    }
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.#sock.close().catch(ignoreError('exec:client-close'));
  }
}

/**
 * Runs one command over UDP: one request datagram, the reply reassembled from chunks.
 * @throws {ExecRefusedError} when refused; {@link ExecReplyError} when datagrams were
 *   lost (the message says how many) or the reply is not in the protocol;
 *   `SocketTimeoutError` when nothing came back.
 */
export async function execUdp(
  address: TcpAddress,
  command: string,
  args: readonly string[],
  onOutput: OutputSink,
  options: ExecClientOptions & {
    /** Seconds to wait for each next datagram of the reply (default 2). */
    gap?: number;
  },
): Promise<ExecEnd> {
  const family = address.host.includes(':') ? 'IPv6' : 'IPv4';
  const udp = new DatagramSocket({ family, timeout: options.timeout ?? 60 });
  try {
    // A big reply arrives as a burst: a larger kernel buffer keeps it from overflowing.
    udp.setOption('SO_RCVBUF', 4 << 20);
    const request = signRequest(options.secret, command, args);
    await udp.sendTo(encodeRequest(request), address);
    const assembler = new ChunkAssembler();
    while (!assembler.complete) {
      let data: Buffer;
      try {
        ({ data } = await udp.recvFrom(65535));
      } catch (err) {
        if (err instanceof SocketTimeoutError && assembler.total > 0) break;
        throw err;
      }
      const chunk = parseChunk(data);
      if (chunk === null) {
        throw new ExecReplyError(
          `not an exec reply: ${JSON.stringify(data.subarray(0, 200).toString('utf8').trim())}`,
        );
      }
      if (chunk.id !== request.header.id && chunk.id !== '') continue;
      assembler.add(chunk);
      // Once the burst started, the rest follows at once or never.
      udp.setOperationTimeout(options.gap ?? 2);
    }
    const reader = new FrameReader(execCodec(options.maxFrame ?? 16 << 20));
    reader.push(assembler.body());
    for (const payload of reader.end()) {
      const end = await handle(decode(payload), onOutput);
      if (end !== undefined) return end;
    }
    throw new ExecReplyError('the UDP reply has no end frame');
  } finally {
    await udp.close().catch(ignoreError('exec:udp-close'));
  }
}
