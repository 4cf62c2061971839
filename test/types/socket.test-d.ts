// Type tests of socketkit/socket and socketkit/framing, as a user imports them. They run
// in `npm run typecheck` (tsc --noEmit over test/): a wrong type fails the build, and
// `@ts-expect-error` lines fail when the error they expect goes away. Nothing here runs.
import { expectTypeOf } from 'expect-type';
import {
  type Codec,
  type Decoder,
  DelimiterCodec,
  FixedLengthCodec,
  FrameReader,
  LengthPrefixedCodec,
  LineCodec,
  NetstringCodec,
} from 'socketkit/framing';
import {
  type Accepted,
  connectThroughProxy,
  type Datagram,
  DatagramSocket,
  type DatagramTransport,
  Listener,
  type RelayEndpoint,
  relayPair,
  type RelayResult,
  type RelaySide,
  Socket,
  type SocketAddress,
  type StartTlsOptions,
  type TlsConnectOptions,
  UnixDatagramSocket,
} from 'socketkit/socket';

declare const sock: Socket;

// Reads resolve with bytes; sends take bytes or text.
expectTypeOf(sock.recv).parameter(0).toEqualTypeOf<number>();
expectTypeOf(sock.recv).returns.resolves.toEqualTypeOf<Buffer>();
expectTypeOf(sock.recvExactly).returns.resolves.toEqualTypeOf<Buffer>();
expectTypeOf(sock.recvUntil).returns.resolves.toEqualTypeOf<Buffer>();
expectTypeOf(sock.recvUntil).parameter(0).toEqualTypeOf<Uint8Array | string>();
expectTypeOf(sock.send).parameter(0).toEqualTypeOf<Uint8Array | string>();
expectTypeOf(sock.send).returns.resolves.toEqualTypeOf<number>();
expectTypeOf(sock.sendAll).returns.resolves.toEqualTypeOf<void>();
expectTypeOf(sock.close).returns.resolves.toEqualTypeOf<void>();
expectTypeOf(Socket.createConnection).returns.resolves.toEqualTypeOf<Socket>();
expectTypeOf(sock).toMatchTypeOf<AsyncIterable<Buffer>>();
expectTypeOf(sock).toMatchTypeOf<AsyncDisposable>();

// STARTTLS: the same socket, upgraded in place; options as connect's TLS, plus the name to check.
expectTypeOf(sock.startTls).returns.resolves.toEqualTypeOf<void>();
expectTypeOf(sock.startTls).parameter(0).toEqualTypeOf<StartTlsOptions | undefined>();
expectTypeOf<StartTlsOptions['host']>().toEqualTypeOf<string | undefined>();
expectTypeOf<StartTlsOptions['timeout']>().toEqualTypeOf<number | null | undefined>();
void sock.startTls({ host: 'mail.test', tls: { rejectUnauthorized: false }, timeout: 10 });
// The pin works on every TLS client path: startTls and connectThroughProxy's tls too.
expectTypeOf<StartTlsOptions['tls']>().toEqualTypeOf<TlsConnectOptions | undefined>();
expectTypeOf<
  NonNullable<Parameters<typeof connectThroughProxy>[0]['tls']>
>().toEqualTypeOf<TlsConnectOptions>();
// @ts-expect-error: the TLS options go in `tls`, not beside it
void sock.startTls({ ca: 'pem' });
// @ts-expect-error: a number is not data to send
void sock.sendAll(42);

// Every waiting operation takes { signal } last, in one shape.
declare const signal: AbortSignal;
void sock.recv(10, { signal });
void sock.recvExactly(10, { signal });
void sock.recvUntil('\n', { maxBytes: 100, signal });
void sock.frames(new LineCodec(), { signal });
void sock.chunks({ signal });
void sock.send('x', { signal });
void sock.sendAll('x', { signal });
void sock.sendFrame(new LineCodec(), 'x', { signal });
void sock.shutdown('write', { signal });
void sock.connect({ host: '127.0.0.1', port: 7 }, { signal, timeout: 5 });
void sock.connectEx({ host: '127.0.0.1', port: 7 }, { signal });
void Socket.createConnection({ host: '127.0.0.1', port: 7 }, { signal });
declare const listenerForSignal: Listener;
void listenerForSignal.accept({ signal });
declare const anyDatagram: DatagramTransport;
void anyDatagram.recvFrom(10, { signal });
void anyDatagram.recv(10, { signal });
void anyDatagram.sendTo('x', { host: '127.0.0.1', port: 7 }, { signal });
void anyDatagram.send('x', { signal });
expectTypeOf(listenerForSignal.connections({ signal })).toEqualTypeOf<
  AsyncIterableIterator<Accepted>
>();
expectTypeOf(anyDatagram.datagrams({ signal, maxBytes: 512 })).toEqualTypeOf<
  AsyncIterableIterator<Datagram>
