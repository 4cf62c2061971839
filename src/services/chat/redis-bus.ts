/**
 * A {@link MessageBus} over Redis: any number of chat processes, on any machines, form
 * one chat.
 *
 * ```
 *  <prefix>:events            stream  every event; XADD gives THE order all nodes follow
 *                                     (MAXLEN ~ streamLength)
 *  <prefix>:history:<room>    stream  messages/actions of a room, same ids; at most
 *                                     historyLimit entries and historyBytes bytes
 *  <prefix>:hbytes:<room>     counter bytes in history:<room> (the byte cap's book-keeping)
 *  <prefix>:topic:<room>      string  the room's topic
 *  <prefix>:roomnodes:<room>  hash    nodeId → deadline (ms): nodes with members there
 *  <prefix>:rooms             zset    room → deadline (ms): the open rooms (maxRooms)
 *  <prefix>:nick:<nick>       string  nodeId, PX ttlMs: a nickname's owner (heartbeat)
 *  <prefix>:node:<nodeId>     hash    nick → room of that node's members (PX ttlMs)
 *  <prefix>:nodes             zset    nodeId → last heartbeat (ms): who is alive
 *  <prefix>:guest             counter user<N> numbers
 *  <prefix>:epoch             string  changes when Redis lost its data (restart without persistence)
 * ```
 *
 * Rooms: every key of a room expires. A node with members in a room pushes the room's
 * deadline to `ttlMs + roomGrace` from now at each heartbeat; when its last member leaves
 * and no other live node has members there, the deadline becomes `roomGrace` from now.
 * Past the deadline the room is forgotten (its keys expire, the `rooms` entry is
 * removed) and a later join starts an empty room. Deadlines use Redis's clock (`TIME`
 * in the scripts), so nodes' clocks need not agree.
 *
 * Each node XREADs (BLOCK) the events stream from the last id it delivered, and delivers
 * every event, its own clients' included, in stream order: so all nodes agree on one
 * order per room. Everything read back is checked (bus-event.ts) before the hub sees
 * it; what fails is skipped and counted, never trusted and never fatal.
 *
 * Failures: commands time out after `commandTimeoutMs` (the connection is then cut and
 * made again), and a watchdog cuts an XREAD that has not answered `readTimeoutMs` after
 * its BLOCK ended, so a hung Redis
 * (SIGSTOP, a dead network path) is detected like a closed one. While down, `publish`
 * and the registry methods reject at once (the sender is told, no silent loss),
 * delivery pauses, and on reconnection resumes after the last delivered id; when events
 * may have been lost meanwhile (the stream was trimmed past that id, or Redis restarted
 * empty) the hub is told so (`missed`).
 * @module
 */
import { randomUUID } from 'node:crypto';
import { channel } from 'node:diagnostics_channel';
import { Redis } from 'ioredis';
import { type BusHandlers, busUnavailable, type MessageBus, type Presence } from './bus.js';
import {
  DEFAULT_MAX_EVENT_BYTES,
  isBusRoom,
  isValidPresence,
  parseBusEvent,
  parseBusTopic,
} from './bus-event.js';
import {
  type ChatEvent,
  compareEventIds,
  DEFAULT_ROOM,
  isHistoryEvent,
  nickKey,
  type SequencedEvent,
} from './protocol.js';

import {
  ADVANCE_GUEST_LUA,
  CLOSE_ROOM_LUA,
  OPEN_ROOM_LUA,
  PRUNE_ROOMS_LUA,
  PUBLISH_LUA,
  REFRESH_LUA,
  RELEASE_LUA,
} from './redis-scripts.js';
import { ignoreError } from '../../internal/ignore-error.js';

/** Published (summarised) when events read from the bus were malformed and skipped. */
const badEventChannel = channel('socketkit:chat:bad-event');

