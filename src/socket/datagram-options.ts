/**
 * The UDP socket options Node can honour, behind `setOption`/`getOption`:
 * `SO_BROADCAST`, `SO_RCVBUF`, `SO_SNDBUF`, `IP_TTL`, `IP_MULTICAST_TTL`,
 * `IP_MULTICAST_LOOP`. libuv creates the descriptor only when the socket binds, and
 * Node throws on these calls before that, so options are remembered and applied once
 * bound. `SO_REUSEADDR` and `IPV6_V6ONLY` are constructor options (`reuseAddr`,
 * `ipv6Only`): they must be set before the socket exists.
 * @module
 */
import type * as dgram from 'node:dgram';
import {
  type ErrorAddress,
  fromSystemError,
  InvalidArgumentError,
  type SocketkitError,
  UnsupportedOptionError,
} from '../errors.js';

/** The option names `DatagramSocket.setOption`/`getOption` accept. */
export type DatagramOptionName =
  'SO_BROADCAST' | 'SO_RCVBUF' | 'SO_SNDBUF' | 'IP_TTL' | 'IP_MULTICAST_TTL' | 'IP_MULTICAST_LOOP';

const BOOLEAN_OPTIONS = new Set<string>(['SO_BROADCAST', 'IP_MULTICAST_LOOP']);
const NUMBER_OPTIONS = new Set<string>(['SO_RCVBUF', 'SO_SNDBUF', 'IP_TTL', 'IP_MULTICAST_TTL']);

/** True for the names `DatagramOptions` knows. */
export function isDatagramOption(name: string): name is DatagramOptionName {
  return BOOLEAN_OPTIONS.has(name) || NUMBER_OPTIONS.has(name);
}

/** Remembers a UDP socket's options and applies them once it is bound. */
export class DatagramOptions {
  readonly #values = new Map<DatagramOptionName, number | boolean>();

  /**
   * Remembers an option after checking it.
   * @throws {UnsupportedOptionError} for an unknown option; `InvalidArgumentError` for a bad value.
   */
  set(name: string, value: unknown): void {
    if (!isDatagramOption(name)) throw new UnsupportedOptionError(name);
    const isBool = BOOLEAN_OPTIONS.has(name);
    const ok = isBool
      ? typeof value === 'boolean'
      : typeof value === 'number' && Number.isInteger(value) && value >= 0;
    if (!ok) {
      throw new InvalidArgumentError(
        `${name} must be ${isBool ? 'a boolean' : 'a non-negative integer'}`,
      );
    }
    this.#values.set(name, value as number | boolean);
  }

  /**
   * Reads an option: buffer sizes from the kernel once bound, the others as set.
   * @throws {UnsupportedOptionError} for an unknown option.
   */
  get(name: string, sock: dgram.Socket, bound: boolean): number | boolean {
    if (!isDatagramOption(name)) throw new UnsupportedOptionError(name);
    if (bound && name === 'SO_RCVBUF') return sock.getRecvBufferSize();
    if (bound && name === 'SO_SNDBUF') return sock.getSendBufferSize();
    return this.#values.get(name) ?? (BOOLEAN_OPTIONS.has(name) ? false : 0);
  }

  /** Applies every remembered option to a bound socket; returns the first failure instead of throwing. */
  apply(sock: dgram.Socket, where: ErrorAddress): SocketkitError | null {
    for (const [name, value] of this.#values) {
      try {
        switch (name) {
          case 'SO_BROADCAST':
            sock.setBroadcast(value === true);
            break;
          case 'SO_RCVBUF':
            sock.setRecvBufferSize(Number(value));
            break;
          case 'SO_SNDBUF':
            sock.setSendBufferSize(Number(value));
            break;
          case 'IP_TTL':
            sock.setTTL(Number(value));
            break;
          case 'IP_MULTICAST_TTL':
            sock.setMulticastTTL(Number(value));
            break;
          case 'IP_MULTICAST_LOOP':
            sock.setMulticastLoopback(value === true);
            break;
        }
      } catch (err) {
        return fromSystemError(err, { ...where, syscall: 'setsockopt' });
      }
    }
    return null;
  }
}
