/**
 * `socks`: a SOCKS5 proxy server (RFC 1928) with optional user/password authentication
 * (RFC 1929), and SOCKS4/4a for old clients when no password is required. CONNECT, and
 * UDP ASSOCIATE with `--socks-udp` (BIND is answered "command not supported"). Names are resolved here,
 * through the library's resolver, and every destination passes the destination policy
 * (`destination-policy.ts`): internal addresses are refused unless allowed.
 * Opt-in: never in `serve`'s default set.
 *
 * @see https://www.rfc-editor.org/rfc/rfc1928
 * @see https://www.rfc-editor.org/rfc/rfc1929
 * @example
 * ```sh
 * socketkit serve socks --allow-destination 127.0.0.0/8
 * curl --socks5-hostname 127.0.0.1:1080 http://127.0.0.1:8000/
 * ```
 * @module
 */
import { InvalidArgumentError } from '../../errors.js';
import { IdleSweeper } from '../../internal/idle-sweeper.js';
import { type Credentials, loadCredentials } from '../credentials-file.js';
import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_TUNNEL_IDLE_TIMEOUT,
  destinationOptions,
  exposureWarning,
  policyFromOptions,
} from '../destination-policy.js';
import type { ServiceDefinition, ServiceOption } from '../service.js';
import { socksHandler } from './socks-session.js';

export { socksHandler, type SocksConfig } from './socks-session.js';

/** The options of `serve socks` (the destination ones are shared with `http-proxy`). */
export const socksOptions: readonly ServiceOption[] = [
  {
    flags: '--socks-users <file>',
    key: 'socksUsers',
    description:
      'socks: require user/password (RFC 1929) from FILE of user:password lines; no-auth and SOCKS4 are then refused',
  },
  {
    flags: '--socks-udp',
    key: 'socksUdp',
    description:
      'socks: serve UDP ASSOCIATE too (a UDP relay port per client, same destination policy; default: refused)',
  },
  ...destinationOptions,
];

const seconds = (raw: unknown, fallback: number): number =>
  raw === undefined ? fallback : Number(raw);

/** The SOCKS proxy for `socketkit serve`. */
export const socksService: ServiceDefinition = {
  name: 'socks',
  description:
    'SOCKS5 proxy (CONNECT, optional user/password; SOCKS4a) with a destination policy (opt-in)',
  rfc: 'RFC 1928',
  defaultPort: 1080,
  transports: ['tcp'],
  options: socksOptions,
  async create(options, env) {
    const policy = policyFromOptions(options);
    let credentials: Credentials | null = null;
    if (options.socksUsers !== undefined) {
      if (typeof options.socksUsers !== 'string') {
        throw new InvalidArgumentError('--socks-users takes a file name');
      }
      credentials = await loadCredentials(options.socksUsers, '--socks-users', (m) =>
        env.log('warn', `socks: ${m}`),
      );
    }
    const exposed =
      credentials === null ? exposureWarning(options, 'socks', '--socks-users') : null;
    if (exposed !== null) env.log('warn', exposed);
    const idleTimeout = seconds(options.tunnelIdleTimeout, DEFAULT_TUNNEL_IDLE_TIMEOUT);
    const idle = idleTimeout > 0 ? new IdleSweeper(idleTimeout) : undefined;
    const stream = socksHandler({
      policy,
      credentials,
      connectTimeout: seconds(options.connectTimeout, DEFAULT_CONNECT_TIMEOUT),
      requestTimeout: seconds(options.requestTimeout, DEFAULT_REQUEST_TIMEOUT),
      socks4: true,
      udp: options.socksUdp === true || options.socksUdp === 'true',
      idleTimeout,
      idle,
      log: env.log,
      ...(options.sendProxyProtocol !== undefined
        ? { sendProxyProtocol: options.sendProxyProtocol as 1 | 2 }
        : {}),
    });
    return {
      stream,
      close: () => {
        idle?.stop();
        return Promise.resolve();
      },
    };
  },
  tryIt: (host, port) => `curl --socks5-hostname ${host}:${port} http://example.com/`,
};
