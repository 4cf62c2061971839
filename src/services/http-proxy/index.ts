/**
 * `http-proxy`: an HTTP proxy server — CONNECT tunnels (RFC 9110 §9.3.6) and plain-HTTP
 * forwarding of absolute-URI requests (RFC 9112 §3.2.2) — with optional Basic
 * authentication (`Proxy-Authorization`, RFC 9110 §11.7), a strict request parser with
 * bounded heads and a header timeout, and the destination policy it shares with `socks`
 * (internal addresses refused unless allowed). Opt-in: never in `serve`'s default set.
 *
 * @example
 * ```sh
 * socketkit serve http-proxy --allow-destination 127.0.0.0/8
 * curl -x http://127.0.0.1:3128 http://127.0.0.1:8000/       # forwarded
 * curl -p -x http://127.0.0.1:3128 http://127.0.0.1:8000/    # through a CONNECT tunnel
 * ```
 * @module
 */
import { InvalidArgumentError } from '../../errors.js';
import { type Credentials, loadCredentials } from '../credentials-file.js';
import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_TUNNEL_IDLE_TIMEOUT,
  destinationOptions,
  exposureWarning,
  policyFromOptions,
} from '../destination-policy.js';
import { integerOption } from '../number-option.js';
import type { ServiceDefinition, ServiceOption } from '../service.js';
import { httpProxyHandler } from './proxy-session.js';

export { type HttpProxyConfig, httpProxyHandler } from './proxy-session.js';

/** The default limit on a request's line and header fields together, in bytes. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
/** The default limit on a request's header fields. */
export const DEFAULT_MAX_HEADERS = 100;

/** The options of `serve http-proxy` (the destination ones are shared with `socks`). */
export const httpProxyOptions: readonly ServiceOption[] = [
  {
    flags: '--proxy-users <file>',
    key: 'proxyUsers',
    description:
      'http-proxy: require Basic auth (Proxy-Authorization) from FILE of user:password lines',
  },
  {
    flags: '--max-header-bytes <n>',
    key: 'maxHeaderBytes',
    defaultValue: DEFAULT_MAX_HEADER_BYTES,
    description: `http-proxy: request line and header fields at most N bytes; more is answered 431 (default ${DEFAULT_MAX_HEADER_BYTES})`,
    parse: integerOption('max-header-bytes', 256, 1 << 20),
  },
  {
    flags: '--max-headers <n>',
    key: 'maxHeaders',
    defaultValue: DEFAULT_MAX_HEADERS,
    description: `http-proxy: at most N header fields; more is answered 431 (default ${DEFAULT_MAX_HEADERS})`,
    parse: integerOption('max-headers', 1, 10_000),
  },
  ...destinationOptions,
];

const num = (raw: unknown, fallback: number): number =>
  raw === undefined ? fallback : Number(raw);

/** The HTTP proxy for `socketkit serve`. */
export const httpProxyService: ServiceDefinition = {
  name: 'http-proxy',
  description:
    'HTTP proxy (CONNECT tunnels, plain forwarding, optional Basic auth) with a destination policy (opt-in)',
  rfc: 'RFC 9110',
  defaultPort: 3128,
  transports: ['tcp'],
  options: httpProxyOptions,
  async create(options, env) {
    const policy = policyFromOptions(options);
    let credentials: Credentials | null = null;
    if (options.proxyUsers !== undefined) {
      if (typeof options.proxyUsers !== 'string') {
        throw new InvalidArgumentError('--proxy-users takes a file name');
      }
      credentials = await loadCredentials(options.proxyUsers, '--proxy-users', (m) =>
        env.log('warn', `http-proxy: ${m}`),
      );
    }
    const exposed =
      credentials === null ? exposureWarning(options, 'http-proxy', '--proxy-users') : null;
    if (exposed !== null) env.log('warn', exposed);
    const idleTimeout = num(options.tunnelIdleTimeout, DEFAULT_TUNNEL_IDLE_TIMEOUT);
    const stream = httpProxyHandler({
      policy,
      credentials,
      connectTimeout: num(options.connectTimeout, DEFAULT_CONNECT_TIMEOUT),
      requestTimeout: num(options.requestTimeout, DEFAULT_REQUEST_TIMEOUT),
      maxHeaderBytes: num(options.maxHeaderBytes, DEFAULT_MAX_HEADER_BYTES),
      maxHeaders: num(options.maxHeaders, DEFAULT_MAX_HEADERS),
      idleTimeout,
      log: env.log,
      ...(options.sendProxyProtocol !== undefined
        ? { sendProxyProtocol: options.sendProxyProtocol as 1 | 2 }
        : {}),
    });
    return { stream };
  },
  tryIt: (host, port) => `curl -x http://${host}:${port} http://example.com/`,
};
