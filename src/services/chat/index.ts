/**
 * chat: a line-based multi-room chat (the tutorials' S9 chat room, production-grade).
 *
 * Works with `nc`, `telnet`, `ncat` and the tutorials' newline-less Python client;
 * the wire format is documented in protocol.ts and docs/chat.md. With
 * `--bus redis://host:port`, any number of processes form one chat.
 *
 * @example
 * ```sh
 * socketkit serve chat --port 7777
 * nc 127.0.0.1 7777
 * ```
 * @module
 */
import diagnostics from 'node:diagnostics_channel';
import { InvalidArgumentError } from '../../errors.js';
import { isServerWorker } from '../../server/cluster-messages.js';
import type { PeerAddress, StreamHandler } from '../../server/handler-types.js';
import { integerOption } from '../number-option.js';
import type { ServiceDefinition, ServiceEnv, ServiceOption, WebEndpoint } from '../service.js';
import type { MessageBus } from './bus.js';
import { serveChatConnection } from './connection.js';
import { ChatHub, type ChatHubOptions, DEFAULT_HUB_OPTIONS } from './hub.js';
import { MemoryBus } from './memory-bus.js';
import { chatWebEndpoint, DEFAULT_CHAT_WEB_OPTIONS } from './web-endpoint.js';

export type { BusHandlers, MessageBus, Presence } from './bus.js';
export { ChatSession, type LineSink, type SessionLimits } from './client-session.js';
export { serveChatConnection, socketSink } from './connection.js';
export { ChatHub, type ChatHubOptions, DEFAULT_HUB_OPTIONS } from './hub.js';
export { MemoryBus, type MemoryChatLimits, MemoryChatStore } from './memory-bus.js';
export {
  type ChatEvent,
  type ChatEventKind,
  compareEventIds,
  DEFAULT_ROOM,
  EOL,
  errorLine,
  escapeControls,
  formatEvent,
  historyLine,
  isHistoryEvent,
  MAX_NICK_LENGTH,
  MAX_ROOM_LENGTH,
  nickKey,
  normalizeNick,
  normalizeRoom,
  sanitizeLine,
  type SequencedEvent,
  serverLine,
  validateNick,
} from './protocol.js';
export { type ChatWebOptions, chatWebEndpoint, DEFAULT_CHAT_WEB_OPTIONS } from './web-endpoint.js';
export { CHAT_PAGE } from './web-page.js';
export { serveChatWebSocket, type WebSocketSessionOptions } from './web-socket-session.js';

