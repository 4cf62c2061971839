// Type tests of socketkit/server and socketkit/errors (see socket.test-d.ts: checked by
// `npm run typecheck`, never run).
import { expectTypeOf } from 'expect-type';
import {
  ConnectError,
  ConnectionRefusedError,
  CorruptFrameError,
  DecoderError,
  type ErrorCode,
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
// A handler class of one kind does not type-check as the other kind, on any server.
// @ts-expect-error: a stream handler class cannot serve datagrams
new UdpServer({ port: 0, handler: Upper });
// @ts-expect-error: a stream handler class cannot serve Unix datagrams
new UnixDatagramServer({ path: '/tmp/x.dgram', handler: Upper });
// @ts-expect-error: a datagram handler class cannot serve streams
new TcpServer({ port: 0, handler: Pong });
// @ts-expect-error: a datagram handler class cannot serve Unix streams
new UnixStreamServer({ path: '/tmp/x.sock', handler: Pong });
// @ts-expect-error: a stream handler function cannot serve datagrams
new UdpServer({ port: 0, handler: echo });

// Errors: one tree, each with a stable code from the ErrorCode union.
expectTypeOf<SocketkitError>().toMatchTypeOf<Error>();
expectTypeOf<SocketkitError['code']>().toEqualTypeOf<ErrorCode>();
expectTypeOf<'ERR_FRAME_TOO_LONG'>().toMatchTypeOf<ErrorCode>();
expectTypeOf<'ERR_INVALID_STATE'>().toMatchTypeOf<ErrorCode>();
// @ts-expect-error: a made-up code is not one of them
expectTypeOf<'ERR_NO_SUCH_THING'>().toMatchTypeOf<ErrorCode>();
declare const anyError: SocketkitError;
if (anyError.code === 'ERR_SOCKET_TIMEOUT')
  expectTypeOf(anyError.code).toEqualTypeOf<'ERR_SOCKET_TIMEOUT'>();
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

// Even empty handler classes, which differ only in what they inherit, stay apart.
class NopStream extends StreamRequestHandler {}
class NopDatagram extends DatagramRequestHandler {}
new TcpServer({ port: 0, handler: NopStream });
new UdpServer({ port: 0, handler: NopDatagram });
// @ts-expect-error: an empty stream handler class is still no datagram handler
new UdpServer({ port: 0, handler: NopStream });
// @ts-expect-error: an empty datagram handler class is still no stream handler
new TcpServer({ port: 0, handler: NopDatagram });

// Each server takes its own address options, not the other transport's.
new TcpServer({ host: '::', port: 0, ipv6Only: true, noDelay: false, handler: echo });
new UnixStreamServer({ path: '/tmp/x.sock', idleTimeout: 5, handler: echo });
// @ts-expect-error: a Unix stream server has no port
new UnixStreamServer({ path: '/tmp/x.sock', port: 7, handler: echo });
// @ts-expect-error: nor TCP_NODELAY
new UnixStreamServer({ path: '/tmp/x.sock', noDelay: true, handler: echo });
// @ts-expect-error: a Unix stream server needs its path
new UnixStreamServer({ handler: echo });
// @ts-expect-error: a TCP server has no path
new TcpServer({ path: '/tmp/x.sock', handler: echo });
// @ts-expect-error: a Unix datagram server has no host
new UnixDatagramServer({ path: '/tmp/x.dgram', host: '127.0.0.1', handler: answer });
// @ts-expect-error: a UDP server has no path
new UdpServer({ path: '/tmp/x.dgram', handler: answer });

// The cluster's worker arrangements are not public.
declare const unixStream: UnixStreamServer;
declare const unixDatagram: UnixDatagramServer;
// @ts-expect-error: internal (src/server/worker-arrangements.ts)
unixStream.assumePathClaimed();
// @ts-expect-error: internal (src/server/worker-arrangements.ts)
unixDatagram.relayThrough({ onDatagram() {}, sendTo() {} });

// Every server closes gracefully with close() (= shutdown()) and abruptly with destroy().
expectTypeOf(unixStream.close).returns.resolves.toEqualTypeOf<void>();
expectTypeOf(unixStream.destroy).returns.resolves.toEqualTypeOf<void>();
expectTypeOf(unixDatagram.destroy).returns.resolves.toEqualTypeOf<void>();

// serveForever() and handleRequest() wait: they take { signal } like every waiting operation.
declare const stopSignal: AbortSignal;
void unixStream.serveForever({ signal: stopSignal });
void unixDatagram.handleRequest({ signal: stopSignal });
