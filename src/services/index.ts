/**
 * `socketkit/services`: every service the superserver runs, to mount on your own servers.
 * Each `…Service` is a `ServiceDefinition` (what `socketkit serve` uses: name, default
 * port, options, `create()` → stream and datagram handlers); the factories below build
 * the handlers directly with typed options.
 *
 * ```ts
 * import { TcpServer } from 'socketkit/server';
 * import { createChat } from 'socketkit/services';
 * const { stream } = await createChat({ bus: 'memory' });
 * const server = await new TcpServer({ port: 7777, handler: stream! }).listen();
 * ```
 * @module
 */
export type { ServiceDefinition, ServiceEnv, ServiceInstance, ServiceOption } from './service.js';
export { allServices, findService, optInServices, services } from './registry.js';

export { chargenService } from './chargen/index.js';
export { daytimeService } from './daytime/index.js';
export { discardService } from './discard/index.js';
export { echoService } from './echo/index.js';
export { qotdService } from './qotd/index.js';
export { timeService } from './time/index.js';

export { ChatHub, type ChatHubOptions, chatService, createChat, MemoryBus } from './chat/index.js';
export { type ExecClientOptions, ExecSession, execService, execUdp } from './exec/index.js';
export { createSntpHandler, sntpService } from './sntp/index.js';
export { querySntp, type SntpQueryOptions, type SntpResult } from './sntp/sntp-client.js';
export {
  createStrftimeHandlers,
  type StrftimeOptions,
  strftimeService,
  TimeFormatter,
} from './strftime/index.js';