/** Parses `memory` or `redis://host:port[/db]`. */
export function parseBusSpec(raw: string): string {
  if (raw === 'memory') return raw;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidArgumentError(`--bus must be "memory" or redis://host:port, got "${raw}"`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new InvalidArgumentError(`--bus must be "memory" or redis://host:port, got "${raw}"`);
  }
  // `redis:/host` and `redis:host` parse, with no host: refuse them here, not later as
  // a connection that is "closed".
  if (!/^rediss?:\/\//i.test(raw) || url.hostname === '') {
    const fixed = raw.replace(/^(rediss?):\/*/i, '$1://');
    throw new InvalidArgumentError(
      `--bus must be "memory" or redis://host:port, got "${raw}" (no host` +
        `${fixed === raw ? '' : `; did you mean "${fixed}"?`})`,
    );
  }
  return raw;
}

const L = DEFAULT_HUB_OPTIONS.limits;

/** The chat service's options (flags of `socketkit serve chat`). */
export const chatOptions: readonly ServiceOption[] = [
  {
    flags: '--bus <spec>',
    key: 'bus',
    description: 'memory, or redis://host:port to share the chat between processes',
    defaultValue: 'memory',
    parse: parseBusSpec,
  },
  {
    flags: '--bus-prefix <prefix>',
    key: 'busPrefix',
    description: 'Redis key prefix (one chat per prefix)',
    defaultValue: 'socketkit:chat',
  },
  {
    flags: '--bus-timeout-ms <ms>',
    key: 'busTimeoutMs',
    description:
      'Redis bus: a command or read unanswered this long means the bus is down (clients are told)',
    defaultValue: 2000,
    parse: integerOption('bus-timeout-ms', 50),
  },
  {
    flags: '--history <n>',
    key: 'history',
    description: 'messages replayed on join (0: none)',
    defaultValue: DEFAULT_HUB_OPTIONS.history,
    parse: integerOption('history', 0),
  },
  {
    flags: '--history-bytes <bytes>',
    key: 'historyBytes',
    description: 'bytes of history kept per room (with --history lines)',
    defaultValue: DEFAULT_HUB_OPTIONS.historyBytes,
    parse: integerOption('history-bytes', 0),
  },
  {
    flags: '--max-rooms <n>',
    key: 'maxRooms',
    description: 'rooms open at once; a join to a new room beyond it is refused with a notice',
    defaultValue: DEFAULT_HUB_OPTIONS.maxRooms,
    parse: integerOption('max-rooms', 1),
  },
  {
    flags: '--room-grace <s>',
    key: 'roomGrace',
    description: "seconds an empty room's history and topic are kept (0: forgotten at once)",
    defaultValue: DEFAULT_HUB_OPTIONS.roomGrace,
    parse: integerOption('room-grace', 0),
  },
  {
    flags: '--max-clients <n>',
    key: 'maxClients',
    description: 'clients at once on this node',
    defaultValue: DEFAULT_HUB_OPTIONS.maxClients,
    parse: integerOption('max-clients', 1),
  },
  {
    flags: '--max-line-length <bytes>',
    key: 'maxLineLength',
    description: 'longest line; longer ones are dropped with a notice',
    defaultValue: L.maxLineLength,
    parse: integerOption('max-line-length', 16),
  },
  {
    flags: '--flush-delay-ms <ms>',
    key: 'flushDelayMs',
    description: 'a partial line waiting this long is sent as a message (0: wait for the newline)',
    defaultValue: L.flushDelayMs,
    parse: integerOption('flush-delay-ms', 0),
  },
  {
    flags: '--rate-limit <lines/s>',
    key: 'rateLimit',
    description: 'sustained lines per second per client (0: no limit)',
    defaultValue: L.rateLimit,
    parse: integerOption('rate-limit', 0),
  },
  {
    flags: '--rate-burst <lines>',
    key: 'rateBurst',
    description: 'lines a client may send at once',
    defaultValue: L.rateBurst,
    parse: integerOption('rate-burst', 1),
  },
  {
    flags: '--max-queue <bytes>',
    key: 'maxQueue',
    description: 'bytes queued to a client before it is cut as a slow consumer',
    defaultValue: L.maxQueueBytes,
    parse: integerOption('max-queue', 1024),
  },
  {
    flags: '--chat-idle-timeout <s>',
    key: 'chatIdleTimeout',
    description: 'disconnect chat clients silent this long, with a notice (0: never)',
    defaultValue: L.idleTimeout,
    parse: integerOption('chat-idle-timeout', 0),
  },
  {
    flags: '--web-ping <s>',
    key: 'webPing',
    description:
      'browser chat: seconds between keepalive pings; a browser that missed the last one is cut (0: none)',
    defaultValue: DEFAULT_CHAT_WEB_OPTIONS.pingInterval,
    parse: integerOption('web-ping', 0),
  },
  {
    flags: '--web-max-per-ip <n>',
    key: 'webMaxPerIp',
    description: 'browser chat: connections at once from one address (0: no limit)',
    defaultValue: DEFAULT_CHAT_WEB_OPTIONS.maxPerIp,
    parse: integerOption('web-max-per-ip', 0),
  },
  {
    flags: '--web-accept-rate <n/s>',
    key: 'webAcceptRate',
    description: 'browser chat: new connections a second from one address (0: no limit)',
    defaultValue: DEFAULT_CHAT_WEB_OPTIONS.acceptRate,
    parse: integerOption('web-accept-rate', 0),
  },
  {
    flags: '--echo',
    key: 'echo',
    description: 'clients see their own messages by default',
    defaultValue: false,
  },
];

/** Reads option `key` whether the caller passed it raw (string), parsed, or not at all. */
function read<T>(options: Record<string, unknown>, key: string): T {
  const def = chatOptions.find((o) => o.key === key);
  const value = options[key] ?? def?.defaultValue;
  if (typeof value === 'string' && def?.parse !== undefined) return def.parse(value) as T;
  return value as T;
}

/** Turns service options into hub options. */
export function hubOptionsFrom(options: Record<string, unknown>): ChatHubOptions {
  return {
    history: read<number>(options, 'history'),
    maxClients: read<number>(options, 'maxClients'),
    maxRooms: read<number>(options, 'maxRooms'),
    historyBytes: read<number>(options, 'historyBytes'),
    roomGrace: read<number>(options, 'roomGrace'),
    limits: {
      maxLineLength: read<number>(options, 'maxLineLength'),
      flushDelayMs: read<number>(options, 'flushDelayMs'),
      rateLimit: read<number>(options, 'rateLimit'),
      rateBurst: read<number>(options, 'rateBurst'),
      maxQueueBytes: read<number>(options, 'maxQueue'),
      idleTimeout: read<number>(options, 'chatIdleTimeout'),
      echo: read<boolean>(options, 'echo') === true,
    },
  };
}

/** The limits a bus enforces (the same option keys for the memory bus and Redis). */
export interface BusLimits {
  /** History events kept per room (for Redis, the history stream's MAXLEN). */
  historyLimit?: number;
  /** Bytes of history kept per room. */
  historyBytes?: number;
  /** Rooms open at once. */
  maxRooms?: number;
  /** Seconds an empty room's history and topic are kept. */
  roomGrace?: number;
}

/** Creates the bus named by `spec` (`memory` or a Redis URL). */
export async function createBus(
  spec: string,
  options: BusLimits & {
    prefix?: string;
    /** Redis: a command or read unanswered this many milliseconds means the bus is down. */
    timeoutMs?: number;
    /** Redis: largest event read back (bytes). */
    maxEventBytes?: number;
  } = {},
): Promise<MessageBus> {
  const limits: BusLimits & { historyLimit: number } = {
    historyLimit: options.historyLimit ?? 1000,
    ...(options.historyBytes === undefined ? {} : { historyBytes: options.historyBytes }),
    ...(options.maxRooms === undefined ? {} : { maxRooms: options.maxRooms }),
    ...(options.roomGrace === undefined ? {} : { roomGrace: options.roomGrace }),
  };
  if (parseBusSpec(spec) === 'memory') return new MemoryBus(limits);
  // Loaded only when asked for: a memory-bus chat needs no Redis client.
  const { RedisBus } = await import('./redis-bus.js');
  return new RedisBus({
    url: spec,
    prefix: options.prefix ?? 'socketkit:chat',
    ...limits,
    ...(options.timeoutMs === undefined
      ? {}
      : { commandTimeoutMs: options.timeoutMs, readTimeoutMs: options.timeoutMs }),
    ...(options.maxEventBytes === undefined ? {} : { maxEventBytes: options.maxEventBytes }),
  });
}

/** How a peer address reads in logs. */
export function formatPeer(p: PeerAddress): string {
  if (p.family === 'unix') return p.path === '' ? 'unix' : `unix:${p.path}`;
  return p.family === 'IPv6' ? `[${p.address}]:${p.port}` : `${p.address}:${p.port}`;
}

/**
 * Creates a running chat hub, its stream handler and its browser endpoint (what
 * `create` returns): TCP clients and browsers join the same hub, so the same rooms.
 * @param signal aborted when the server shuts down (browsers are told and leave).
 */
export async function createChat(
  options: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<{ hub: ChatHub; stream: StreamHandler; web: WebEndpoint }> {
  const hubOptions = hubOptionsFrom(options);
  const bus = await createBus(read<string>(options, 'bus'), {
    prefix: read<string>(options, 'busPrefix'),
    historyLimit: Math.max(hubOptions.history, 1),
    historyBytes: hubOptions.historyBytes,
    maxRooms: hubOptions.maxRooms,
    roomGrace: hubOptions.roomGrace,
    timeoutMs: read<number>(options, 'busTimeoutMs'),
    // Escaping can make a line's text up to 4 times longer, plus the event's JSON.
    maxEventBytes: Math.max(64 * 1024, hubOptions.limits.maxLineLength * 8 + 1024),
  });
  const hub = new ChatHub(bus, hubOptions);
  await hub.start();
  const stream: StreamHandler = (conn, ctx) =>
    serveChatConnection(hub, conn, formatPeer(ctx.remote), ctx.signal);
  const web = chatWebEndpoint(hub, {
    pingInterval: read<number>(options, 'webPing'),
    maxPerIp: read<number>(options, 'webMaxPerIp'),
    acceptRate: read<number>(options, 'webAcceptRate'),
    ...(signal === undefined ? {} : { signal }),
  });
  return { hub, stream, web };
}

/**
 * Writes the hub's operator events to the service log: slow consumers cut, connections
 * lost (with their address: the log is the only place it goes), foreign-protocol
 * connections closed, the bus going down and up, and malformed bus events skipped
 * (summarised by the bus). Only this hub's events (several hubs may share a process).
 * @returns a function that stops logging.
 */
export function logChatEvents(hub: ChatHub, log: ServiceEnv['log']): () => void {
  const subscriptions: [string, (m: unknown) => void][] = [
    [
      'socketkit:chat:slow-consumer',
      (m) => {
        const e = m as {
          nick: string;
          remote: string;
          queued: number;
          limit: number;
          node: string;
        };
        if (e.node !== hub.nodeId) return;
        log(
          'warn',
          `chat: ${e.nick} (${e.remote}) cut as a slow consumer: ${e.queued} bytes unread, limit ${e.limit}`,
          // A client can have itself cut at will (and again, from many connections): the
          // first cut is written in full, the next ones summarised (ServeLogger.repeated).
          {
            nick: e.nick,
            remote: e.remote,
            queued: e.queued,
            repeat: 'slow-consumer',
          },
        );
      },
    ],
    [
      'socketkit:chat:lost',
      (m) => {
        const e = m as { nick: string; remote: string; detail: string; node: string };
        if (e.node !== hub.nodeId) return;
        log('info', `chat: ${e.nick} (${e.remote}) lost: ${e.detail}`, {
          nick: e.nick,
          remote: e.remote,
        });
      },
    ],
    [
      'socketkit:chat:foreign',
      (m) => {
        const e = m as { remote: string; protocol: string; node: string };
        if (e.node !== hub.nodeId) return;
        log('info', `chat: closed ${e.remote}: it opened with a ${e.protocol} greeting`, {
          remote: e.remote,
          protocol: e.protocol,
        });
      },
    ],
    [
      'socketkit:chat:bus',
      (m) => {
        const e = m as { status: string; reason?: string; missed?: boolean; node: string };
        if (e.node !== hub.nodeId) return;
        if (e.status === 'down') {
          log('warn', `chat bus down: ${e.reason ?? 'unreachable'}`, { reason: e.reason });
        } else {
          const missed = e.missed === true ? ' (some events may be missing)' : '';
          log('info', `chat bus up again${missed}`, { missed: e.missed === true });
        }
      },
    ],
    [
      'socketkit:chat:bad-event',
      (m) => {
        const e = m as { reason: string; id: string; node: string };
        if (e.node !== hub.nodeId) return;
        // Whoever writes to Redis can repeat these at will: summarised by the logger.
        log('warn', `chat bus: skipped a malformed event (entry ${e.id}): ${e.reason}`, {
          reason: e.reason,
          repeat: 'bad-event',
          repeatKind: e.reason.split(':')[0],
        });
      },
    ],
  ];
  for (const [name, fn] of subscriptions) diagnostics.subscribe(name, fn);
  return () => {
    for (const [name, fn] of subscriptions) diagnostics.unsubscribe(name, fn);
  };
}

/** The chat service for `socketkit serve`. */
export const chatService: ServiceDefinition = {
  name: 'chat',
  description:
    'chat: a multi-room line chat for nc/telnet/socketkit chat (--bus redis:// to scale out)',
  defaultPort: 7777,
  transports: ['tcp'],
  options: chatOptions,
  async create(options, env) {
    const { hub, stream, web } = await createChat(options, env.signal);
    env.log('info', 'chat hub started', { node: hub.nodeId });
    const stopLogging = logChatEvents(hub, env.log);
    if (isServerWorker() && read<string>(options, 'bus') === 'memory') {
      env.log(
        'warn',
        'with --processes N and the memory bus, each process is a separate chat: use --bus redis://…',
      );
    }
    return {
      stream,
      web,
      close: async () => {
        await hub.close();
        stopLogging();
      },
    };
  },
  tryIt: (host, port) => `socketkit chat ${host} ${port}`,
  // `socketkit chat` dials TCP only: on a Unix socket, the line protocol through connect.
  tryItUnix: (path) => `socketkit connect -U ${path}`,
};
