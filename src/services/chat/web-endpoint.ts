/**
 * The chat's browser endpoint ({@link WebEndpoint}): the page, and `accept` for each
 * WebSocket the HTTP side (`serve --http`) upgraded at `/chat/ws` after its Host and
 * Origin checks. A browser joins the same hub as the TCP clients, so it is in the same
 * rooms, here and on every node of the same bus.
 *
 * ```
 *  accept(ws, request) ─► per-address cap and accept rate (AddressLimits, as a stream
 *        │                server's; refused: a notice, close 1013)
 *        └─► serveChatWebSocket(hub, ws, …) ─► hub.accept ─► the same ChatSession as TCP
 * ```
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { AddressLimits } from '../../server/address-limits.js';
import type { PeerAddress } from '../../server/handler-types.js';
import { toPeerAddress } from '../../socket/address.js';
import type { WebEndpoint } from '../service.js';
import type { ChatHub } from './hub.js';
import { CHAT_PAGE } from './web-page.js';
import { refuseWebSocket, serveChatWebSocket, WS_CLOSE } from './web-socket-session.js';

/** The browser endpoint's limits (the `--web-*` options of the chat service). */
export interface ChatWebOptions {
  /** Seconds between keepalive pings; an unanswered ping cuts the browser (0: none). Default 30. */
  pingInterval?: number;
  /** Browsers at once from one address (an IPv6 client: its /64); 0: no limit. Default 32. */
  maxPerIp?: number;
  /** New browser connections a second from one address; 0: no limit. Default 10. */
  acceptRate?: number;
  /** Aborted when the server shuts down: browsers are told and leave. */
  signal?: AbortSignal;
}

/** Defaults of {@link ChatWebOptions}. */
export const DEFAULT_CHAT_WEB_OPTIONS = { pingInterval: 30, maxPerIp: 32, acceptRate: 10 };

/** The browser's address as socketkit reports peers (a Unix socket: no address). */
function peerOf(request: IncomingMessage): PeerAddress {
  const s = request.socket;
  if (s.remoteAddress === undefined) return { family: 'unix', path: '' };
  return toPeerAddress(s.remoteAddress, s.remotePort, s.remoteFamily);
}

/** How a browser's address reads in the chat's logs. */
function describe(peer: PeerAddress): string {
  if (peer.family === 'unix') return 'web unix';
  return peer.family === 'IPv6'
    ? `web [${peer.address}]:${peer.port}`
    : `web ${peer.address}:${peer.port}`;
}

/**
 * Creates the browser endpoint of `hub`.
 * @throws {InvalidArgumentError} for a bad limit.
 */
export function chatWebEndpoint(hub: ChatHub, options: ChatWebOptions = {}): WebEndpoint {
  const limits = new AddressLimits({
    maxConnectionsPerIp: options.maxPerIp ?? DEFAULT_CHAT_WEB_OPTIONS.maxPerIp,
    acceptRate: options.acceptRate ?? DEFAULT_CHAT_WEB_OPTIONS.acceptRate,
  });
  const pingInterval = options.pingInterval ?? DEFAULT_CHAT_WEB_OPTIONS.pingInterval;
  return {
    page: CHAT_PAGE,
    accept(ws: WebSocket, request: IncomingMessage): void {
      const peer = peerOf(request);
      const key = limits.keyOf(peer);
      if (key !== null) {
        const refusal = limits.admit(key);
        if (refusal !== null) {
          refuseWebSocket(
            ws,
            refusal === 'maxConnectionsPerIp'
              ? 'too many connections from your address: try again later'
              : 'connecting too fast from your address: try again later',
            WS_CLOSE.tryAgainLater,
          );
          return;
        }
      }
      void serveChatWebSocket(hub, ws, describe(peer), {
        pingInterval,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      }).finally(() => {
        if (key !== null) limits.release(key);
      });
    },
  };
}
