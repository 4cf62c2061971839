/**
 * `socketkit/resolve`: host and service name look-ups with the names and results of
 * Python's `socket` module — `gethostname`, `gethostbyname`, `gethostbynameEx`,
 * `gethostbyaddr`, `getfqdn`, `getservbyname`, `getservbyport`, `getaddrinfo` —
 * promise-based, with timeouts and errors from the socketkit error tree.
 *
 * @example
 * ```ts
 * import { gethostbyname, gethostname } from 'socketkit/resolve';
 * console.log(await gethostbyname(gethostname())); // the local IP (seed S11)
 * ```
 * @module
 */
export {
  type AddrInfo,
  type AddrInfoFamily,
  type AddrInfoFlags,
  type AddrInfoSocketType,
  type GetAddrInfoOptions,
  getaddrinfo,
} from './getaddrinfo.js';
export { getfqdn, gethostbyaddr } from './gethostbyaddr.js';
export { gethostbyname, gethostbynameEx, gethostname, type HostEntry } from './gethostbyname.js';
export {
  DEFAULT_LOOKUP_TIMEOUT,
  type LookupOptions,
  type ResolvedAddress,
  type Resolver,
  systemResolver,
} from './lookup-options.js';
export {
  getServiceEntry,
  getservbyname,
  getservbyport,
  type ServiceLookupOptions,
} from './service-names.js';
export type { ServiceEntry, ServicesDatabase } from './services-file.js';
