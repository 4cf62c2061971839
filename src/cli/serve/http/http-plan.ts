/**
 * What `serve --http` (or a config file's `http:` key) asks for: where the HTTP side
 * listens, how it is protected and its limits. Plain data, checked once when built (the
 * same parsers as every other serve flag), so the HTTP side has nothing left to validate.
 * Documented in docs/observability.md.
 * @module
 */
import { resolve } from 'node:path';
import {
  parseInteger,
  parsePort,
  parseSeconds,
  parseString,
  parseStringList,
  ServeUsageError,
} from '../option-values.js';

/** The port of the HTTP side in the default set (`npm start`), before `--port-offset`. */
export const DEFAULT_HTTP_PORT = 7080;

/** Limits of the HTTP side, with their defaults (each has a flag and a config key). */
export const HTTP_LIMIT_DEFAULTS = {
  /** Sockets open at once (requests, SSE streams and WebSockets together). */
  maxConnections: 64,
  /** Dashboard event streams (SSE) open at once; more get 503. */
  maxSseClients: 16,
  /** Seconds a client has to send its request headers (Node's `headersTimeout`). */
  headerTimeout: 10,
  /** Bytes of request line + headers (Node's `maxHeaderSize`); more get 431. */
  maxHeaderSize: 8192,
  /** Largest WebSocket message a browser endpoint accepts (ws `maxPayload`). */
  wsMaxPayload: 64 * 1024,
  /** Chat rooms that get their own `room` label in /metrics; the rest count as "other". */
  maxRoomLabels: 50,
};

/** The HTTP side's plan. */
export interface HttpPlan {
  host: string;
  port: number;
  /** A file holding the bearer token (required when `host` is not loopback). */
  tokenFile?: string;
  /** Serve HTTPS with these PEM files (read at start). */
  tls?: { cert: string; key: string };
  /** Host names accepted in the `Host` header beyond loopback and `host` itself. */
  allowHosts: string[];
  maxConnections: number;
  maxSseClients: number;
  headerTimeout: number;
  maxHeaderSize: number;
  wsMaxPayload: number;
  maxRoomLabels: number;
}

/** The raw inputs of a plan: flag strings or config values. */
export interface HttpInputs {
  host?: unknown;
  port?: unknown;
  tokenFile?: unknown;
  tlsCert?: unknown;
  tlsKey?: unknown;
  allowHosts?: unknown;
  maxConnections?: unknown;
  maxSseClients?: unknown;
  headerTimeout?: unknown;
  maxHeaderSize?: unknown;
  wsMaxPayload?: unknown;
  maxRoomLabels?: unknown;
}

/** True for an address only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Checks the inputs and builds the plan. `names` maps each input to the flag or config
 * key an error should name (`--http-host`, `http.host`).
 * @param baseDir relative file paths resolve against it (a config file's folder).
 * @throws {ServeUsageError}
 */
export function buildHttpPlan(
  inputs: HttpInputs,
  names: (key: keyof HttpInputs) => string,
  baseDir = process.cwd(),
): HttpPlan {
  const d = HTTP_LIMIT_DEFAULTS;
  const int = (key: keyof HttpInputs, fallback: number, min: number, max: number): number =>
    inputs[key] === undefined ? fallback : parseInteger(names(key), inputs[key], min, max);
  const host = inputs.host === undefined ? '127.0.0.1' : parseString(names('host'), inputs.host);
  if (inputs.port === undefined) throw new ServeUsageError(`${names('port')} is required`);
  const plan: HttpPlan = {
    host,
    port: parsePort(names('port'), inputs.port),
    allowHosts:
      inputs.allowHosts === undefined
        ? []
        : parseStringList(names('allowHosts'), inputs.allowHosts).map((h) => h.toLowerCase()),
    maxConnections: int('maxConnections', d.maxConnections, 1, 100_000),
    maxSseClients: int('maxSseClients', d.maxSseClients, 1, 10_000),
    headerTimeout:
      inputs.headerTimeout === undefined
        ? d.headerTimeout
        : parseSeconds(names('headerTimeout'), inputs.headerTimeout),
    maxHeaderSize: int('maxHeaderSize', d.maxHeaderSize, 1024, 1024 * 1024),
    wsMaxPayload: int('wsMaxPayload', d.wsMaxPayload, 1024, 64 * 1024 * 1024),
    maxRoomLabels: int('maxRoomLabels', d.maxRoomLabels, 0, 10_000),
  };
  if (inputs.tokenFile !== undefined)
    plan.tokenFile = resolve(baseDir, parseString(names('tokenFile'), inputs.tokenFile));
  if ((inputs.tlsCert === undefined) !== (inputs.tlsKey === undefined))
    throw new ServeUsageError(`${names('tlsCert')} and ${names('tlsKey')} go together`);
  if (inputs.tlsCert !== undefined && inputs.tlsKey !== undefined) {
    plan.tls = {
      cert: resolve(baseDir, parseString(names('tlsCert'), inputs.tlsCert)),
      key: resolve(baseDir, parseString(names('tlsKey'), inputs.tlsKey)),
    };
  }
  // The dashboard and /metrics show client addresses: off this machine, only with a token.
  if (!isLoopbackHost(host) && plan.tokenFile === undefined) {
    throw new ServeUsageError(
      `${names('host')} ${host} exposes the dashboard and /metrics (they show client addresses) beyond this machine: give ${names('tokenFile')} FILE too (a secret token; add TLS with ${names('tlsCert')}/${names('tlsKey')})`,
    );
  }
  return plan;
}

/** The flag each input comes from. */
export const HTTP_FLAG_NAMES: Record<keyof HttpInputs, string> = {
  host: '--http-host',
  port: '--http',
  tokenFile: '--http-token-file',
  tlsCert: '--http-tls-cert',
  tlsKey: '--http-tls-key',
  allowHosts: '--http-allow-host',
  maxConnections: '--http-max-connections',
  maxSseClients: '--http-max-sse',
  headerTimeout: '--http-header-timeout',
  maxHeaderSize: '--http-max-header-size',
  wsMaxPayload: '--http-ws-max-payload',
  maxRoomLabels: '--http-max-room-labels',
};

/** The config keys under `http:`. */
export const HTTP_CONFIG_KEYS = [
  'host',
  'port',
  'tokenFile',
  'tls',
  'allowHosts',
  'maxConnections',
  'maxSseClients',
  'headerTimeout',
  'maxHeaderSize',
  'wsMaxPayload',
  'maxRoomLabels',
] as const;
