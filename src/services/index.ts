/**
 * `socketkit/services`: every service the superserver runs, to mount on your own servers.
 * Each `…Service` is a `ServiceDefinition` (what `socketkit serve` uses: name, default
 * port, options, `create()` → stream and datagram handlers); the handlers and factories
 * beside it build the same handlers directly, with typed options.
 *
 * ```ts
 * import { TcpServer } from 'socketkit/server';
 * import { createChat } from 'socketkit/services';
 * const { stream } = await createChat({ bus: 'memory' });
 * const server = await new TcpServer({ port: 7777, handler: stream }).listen();
 * ```
 *
 * Named exports only: this list is the public surface (api/socketkit.api.md records it).
 * Importing it loads no CLI code and no Redis client (`ioredis` is loaded when a chat bus
 * or an exec nonce store names Redis).
 * @module
 */
export type { ServiceDefinition, ServiceEnv, ServiceInstance, ServiceOption } from './service.js';
export type { WebEndpoint } from './service.js';
export { allServices, findService, optInServices, services } from './registry.js';

// RFC 862–868: one definition and its handlers each.
export { chargenService, chargenStream, createChargenDatagram } from './chargen/index.js';
export { daytimeDatagram, daytimeService, daytimeStream } from './daytime/index.js';
export { discardDatagram, discardService, discardStream } from './discard/index.js';
export { echoDatagram, echoService, echoStream } from './echo/index.js';
export {
  createQotdDatagram,
  createQotdStream,
  DEFAULT_QUOTE,
  encodeQuote,
  qotdService,
} from './qotd/index.js';
export { timeDatagram, timeService, timeStream } from './time/index.js';

// chat: the hub, its buses and the per-connection session (docs/chat.md).
export {
  type BusHandlers,
  type ChatEvent,
  type ChatEventKind,
  ChatHub,
  type ChatHubOptions,
  chatService,
  ChatSession,
  chatWebEndpoint,
  type ChatWebOptions,
  createChat,
  type LineSink,
  MemoryBus,
  type MemoryChatLimits,
  MemoryChatStore,
  type MessageBus,
  type Presence,
  type SequencedEvent,
  serveChatWebSocket,
  type SessionLimits,
  type WebSocketSessionOptions,
} from './chat/index.js';

// exec: the client, the server's pieces and its errors (docs/exec.md).
export {
  type AllowedCommand,
  type ConfineMode,
  type Confinement,
  type ConfinementOptions,
  createExecDatagramHandler,
  createExecStreamHandler,
  detectConfinement,
  encodeRequest,
  EXEC_DEFAULT_PORT,
  type ExecClientOptions,
  type ExecDatagramHandlerOptions,
  type ExecEnd,
  ExecEngine,
  type ExecEngineOptions,
  type ExecRefusal,
  ExecRefusedError,
  ExecReplyError,
  type ExecReplyFrame,
  type ExecRequest,
  type ExecRequestHeader,
  execService,
  ExecSession,
  type ExecStreamHandlerOptions,
  execUdp,
  FileNonceStore,
  type FileNonceStoreOptions,
  MemoryNonceStore,
  type MemoryNonceStoreOptions,
  type NonceStore,
  type OutputSink,
  type PreauthGate,
  type ProcessLimit,
  ReplayGuard,
  type ReplayGuardOptions,
  type SignedRequest,
  signRequest,
} from './exec/index.js';

// SNTP (RFC 4330): the responder, its handler, and a client.
export {
  type Clock,
  createSntpHandler,
  HrClock,
  type LeapIndicatorValue,
  SNTP_DEFAULT_PORT,
  SntpResponder,
  type SntpResponderOptions,
  type SntpDropReason,
  sntpService,
  type SntpStats,
} from './sntp/index.js';
export { querySntp, type SntpQueryOptions, type SntpResult } from './sntp/sntp-client.js';

// strftime: the time-format service of the tutorials (S7).
export {
  createStrftimeHandlers,
  STRFTIME_DEFAULT_PORT,
  type StrftimeOptions,
  type StrftimeResponder,
  strftimeService,
  TimeFormatter,
  type TimeFormatterOptions,
} from './strftime/index.js';

// Proxies: SOCKS5/4a and HTTP, and the destination policy they share (docs/proxy.md).
export {
  DestinationPolicy,
  type DestinationPolicyOptions,
  DestinationRefusedError,
  type RefusalReason,
} from './destination-policy.js';
export { httpProxyService } from './http-proxy/index.js';
export { socksService } from './socks/index.js';
