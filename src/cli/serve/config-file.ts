/**
 * `socketkit serve --config FILE`: a YAML or JSON file that lists services, each with
 * its own listeners, TLS and limits. Every key is checked; an unknown or bad one is an
 * error that names it (`socketkit.yaml: services[1].prot: unknown key (did you mean
 * "port"?)`). The format is documented in docs/serve.md; examples/socketkit.yaml is a
 * complete sample.
 *
 * ```yaml
 * host: 127.0.0.1            # default host for every service
 * services:
 *   - service: echo
 *     port: 7007             # TCP and UDP, as the service speaks them
 *   - service: qotd
 *     port: 7017
 *     transports: [tcp]
 *     options: { message: "welcome to server!" }
 * http:                      # optional: dashboard, /metrics, browser pages
 *   port: 7080               # (docs/observability.md: every key)
 * ```
 * @module
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { findService } from '../../services/registry.js';
import { closestMatch } from '../closest-match.js';
import { buildHttpPlan, HTTP_CONFIG_KEYS, type HttpPlan } from './http/http-plan.js';
import { unknownServiceMessage } from './unknown-service.js';
import {
  parseBoolean,
  parseInteger,
  parsePort,
  parseSeconds,
  parseString,
  parseStringList,
  resolveServiceOptions,
  ServeUsageError,
} from './option-values.js';
import {
  DEFAULT_HOST,
  type ListenerPlan,
  networkListeners,
  type ServicePlan,
  type TlsPlan,
} from './serve-plan.js';

const TOP_KEYS = ['host', 'services', 'http'] as const;
const SERVICE_KEYS = [
  'service',
  'host',
  'port',
  'transports',
  'unix',
  'unixDgram',
  'tls',
  'maxConnections',
  'maxConnectionsPerIp',
  'acceptRate',
  'acceptBurst',
  'handshakeTimeout',
  'backlog',
  'idleTimeout',
  'processes',
  'maxPacketSize',
  'datagramRate',
  'datagramBurst',
  'datagramSources',
  'allow',
  'deny',
  'proxyProtocol',
  'proxyProtocolTimeout',
  'options',
] as const;
const TLS_KEYS = ['cert', 'key', 'ca', 'requestCert'] as const;

/** What a config file asks `serve` to run. */
export interface ServeConfig {
  plans: ServicePlan[];
  /** The `http:` section (the HTTP side), if any. */
  http?: HttpPlan;
}

/** Reads, parses and checks a config file. @throws {ServeUsageError} naming the file and key. */
export async function loadConfigFile(file: string, portOffset = 0): Promise<ServicePlan[]> {
  return (await loadServeConfig(file, portOffset)).plans;
}