/** Options of {@link RedisBus}. */
export interface RedisBusOptions {
  /** `redis://host:port[/db]`. */
  url: string;
  /** Key prefix: one chat per prefix. */
  prefix: string;
  /** History kept per room, in messages (exact; 0: none). */
  historyLimit: number;
  /** History kept per room, in bytes of encoded events (default 64 KiB). */
  historyBytes?: number;
  /** Rooms open at once across all nodes, besides the default room (0: no cap; default 1000). */
  maxRooms?: number;
  /** Seconds an empty room (history, topic) is kept (default 60). */
  roomGrace?: number;
  /** Events kept in the shared stream, for nodes catching up after a cut (default 10000). */
  streamLength?: number;
  /** Milliseconds a node's registrations live without a heartbeat (default 15000). */
  ttlMs?: number;
  /** Milliseconds an XREAD blocks (bounds how long close() waits; default 1000). */
  blockMs?: number;
  /** Milliseconds a command may take before Redis is considered down (default 2000). */
  commandTimeoutMs?: number;
  /** Milliseconds an XREAD may overrun its BLOCK before Redis is considered hung (default 2000). */
  readTimeoutMs?: number;
  /** Largest encoded event read back; bigger ones are skipped (default 64 KiB). */
  maxEventBytes?: number;
}

/** The defaults of the optional {@link RedisBusOptions}. */
export const REDIS_BUS_DEFAULTS = {
  historyBytes: 64 * 1024,
  maxRooms: 1000,
  roomGrace: 60,
  streamLength: 10000,
  ttlMs: 15000,
  blockMs: 1000,
  commandTimeoutMs: 2000,
  readTimeoutMs: 2000,
  maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
} as const;

/** Longest stored topic read back, in characters (the /topic command keeps 200). */
const MAX_TOPIC_CHARS = 1000;

/** Milliseconds between two reports of skipped malformed events. */

const GUEST_RE = /^user(\d{1,15})$/;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** The publish script as an ioredis command (see `defineCommand` in the constructor). */
interface PublishCommand {
  skPublish(...args: (string | number)[]): Promise<unknown>;
}

/** Thrown by the watchdogs: Redis did not answer in time. */
class BusTimeout extends Error {}

/** The Redis-backed bus (see the module comment for the key layout). */
export class RedisBus implements MessageBus {
  readonly nodeId = randomUUID().slice(0, 12);
  readonly #o: Required<RedisBusOptions>;
  readonly #cmd: Redis;
  readonly #reader: Redis;
  #handlers: BusHandlers | null = null;
  #lastId = '0-0';
  #epoch = '';
  #closing = false;
  #down = false;
  #loop: Promise<void> = Promise.resolve();
  #heartbeat: NodeJS.Timeout | null = null;
  /** The highest `user<N>` number seen: the guest counter is raised past it after a Redis restart. */
  #maxGuest = 0;
  /** Redis's clock minus ours (ms), measured at start and by each heartbeat; null: unknown. */
  #clockOffset: number | null = null;
  /** Malformed events skipped since the last report, and the last reason. */

  constructor(options: RedisBusOptions) {
    this.#o = { ...REDIS_BUS_DEFAULTS, ...options };
    const redisOptions = {
      lazyConnect: true,
      // Fail fast while disconnected: a message is either sent or reported as not sent.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: this.#o.commandTimeoutMs,
      retryStrategy: (times: number) => Math.min(times * 100, 1000),
    };
    // A command Redis does not answer in time (hung, stopped) fails: the sender is told
    // (#timed: ioredis's own commandTimeout would also fire when only this process stalled).
    this.#cmd = new Redis(this.#o.url, redisOptions);
    // EVALSHA with a fallback to EVAL (ioredis): the hot path does not resend the script.
    this.#cmd.defineCommand('skPublish', { numberOfKeys: 3, lua: PUBLISH_LUA });
    // The reader's blocking XREAD has its own watchdog (#readLoop).
    this.#reader = new Redis(this.#o.url, redisOptions);
    // ioredis reports connection errors as events; the loop and callers handle them.
    this.#cmd.on('error', ignoreError('chat:redis-connection'));
    this.#reader.on('error', ignoreError('chat:redis-connection'));
  }

