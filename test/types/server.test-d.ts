// Type tests of socketkit/server and socketkit/errors (see socket.test-d.ts: checked by
// `npm run typecheck`, never run).
import { expectTypeOf } from 'expect-type';
import {
  ConnectError,
  ConnectionRefusedError,
  CorruptFrameError,
  DecoderError,
  FrameTooLongError,
  IncompleteReadError,
  InvalidArgumentError,
  SocketError,
  SocketkitError,
  SocketTimeoutError,
} from 'socketkit/errors';
import {
  type ConnectionContext,
  type DatagramContext,
  type DatagramHandler,
  DatagramRequestHandler,
  type PeerAddress,
  type StreamHandler,
  StreamRequestHandler,
  TcpServer,
  UdpServer,
  UnixDatagramServer,
  UnixStreamServer,
} from 'socketkit/server';
import type { Socket } from 'socketkit/socket';
// The root re-exports the same declarations.
import * as root from 'socketkit';

// Handlers: a stream handler gets the connection and its context; a datagram handler the
// packet and a context that answers. Either may return a promise or nothing.
expectTypeOf<StreamHandler>().parameters.toEqualTypeOf<[Socket, ConnectionContext]>();
expectTypeOf<StreamHandler>().returns.toEqualTypeOf<Promise<void> | void>();
expectTypeOf<DatagramHandler>().parameters.toEqualTypeOf<[Buffer, DatagramContext]>();
expectTypeOf<DatagramHandler>().returns.toEqualTypeOf<Promise<void> | void>();
expectTypeOf<ConnectionContext['signal']>().toEqualTypeOf<AbortSignal>();
expectTypeOf<ConnectionContext['remote']>().toEqualTypeOf<PeerAddress>();
expectTypeOf<ConnectionContext['transport']>().toEqualTypeOf<'tcp' | 'tls' | 'unix'>();
expectTypeOf<DatagramContext['transport']>().toEqualTypeOf<'udp' | 'unix-dgram'>();
expectTypeOf<DatagramContext['reply']>().returns.toEqualTypeOf<Promise<void>>();
expectTypeOf<DatagramContext['send']>().returns.toEqualTypeOf<void>();

// Servers take a handler function or a handler class of their kind.
const echo: StreamHandler = async (conn) => conn.sendAll(await conn.recv(1024));
const answer: DatagramHandler = (packet, ctx) => ctx.send(packet);
new TcpServer({ port: 0, handler: echo });
new TcpServer({ port: 0, handler: () => {} });
new UnixStreamServer({ path: '/tmp/x.sock', handler: echo });
new UdpServer({ port: 0, handler: answer });
new UnixDatagramServer({ path: '/tmp/x.dgram', handler: answer });
class Upper extends StreamRequestHandler {
  override async handle(): Promise<void> {
    expectTypeOf(this.socket).toEqualTypeOf<Socket>();
    await this.socket.sendAll((await this.socket.recv(1024)).toString().toUpperCase());
  }
}
class Pong extends DatagramRequestHandler {
  override async handle(): Promise<void> {
    await this.reply('pong');
  }
}
new TcpServer({ port: 0, handler: Upper });
new UdpServer({ port: 0, handler: Pong });
// @ts-expect-error: a datagram handler cannot serve streams
new TcpServer({ port: 0, handler: answer });

// Errors: one tree, each with a stable string code.
expectTypeOf<SocketkitError>().toMatchTypeOf<Error>();
expectTypeOf<SocketkitError['code']>().toEqualTypeOf<string>();
expectTypeOf<InvalidArgumentError>().toMatchTypeOf<SocketkitError>();
expectTypeOf<SocketError>().toMatchTypeOf<SocketkitError>();
expectTypeOf<ConnectError>().toMatchTypeOf<SocketError>();
expectTypeOf<ConnectionRefusedError>().toMatchTypeOf<ConnectError>();
expectTypeOf<SocketTimeoutError>().toMatchTypeOf<SocketError>();
expectTypeOf<IncompleteReadError>().toMatchTypeOf<SocketError>();
expectTypeOf<DecoderError>().toMatchTypeOf<SocketkitError>();
expectTypeOf<FrameTooLongError>().toMatchTypeOf<DecoderError>();
expectTypeOf<CorruptFrameError>().toMatchTypeOf<DecoderError>();
expectTypeOf(root.SocketkitError).toEqualTypeOf<typeof SocketkitError>();
expectTypeOf(root.TcpServer).toEqualTypeOf<typeof TcpServer>();

// Internals are not part of the surface.
// @ts-expect-error: fromSystemError stays inside the library
void root.fromSystemError;
// @ts-expect-error: so does the channel publisher
void root.publish;
