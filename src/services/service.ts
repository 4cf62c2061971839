/**
 * What a service is to the superserver (`socketkit serve`): a name, the transports it
 * speaks, its options, and a factory for its handlers. Each service lives in
 * `src/services/<name>/index.ts`, uses only the public `server`/`framing`/`socket`
 * API, and exports one `ServiceDefinition`.
 * @module
 */
import type { DatagramHandler, StreamHandler } from '../server/handler-types.js';

/** One command-line option of a service (also a key in `serve --config`). */
export interface ServiceOption {
  /** Commander flag syntax, e.g. `--message <text>` or `--history <n>`. */
  flags: string;
  description: string;
  /** The key in the parsed options object (camelCase of the long flag). */
  key: string;
  defaultValue?: string | number | boolean;
  /** Turns the raw flag/config value into the option's value; throws InvalidArgumentError. */
  parse?: (raw: string) => unknown;
}

/** What the superserver hands a service when it starts it. */
export interface ServiceEnv {
  /** Aborted when the superserver shuts down. */
  signal: AbortSignal;
  /**
   * The service's own log function (the CLI decides where it goes). An event that a
   * client (or an outage) can repeat at will carries `fields.repeat`, a key: `serve` then
   * writes the first in full and summarises the next ones (one line per 10 s at most).
   */
  log: (
    level: 'error' | 'warn' | 'info' | 'debug',
    message: string,
    fields?: Record<string, unknown>,
  ) => void;
}

/** A running service's handlers. */
export interface ServiceInstance {
  /** Serves TCP, TLS and Unix stream connections. */
  stream?: StreamHandler;
  /** Serves UDP and Unix datagrams. */
  datagram?: DatagramHandler;
  /** Releases what the service holds (timers, bus connections). */
  close?(): Promise<void>;
  /**
   * A browser endpoint: `serve --http` serves `page` at `/<service name>` and hands each
   * WebSocket upgraded at `/<service name>/ws` (after its Host and Origin checks) to
   * `accept`.
   */
  web?: WebEndpoint;
}

/** What a service offers a browser (see ServiceInstance.web). */
export interface WebEndpoint {
  /** The page's HTML: self-contained, no external resources. */
  page: string;
  /** Takes over one WebSocket (the `ws` package's) whose upgrade passed the checks. */
  accept(socket: import('ws').WebSocket, request: import('node:http').IncomingMessage): void;
}

/** A service the superserver can run. */
export interface ServiceDefinition {
  name: string;
  /** One line, shown in `serve --help` and the listening table. */
  description: string;
  /** The RFC or document the wire format follows, if any. */
  rfc?: string;
  /** The unprivileged port `socketkit serve` uses by default. */
  defaultPort: number;
  /** The transports it speaks; Unix stream follows `tcp`, Unix datagram follows `udp`. */
  transports: readonly ('tcp' | 'udp')[];
  /**
   * True for a service that answers any datagram (echo, chargen, daytime, …): its UDP
   * listeners then drop datagrams from source ports below 1024, inetd's rule, so that one
   * spoofed datagram cannot make it and another such service answer each other for ever.
   * (Per-source rate limits apply to every UDP service; see `serve --datagram-rate`.)
   */
  ignorePrivilegedPorts?: boolean;
  options?: readonly ServiceOption[];
  create(
    options: Record<string, unknown>,
    env: ServiceEnv,
  ): ServiceInstance | Promise<ServiceInstance>;
  /** A one-line command a person can paste to try the service (`nc 127.0.0.1 7007`). */
  tryIt?(host: string, port: number, transport: 'tcp' | 'udp'): string;
  /**
   * The same for a Unix socket (`path` is already shell-quoted). Default: the `tryIt` line
   * with `HOST PORT` replaced by `-U PATH` when it has them, else `nc [-u] -U PATH`.
   */
  tryItUnix?(path: string, kind: 'unix' | 'unix-dgram'): string;
}