/** {@link loadConfigFile}, with the `http:` section. @throws {ServeUsageError} */
export async function loadServeConfig(file: string, portOffset = 0): Promise<ServeConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ServeUsageError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ServeUsageError(
      `${basename(file)}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
  try {
    const baseDir = dirname(resolve(file));
    const plans = parseConfig(data, baseDir, portOffset);
    const http = parseHttpSection(data, baseDir, portOffset);
    return http === undefined ? { plans } : { plans, http };
  } catch (err) {
    if (err instanceof ServeUsageError)
      throw new ServeUsageError(`${basename(file)}: ${err.message}`);
    throw err;
  }
}

/**
 * Checks parsed config data and turns it into service plans.
 * @param baseDir relative TLS file paths are resolved against it (the config file's folder).
 */
export function parseConfig(data: unknown, baseDir: string, portOffset = 0): ServicePlan[] {
  const top = asObject('the top level', data);
  checkKeys('', top, TOP_KEYS);
  const host = top.host === undefined ? DEFAULT_HOST : parseString('host', top.host);
  if (!Array.isArray(top.services) || top.services.length === 0) {
    throw new ServeUsageError('services must be a non-empty list of services to run');
  }
  return top.services.map((entry: unknown, i: number) =>
    parseEntry(entry, `services[${i}]`, host, baseDir, portOffset),
  );
}

/**
 * The top level's `http:` section (the HTTP side: docs/observability.md), or undefined.
 * Its port moves with `--port-offset` like the services' (0 stays 0).
 */
export function parseHttpSection(
  data: unknown,
  baseDir: string,
  portOffset = 0,
): HttpPlan | undefined {
  const top = asObject('the top level', data);
  if (top.http === undefined) return undefined;
  const h = asObject('http', top.http);
  checkKeys('http', h, HTTP_CONFIG_KEYS);
  let tls: { cert?: unknown; key?: unknown } = {};
  if (h.tls !== undefined) {
    const t = asObject('http.tls', h.tls);
    checkKeys('http.tls', t, ['cert', 'key']);
    tls = t;
  }
  const plan = buildHttpPlan(
    { ...h, tlsCert: tls.cert, tlsKey: tls.key },
    (key) =>
      key === 'tlsCert' ? 'http.tls.cert' : key === 'tlsKey' ? 'http.tls.key' : `http.${key}`,
    baseDir,
  );
  if (plan.port !== 0 && portOffset !== 0) {
    const port = plan.port + portOffset;
    if (port < 1 || port > 65535)
      throw new ServeUsageError(`http.port ${plan.port} + --port-offset is out of range`);
    plan.port = port;
  }
  return plan;
}

function parseEntry(
  entry: unknown,
  at: string,
  defaultHost: string,
  baseDir: string,
  portOffset: number,
): ServicePlan {
  const e = asObject(at, entry);
  checkKeys(at, e, SERVICE_KEYS);
  const name = parseString(`${at}.service`, e.service);
  const service = findService(name);
  if (!service) {
    throw new ServeUsageError(`${at}.service: ${unknownServiceMessage(name)}`);
  }
  const host = e.host === undefined ? defaultHost : parseString(`${at}.host`, e.host);
  const tls = e.tls === undefined ? undefined : parseTls(`${at}.tls`, e.tls, baseDir);
  let transports: ('tcp' | 'udp')[] | undefined;
  if (e.transports !== undefined) {
    transports = parseStringList(`${at}.transports`, e.transports).map((t) => {
      if (t !== 'tcp' && t !== 'udp')
        throw new ServeUsageError(`${at}.transports: ${JSON.stringify(t)} is not tcp or udp`);
      if (!service.transports.includes(t))
        throw new ServeUsageError(`${at}.transports: ${service.name} does not speak ${t}`);
      return t;
    });
  }
  const listeners: ListenerPlan[] = [];
  const unixOnly =
    e.port === undefined &&
    transports === undefined &&
    (e.unix !== undefined || e.unixDgram !== undefined);
  if (!unixOnly) {
    const port = offsetPort(
      `${at}.port`,
      e.port === undefined ? service.defaultPort : parsePort(`${at}.port`, e.port),
      portOffset,
    );
    if (transports === undefined)
      listeners.push(...networkListeners(service, host, port, undefined, tls !== undefined));
    else
      for (const t of transports)
        listeners.push({ kind: t === 'tcp' && tls ? 'tls' : t, host, port });
  }
  if (e.unix !== undefined) {
    if (!service.transports.includes('tcp'))
      throw new ServeUsageError(`${at}.unix: ${service.name} has no stream side`);
    listeners.push({ kind: 'unix', path: resolve(baseDir, parseString(`${at}.unix`, e.unix)) });
  }
  if (e.unixDgram !== undefined) {
    if (!service.transports.includes('udp'))
      throw new ServeUsageError(`${at}.unixDgram: ${service.name} has no datagram side`);
    listeners.push({
      kind: 'unix-dgram',
      path: resolve(baseDir, parseString(`${at}.unixDgram`, e.unixDgram)),
    });
  }
  if (listeners.length === 0) throw new ServeUsageError(`${at}: nothing to listen on`);
  const given = e.options === undefined ? {} : asObject(`${at}.options`, e.options);
  const declared = (service.options ?? []).map((o) => o.key);
  checkKeys(`${at}.options`, given, declared);
  const plan: ServicePlan = {
    service,
    options: resolveServiceOptions(service, given, (key) => `${at}.options.${key}`),
    listeners,
    limits: {},
  };
  if (tls) plan.tls = tls;
  if (e.maxConnections !== undefined)
    plan.limits.maxConnections = parseInteger(
      `${at}.maxConnections`,
      e.maxConnections,
      1,
      1_000_000,
    );
  if (e.maxConnectionsPerIp !== undefined)
    plan.limits.maxConnectionsPerIp = parseInteger(
      `${at}.maxConnectionsPerIp`,
      e.maxConnectionsPerIp,
      0,
      1_000_000,
    );
  if (e.acceptRate !== undefined)
    plan.limits.acceptRate = parseInteger(`${at}.acceptRate`, e.acceptRate, 0, 1_000_000);
  if (e.acceptBurst !== undefined)
    plan.limits.acceptBurst = parseInteger(`${at}.acceptBurst`, e.acceptBurst, 1, 1_000_000);
  if (e.handshakeTimeout !== undefined)
    plan.limits.handshakeTimeout = parseSeconds(`${at}.handshakeTimeout`, e.handshakeTimeout);
  if (e.backlog !== undefined)
    plan.limits.backlog = parseInteger(`${at}.backlog`, e.backlog, 1, 2_147_483_647);
  if (e.idleTimeout !== undefined)
    plan.limits.idleTimeout = parseSeconds(`${at}.idleTimeout`, e.idleTimeout);
  if (e.processes !== undefined)
    plan.limits.processes = parseInteger(`${at}.processes`, e.processes, 1, 256);
  if (e.maxPacketSize !== undefined)
    plan.limits.maxPacketSize = parseInteger(`${at}.maxPacketSize`, e.maxPacketSize, 1, 65535);
  if (e.datagramRate !== undefined)
    plan.limits.datagramRate = parseInteger(`${at}.datagramRate`, e.datagramRate, 0, 1_000_000);
  if (e.datagramBurst !== undefined)
    plan.limits.datagramBurst = parseInteger(`${at}.datagramBurst`, e.datagramBurst, 1, 1_000_000);
  if (e.datagramSources !== undefined)
    plan.limits.datagramSources = parseInteger(
      `${at}.datagramSources`,
      e.datagramSources,
      1,
      1_000_000,
    );
  if (e.allow !== undefined) plan.limits.allow = parseStringList(`${at}.allow`, e.allow);
  if (e.deny !== undefined) plan.limits.deny = parseStringList(`${at}.deny`, e.deny);
  if (e.proxyProtocol !== undefined) {
    plan.limits.proxyProtocol = parseStringList(`${at}.proxyProtocol`, e.proxyProtocol);
  }
  if (e.proxyProtocolTimeout !== undefined) {
    if (e.proxyProtocol === undefined)
      throw new ServeUsageError(`${at}.proxyProtocolTimeout needs ${at}.proxyProtocol`);
    plan.limits.proxyProtocolTimeout = parseSeconds(
      `${at}.proxyProtocolTimeout`,
      e.proxyProtocolTimeout,
    );
  }
  return plan;
}

function parseTls(at: string, raw: unknown, baseDir: string): TlsPlan {
  const t = asObject(at, raw);
  checkKeys(at, t, TLS_KEYS);
  const tls: TlsPlan = {
    cert: resolve(baseDir, parseString(`${at}.cert`, t.cert)),
    key: resolve(baseDir, parseString(`${at}.key`, t.key)),
  };
  if (t.ca !== undefined) tls.ca = resolve(baseDir, parseString(`${at}.ca`, t.ca));
  if (t.requestCert !== undefined)
    tls.requestCert = parseBoolean(`${at}.requestCert`, t.requestCert);
  return tls;
}

/**
 * `--port-offset` moves every port of the file, the ones written in it too (docs/serve.md
 * says they combine); port 0 (a free port) stays 0.
 */
function offsetPort(at: string, port: number, portOffset: number): number {
  if (port === 0 || portOffset === 0) return port;
  const moved = port + portOffset;
  if (moved < 1 || moved > 65535) {
    throw new ServeUsageError(
      `${at}: --port-offset ${portOffset} puts port ${port} on ${moved}, outside 1…65535`,
    );
  }
  return moved;
}

function asObject(at: string, raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ServeUsageError(`${at} must be a mapping of keys to values`);
  }
  return raw as Record<string, unknown>;
}

function checkKeys(at: string, obj: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const near = closestMatch(key, known, 2);
    const hint = near
      ? `did you mean "${near}"?`
      : known.length === 0
        ? 'this service takes no options'
        : `known: ${known.join(', ')}`;
    throw new ServeUsageError(`${at ? `${at}.` : ''}${key}: unknown key (${hint})`);
  }
}
