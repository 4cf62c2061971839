// Type tests of socketkit/services (see socket.test-d.ts: checked by `npm run typecheck`,
// never run): each service's definition and handlers mount on the program's own servers.
import { expectTypeOf } from 'expect-type';
import { type DatagramHandler, type StreamHandler, TcpServer, UdpServer } from 'socketkit/server';
import {
  type ChatHub,
  chatService,
  createChat,
  createExecStreamHandler,
  createSntpHandler,
  createStrftimeHandlers,
  daytimeDatagram,
  echoDatagram,
  echoStream,
  type ExecEnd,
  type WebEndpoint,
  ExecEngine,
  ExecSession,
  execService,
  querySntp,
  type ServiceDefinition,
  type ServiceInstance,
  services,
  sntpService,
  type SntpResult,
  SntpResponder,
  strftimeService,
} from 'socketkit/services';

// Definitions, as `socketkit serve` runs them.
for (const def of [chatService, execService, sntpService, strftimeService]) {
  expectTypeOf(def).toEqualTypeOf<ServiceDefinition>();
}
expectTypeOf(services).toMatchTypeOf<readonly ServiceDefinition[]>();
expectTypeOf<ReturnType<ServiceDefinition['create']>>().toEqualTypeOf<
  ServiceInstance | Promise<ServiceInstance>
>();
expectTypeOf<ServiceInstance['stream']>().toEqualTypeOf<StreamHandler | undefined>();
expectTypeOf<ServiceInstance['datagram']>().toEqualTypeOf<DatagramHandler | undefined>();

// Handlers, built directly and mounted on any server.
expectTypeOf(echoStream).toEqualTypeOf<StreamHandler>();
expectTypeOf(echoDatagram).toEqualTypeOf<DatagramHandler>();
expectTypeOf(daytimeDatagram).toEqualTypeOf<DatagramHandler>();
expectTypeOf(createChat).returns.resolves.toEqualTypeOf<{
  hub: ChatHub;
  stream: StreamHandler;
  web: WebEndpoint;
}>();
expectTypeOf<WebEndpoint['page']>().toEqualTypeOf<string>();
expectTypeOf(createSntpHandler).returns.toEqualTypeOf<{
  handler: DatagramHandler;
  responder: SntpResponder;
}>();
expectTypeOf(createStrftimeHandlers)
  .returns.toHaveProperty('stream')
  .toEqualTypeOf<StreamHandler>();
expectTypeOf(createStrftimeHandlers)
  .returns.toHaveProperty('datagram')
  .toEqualTypeOf<DatagramHandler>();
expectTypeOf(createExecStreamHandler).parameter(0).toEqualTypeOf<ExecEngine>();
new TcpServer({ port: 0, handler: echoStream });
new UdpServer({ port: 0, handler: createSntpHandler().handler });
new TcpServer({ port: 0, handler: createStrftimeHandlers().stream });

// Clients.
expectTypeOf(querySntp).returns.resolves.toEqualTypeOf<SntpResult>();
expectTypeOf(ExecSession.connect).returns.resolves.toEqualTypeOf<ExecSession>();
expectTypeOf<ExecSession['run']>().returns.resolves.toEqualTypeOf<ExecEnd>();