>();
void sock.close({ wait: true, signal });
// @ts-expect-error: a signal goes in the options object, not as a bare argument
void sock.recv(10, signal);

// The operation timeout is in seconds and named apart from Node's setTimeout(ms).
expectTypeOf(sock.setOperationTimeout).parameter(0).toEqualTypeOf<number | null>();
expectTypeOf(sock.getOperationTimeout).returns.toEqualTypeOf<number | null>();
// @ts-expect-error: renamed (Node's net.Socket.setTimeout is an idle timer in milliseconds)
sock.setTimeout(5);
// close() graceful, destroy() abrupt, on every socket.
expectTypeOf(sock.destroy).returns.toEqualTypeOf<void>();
expectTypeOf(listenerForSignal.destroy).returns.toEqualTypeOf<void>();
expectTypeOf(anyDatagram.destroy).returns.toEqualTypeOf<void>();

// frames(codec) yields the codec's frame type.
expectTypeOf(sock.frames(new LineCodec())).toEqualTypeOf<AsyncIterableIterator<string>>();
expectTypeOf(sock.frames(new LineCodec({ encoding: null }))).toEqualTypeOf<
  AsyncIterableIterator<Buffer>
>();
expectTypeOf(sock.frames(new DelimiterCodec({ delimiters: ['\0'] }))).toEqualTypeOf<
  AsyncIterableIterator<Buffer>
>();
expectTypeOf(
  sock.frames(new DelimiterCodec({ delimiters: ['\0'], encoding: 'utf8' })),
).toEqualTypeOf<AsyncIterableIterator<string>>();
expectTypeOf(sock.frames(new LengthPrefixedCodec())).toEqualTypeOf<AsyncIterableIterator<Buffer>>();
expectTypeOf(sock.frames(new NetstringCodec())).toEqualTypeOf<AsyncIterableIterator<Buffer>>();
expectTypeOf(sock.frames(new FixedLengthCodec({ frameLength: 4 }))).toEqualTypeOf<
  AsyncIterableIterator<Buffer>
>();
declare const custom: Decoder<{ id: number }>;
expectTypeOf(sock.frames(custom)).toEqualTypeOf<AsyncIterableIterator<{ id: number }>>();
// sendFrame takes what the encoder encodes.
void sock.sendFrame(new LineCodec(), 'a line');
// @ts-expect-error: a line codec encodes text or bytes, not numbers
void sock.sendFrame(new LineCodec(), 42);
expectTypeOf<LineCodec>().toMatchTypeOf<Codec<string, Uint8Array | string>>();
const reader = new FrameReader(new LineCodec());
expectTypeOf(reader.next()).toEqualTypeOf<string | null>();
expectTypeOf(reader.drain()).toEqualTypeOf<string[]>();

// Listeners accept sockets.
declare const listener: Listener;
expectTypeOf(listener.accept).returns.resolves.toEqualTypeOf<Accepted>();
expectTypeOf<Accepted['socket']>().toEqualTypeOf<Socket>();
expectTypeOf(listener).toMatchTypeOf<AsyncIterable<Accepted>>();

// Datagrams: both kinds of datagram socket are one transport.
declare const udp: DatagramSocket;
expectTypeOf(udp.recvFrom).returns.resolves.toEqualTypeOf<Datagram>();
expectTypeOf<Datagram['data']>().toEqualTypeOf<Buffer>();
expectTypeOf(udp.sendTo).returns.resolves.toEqualTypeOf<number>();
expectTypeOf<DatagramSocket>().toMatchTypeOf<DatagramTransport>();
expectTypeOf<UnixDatagramSocket>().toMatchTypeOf<DatagramTransport>();
expectTypeOf<{ host: string; port: number }>().toMatchTypeOf<SocketAddress>();
expectTypeOf<{ path: string }>().toMatchTypeOf<SocketAddress>();

// relayPair relays between Sockets and anything that implements RelaySide; it never rejects.
declare const side: RelaySide;
expectTypeOf<Socket>().toMatchTypeOf<RelayEndpoint>();
expectTypeOf(relayPair(sock, side)).resolves.toEqualTypeOf<RelayResult>();
expectTypeOf<RelayResult['end']>().toEqualTypeOf<'done' | 'idle' | 'error' | 'aborted'>();
// @ts-expect-error: a plain Node stream is no relay side (adapt it to RelaySide)
void relayPair(sock, process.stdin);
// A TLS connect may pin the certificate by its SHA-256 fingerprint.
expectTypeOf<TlsConnectOptions['fingerprint256']>().toEqualTypeOf<string | undefined>();
expectTypeOf<{ tls: { fingerprint256: string } }>().toMatchTypeOf<
  Parameters<Socket['connect']>[1]
>();