  #key(...parts: string[]): string {
    return [this.#o.prefix, ...parts].join(':');
  }

  #roomKeys(room: string): string[] {
    return [
      this.#key('rooms'),
      this.#key('roomnodes', room),
      this.#key('history', room),
      this.#key('hbytes', room),
      this.#key('topic', room),
    ];
  }

  async start(handlers: BusHandlers): Promise<void> {
    this.#handlers = handlers;
    try {
      await this.#watch(
        (async () => {
          await Promise.all([this.#cmd.connect(), this.#reader.connect()]);
          this.#epoch = await this.#readEpoch();
          const last = await this.#cmd.xrevrange(this.#key('events'), '+', '-', 'COUNT', 1);
          this.#lastId = last[0]?.[0] ?? '0-0';
          await this.#beat();
        })(),
        this.#o.commandTimeoutMs * 2,
        () => this.#cmd.disconnect(),
      );
    } catch (err) {
      this.#cmd.disconnect();
      this.#reader.disconnect();
      const reason = err instanceof Error ? err.message : String(err);
      throw busUnavailable(err, `cannot connect to ${this.#o.url} (${reason})`);
    }
    this.#heartbeat = setInterval(
      () => {
        if (this.#down) return;
        this.#timed(this.#beat()).catch((err: unknown) => {
          if (err instanceof BusTimeout) this.#markDown(err);
        });
      },
      Math.max(100, Math.floor(this.#o.ttlMs / 3)),
    );
    this.#heartbeat.unref();
    this.#loop = this.#readLoop();
  }

  async #readEpoch(): Promise<string> {
    const key = this.#key('epoch');
    await this.#cmd.set(key, randomUUID(), 'NX');
    return (await this.#cmd.get(key)) ?? '';
  }

  /**
   * Settles like `p`, or rejects with a {@link BusTimeout} after `ms` (and calls
   * `onTimeout`, which cuts the connection so the stuck commands are not left behind).
   *
   * When the timer fires, the answer may already be waiting in the socket: a loaded
   * machine can stall this process for longer than `ms`, and timers run before the poll
   * phase reads sockets. So the verdict waits for `setImmediate` (after the poll phase):
   * only a Redis that really did not answer is declared down.
   */
  async #watch<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const watchdog = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        setImmediate(() => {
          if (settled) return;
          onTimeout();
          reject(new BusTimeout(`Redis did not answer within ${ms} ms`));
        });
      }, ms);
      timer.unref();
    });
    // No catch here: Promise.race below takes the watchdog's rejection in this same tick.
    try {
      return await Promise.race([
        p.finally(() => {
          settled = true;
        }),
        watchdog,
      ]);
    } finally {
      clearTimeout(timer);
      // Timed out: a failure of the abandoned command comes after the caller got BusTimeout.
      if (!settled) p.catch(ignoreError('chat:bus-late-reply'));
    }
  }

  /**
   * A command (or several) on the command connection, with the command timeout: when
   * Redis does not answer, the connection is cut (every command waiting on it fails: a
   * publish among them has a deadline and stays unsent) and ioredis reconnects.
   */
  #timed<T>(p: Promise<T>, ms = this.#o.commandTimeoutMs): Promise<T> {
    return this.#watch(p, ms, () => this.#cmd.disconnect(true));
  }

  async #readLoop(): Promise<void> {
    const events = this.#key('events');
    while (!this.#closing) {
      try {
        if (this.#down) await this.#timed(this.#recover(), this.#o.commandTimeoutMs * 2);
        const reply = await this.#watch<[string, [string, string[]][]][] | null>(
          this.#reader.xread(
            'COUNT',
            1000,
            'BLOCK',
            this.#o.blockMs,
            'STREAMS',
            events,
            this.#lastId,
          ),
          this.#o.blockMs + this.#o.readTimeoutMs,
          // Drop the stuck connection (its XREAD is rejected); ioredis reconnects.
          () => this.#reader.disconnect(true),
        );
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            this.#lastId = id;
            this.#deliver(id, fields);
          }
        }
      } catch (err) {
        if (this.#closing) return;
        this.#markDown(err);
        await sleep(250);
      }
    }
  }

  /** Checks one entry and hands it to the hub; a bad entry (or a hub bug) is counted, not fatal. */
  #deliver(id: string, fields: string[]): void {
    const parsed = parseBusEvent(entryField(fields), this.#o.maxEventBytes);
    if ('error' in parsed) {
      this.#noteBad(id, parsed.error);
      return;
    }
    this.#noteGuest(parsed.event.nick);
    if (parsed.event.kind === 'nick') this.#noteGuest(parsed.event.text);
    try {
      this.#handlers?.onEvent({ id, event: parsed.event });
    } catch (err) {
      this.#noteBad(id, `delivery failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Reports a skipped event on `socketkit:chat:bad-event`. Each one: whoever logs them
   * summarises a flood (serve's one repeat summary), the bus keeps no counter or timer.
   */
  #noteBad(id: string, reason: string): void {
    if (badEventChannel.hasSubscribers) badEventChannel.publish({ node: this.nodeId, reason, id });
  }

  #noteGuest(nick: string): void {
    const m = GUEST_RE.exec(nick);
    if (m !== null) this.#maxGuest = Math.max(this.#maxGuest, Number(m[1]));
  }

  /** Redis failed or hung: report it once; the read loop recovers. */
  #markDown(err: unknown): void {
    if (this.#down || this.#closing) return;
    this.#down = true;
    this.#handlers?.onStatus?.('down', {
      reason: err instanceof Error ? err.message : String(err),
    });
  }

  /** After a cut: same data (resume after lastId) or lost data (start over, report). */
  async #recover(): Promise<void> {
    const epoch = await this.#readEpoch();
    let missed = false;
    if (epoch !== this.#epoch) {
      // Redis restarted empty: what was published to it after our cut is gone, and so
      // is the guest counter: raise it past every guest name still in use.
      missed = true;
      this.#epoch = epoch;
      this.#lastId = '0-0';
      await this.#cmd.eval(ADVANCE_GUEST_LUA, 1, this.#key('guest'), this.#maxGuest);
    } else {
      const first = await this.#cmd.xrange(this.#key('events'), '-', '+', 'COUNT', 1);
      const firstId = first[0]?.[0];
      if (
        firstId !== undefined &&
        this.#lastId !== '0-0' &&
        compareEventIds(firstId, this.#lastId) > 0
      ) {
        missed = (await this.#cmd.xlen(this.#key('events'))) >= this.#o.streamLength;
      }
    }
    await this.#beat();
    this.#down = false;
    this.#handlers?.onStatus?.('up', { missed });
  }

  /** Re-registers this node's nicknames, presence and rooms (also after Redis lost them). */
  async #beat(): Promise<void> {
    const presence = this.#handlers?.localPresence() ?? [];
    const nodeKey = this.#key('node', this.nodeId);
    const m = this.#cmd.multi();
    const rooms = new Set<string>();
    for (const p of presence) {
      m.eval(REFRESH_LUA, 1, this.#key('nick', nickKey(p.nick)), this.nodeId, this.#o.ttlMs);
      rooms.add(p.room);
      this.#noteGuest(p.nick);
    }
    for (const room of rooms) {
      m.eval(OPEN_ROOM_LUA, 5, ...this.#roomKeys(room), ...this.#openArgs(room, true));
    }
    m.eval(PRUNE_ROOMS_LUA, 1, this.#key('rooms'));
    m.del(nodeKey);
    // /who lists announced members only; listeners keep their nickname and room above.
    const listed = presence.filter((p) => p.listening !== true);
    if (listed.length > 0) {
      m.hset(nodeKey, Object.fromEntries(listed.map((p) => [p.nick, p.room])));
      m.pexpire(nodeKey, this.#o.ttlMs);
    }
    m.zadd(this.#key('nodes'), Date.now(), this.nodeId);
    m.zremrangebyscore(this.#key('nodes'), '-inf', Date.now() - this.#o.ttlMs * 2);
    await m.exec();
    await this.#measureClock();
  }

  /** Measures {@link RedisBus.#clockOffset} (to within half a round trip). */
  async #measureClock(): Promise<void> {
    const before = Date.now();
    const [s, us] = await this.#timed(this.#cmd.time());
    const after = Date.now();
    // A slow answer says little about the offset: keep the previous measure.
    if (after - before > this.#o.commandTimeoutMs / 4 && this.#clockOffset !== null) return;
    this.#clockOffset = Number(s) * 1000 + Math.floor(Number(us) / 1000) - (before + after) / 2;
  }

  #openArgs(room: string, force: boolean): (string | number)[] {
    return [
      room,
      this.nodeId,
      this.#o.maxRooms,
      this.#o.ttlMs,
      this.#o.roomGrace * 1000,
      force ? '1' : '0',
      DEFAULT_ROOM,
      this.#o.prefix,
    ];
  }

  async publish(event: ChatEvent): Promise<string> {
    if (this.#down) throw busUnavailable();
    const history = isHistoryEvent(event) && this.#o.historyLimit > 0;
    // Redis runs the script only until shortly before we stop waiting for it: a publish
    // that times out (its sender is told "not sent") cannot be delivered later, when a
    // hung Redis resumes and works through its backlog.
    const margin = Math.min(500, Math.floor(this.#o.commandTimeoutMs / 4));
    const notAfter =
      this.#clockOffset === null
        ? 0
        : Math.floor(Date.now() + this.#clockOffset + this.#o.commandTimeoutMs - margin);
    try {
      const id = await this.#timed(
        (this.#cmd as unknown as PublishCommand).skPublish(
          this.#key('events'),
          this.#key('history', event.room),
          this.#key('hbytes', event.room),
          this.#o.streamLength,
          JSON.stringify(event),
          history ? '1' : '0',
          this.#o.historyLimit,
          this.#o.historyBytes,
          this.#o.ttlMs + this.#o.roomGrace * 1000,
          notAfter,
        ),
      );
      if (id === null) throw new Error('Redis answered too late');
      return String(id);
    } catch (err) {
      if (err instanceof BusTimeout) this.#markDown(err);
      throw busUnavailable(err);
    }
  }

  async history(room: string, limit: number, beforeId: string): Promise<SequencedEvent[]> {
    if (limit <= 0) return [];
    const entries = await this.#guard(() =>
      this.#cmd.xrevrange(this.#key('history', room), `(${beforeId}`, '-', 'COUNT', limit),
    );
    const out: SequencedEvent[] = [];
    for (const [id, fields] of entries.reverse()) {
      const parsed = parseBusEvent(entryField(fields), this.#o.maxEventBytes);
      if ('error' in parsed) this.#noteBad(id, parsed.error);
      else out.push({ id, event: parsed.event });
    }
    return out;
  }

  async openRoom(room: string): Promise<boolean> {
    const ok = await this.#guard(() =>
      // The default room is where every client starts: it is always open.
      this.#cmd.eval(
        OPEN_ROOM_LUA,
        5,
        ...this.#roomKeys(room),
        ...this.#openArgs(room, room === DEFAULT_ROOM),
      ),
    );
    return ok === 1;
  }

  async closeRoom(room: string): Promise<void> {
    await this.#guard(() =>
      this.#cmd.eval(
        CLOSE_ROOM_LUA,
        5,
        ...this.#roomKeys(room),
        room,
        this.nodeId,
        this.#o.roomGrace * 1000,
      ),
    );
  }

  async claimNick(nick: string): Promise<boolean> {
    const ok = await this.#guard(() =>
      this.#cmd.set(this.#key('nick', nickKey(nick)), this.nodeId, 'PX', this.#o.ttlMs, 'NX'),
    );
    return ok === 'OK';
  }

  async releaseNick(nick: string): Promise<void> {
    await this.#guard(() =>
      this.#cmd.eval(RELEASE_LUA, 1, this.#key('nick', nickKey(nick)), this.nodeId),
    );
  }

  async nextGuestNumber(): Promise<number> {
    const n = await this.#guard(() => this.#cmd.incr(this.#key('guest')));
    this.#maxGuest = Math.max(this.#maxGuest, n);
    return n;
  }

  async setPresence(nick: string, room: string | null): Promise<void> {
    const nodeKey = this.#key('node', this.nodeId);
    await this.#guard(async () => {
      const m = this.#cmd.multi();
      if (room === null) m.hdel(nodeKey, nick);
      else m.hset(nodeKey, nick, room);
      m.pexpire(nodeKey, this.#o.ttlMs);
      m.zadd(this.#key('nodes'), Date.now(), this.nodeId);
      await m.exec();
    });
  }

  async who(): Promise<Presence[]> {
    return this.#guard(async () => {
      const nodes = await this.#cmd.zrangebyscore(
        this.#key('nodes'),
        Date.now() - this.#o.ttlMs,
        '+inf',
      );
      const p = this.#cmd.pipeline();
      for (const n of nodes) p.hgetall(this.#key('node', n));
      const results = (await p.exec()) ?? [];
      const out: Presence[] = [];
      results.forEach(([err, value], i) => {
        if (err !== null || value === null || typeof value !== 'object') return;
        for (const [nick, room] of Object.entries(value as Record<string, unknown>)) {
          if (isValidPresence(nick, room))
            out.push({ nick, room: room as string, node: nodes[i] ?? '' });
          else this.#noteBad(`node:${nodes[i] ?? ''}`, 'bad presence entry');
        }
      });
      return out;
    });
  }

  async setTopic(room: string, topic: string): Promise<void> {
    const keep = (this.#o.ttlMs + this.#o.roomGrace * 1000).toString();
    await this.#guard(() => this.#cmd.set(this.#key('topic', room), topic, 'PX', keep));
  }

  async topics(): Promise<Map<string, string>> {
    return this.#guard(async () => {
      const rooms = await this.#cmd.zrange(this.#key('rooms'), '0', '-1');
      const out = new Map<string, string>();
      if (rooms.length === 0) return out;
      const values = await this.#cmd.mget(...rooms.map((r) => this.#key('topic', r)));
      rooms.forEach((room, i) => {
        if (values[i] === null || values[i] === undefined) return;
        const topic = parseBusTopic(values[i], MAX_TOPIC_CHARS);
        if (topic !== null && isBusRoom(room)) out.set(room, topic);
        else this.#noteBad(`topic:${room.slice(0, 40)}`, 'bad topic');
      });
      return out;
    });
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    // Disconnecting the reader rejects its pending XREAD, which ends the loop.
    this.#reader.disconnect();
    await this.#loop.catch(ignoreError('chat:bus-read-loop'));
    try {
      if (this.#down) throw new Error('down');
      const rooms = new Set((this.#handlers?.localPresence() ?? []).map((p) => p.room));
      const m = this.#cmd
        .multi()
        .del(this.#key('node', this.nodeId))
        .zrem(this.#key('nodes'), this.nodeId);
      for (const room of rooms) {
        m.eval(
          CLOSE_ROOM_LUA,
          5,
          ...this.#roomKeys(room),
          room,
          this.nodeId,
          this.#o.roomGrace * 1000,
        );
      }
      await this.#timed(m.exec());
      await this.#timed(this.#cmd.quit());
    } catch {
      this.#cmd.disconnect();
    }
  }

  /** Runs a registry command: at once refused while down; a timeout marks the bus down. */
  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#down) throw busUnavailable(undefined, 'try again later');
    try {
      return await this.#timed(fn());
    } catch (err) {
      if (err instanceof BusTimeout) this.#markDown(err);
      throw busUnavailable(err, 'try again later');
    }
  }
}

/** The `e` field of a stream entry (undefined when absent). */
function entryField(fields: unknown): string | undefined {
  if (!Array.isArray(fields)) return undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'e')
      return typeof fields[i + 1] === 'string' ? (fields[i + 1] as string) : undefined;
  }
  return undefined;
}
