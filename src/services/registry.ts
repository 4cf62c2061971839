/**
 * The services `socketkit serve` knows, in the order `serve --list` and the listening
 * table show them. `socketkit serve` with no name runs all of them, each on its
 * `defaultPort`. A new service is added here by the change that makes it work.
 * @module
 */
import { chargenService } from './chargen/index.js';
import { chatService } from './chat/index.js';
import { daytimeService } from './daytime/index.js';
import { discardService } from './discard/index.js';
import { echoService } from './echo/index.js';
import { execService } from './exec/index.js';
import { httpProxyService } from './http-proxy/index.js';
import { qotdService } from './qotd/index.js';
import type { ServiceDefinition } from './service.js';
import { sntpService } from './sntp/index.js';
import { socksService } from './socks/index.js';
import { strftimeService } from './strftime/index.js';
import { timeService } from './time/index.js';

/** Every service the superserver can run. */
export const services: ServiceDefinition[] = [
  echoService,
  discardService,
  daytimeService,
  qotdService,
  chargenService,
  timeService,
  strftimeService,
  sntpService,
  chatService,
];

/**
 * Services that run only when named (`socketkit serve exec …` or a config entry), never
 * in the default set: remote exec must be configured on purpose (docs/exec.md), and a
 * proxy is a door into the network it runs in (docs/proxy.md).
 */
export const optInServices: ServiceDefinition[] = [execService, socksService, httpProxyService];

/** Every service, the default set first, then the opt-in ones (`serve --list`, flags). */
export const allServices: ServiceDefinition[] = [...services, ...optInServices];

/** The service called `name` (case-insensitive), or `undefined`. */
export function findService(name: string): ServiceDefinition | undefined {
  const wanted = name.toLowerCase();
  return allServices.find((s) => s.name === wanted);
}
