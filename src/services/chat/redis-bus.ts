/**
 * A {@link MessageBus} over Redis: any number of chat processes, on any machines, form
 * one chat.
 *
 * ```
 *  <prefix>:events          stream   every event; XADD gives THE order all nodes follow
 *  <prefix>:history:<room>  stream   messages/actions of a room, same ids (MAXLEN ~ history)
 *  <prefix>:nick:<nick>     string   nodeId, PX ttl: a nickname's owner (refreshed by heartbeat)
 *  <prefix>:node:<nodeId>   hash     nick → room of that node's members (PX ttl)
 *  <prefix>:nodes           zset     nodeId → last heartbeat (ms): who is alive
 *  <prefix>:topics          hash     room → topic
 *  <prefix>:guest           counter  user<N> numbers
 *  <prefix>:epoch           string   changes when Redis lost its data (restart without persistence)
 * ```
 *
 * Each node XREADs (BLOCK) the events stream from the last id it delivered, and delivers
 * every event, its own clients' included, in stream order: so all nodes agree on one
 * order per room. When Redis is unreachable, `publish` rejects (the sender is told, no
 * silent loss), delivery pauses, and on reconnection resumes after the last delivered id;
 * when events may have been lost meanwhile (the stream was trimmed past that id, or
 * Redis restarted empty) the hub is told so (`missed`).
 * @module
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { type BusHandlers, busUnavailable, type MessageBus, type Presence } from './bus.js';
import {
  type ChatEvent,
  compareEventIds,
  isHistoryEvent,
  nickKey,
  type SequencedEvent,
} from './protocol.js';

/** Options of {@link RedisBus}. */
export interface RedisBusOptions {
  /** `redis://host:port[/db]`. */
  url: string;
  /** Key prefix: one chat per prefix. */
  prefix: string;
  /** History kept per room (the history streams' MAXLEN, approximate). */
  historyLimit: number;
  /** Events kept in the shared stream, for nodes catching up after a cut (default 10000). */
  streamLength?: number;
  /** Milliseconds a node's registrations live without a heartbeat (default 15000). */
  ttl?: number;
  /** Milliseconds an XREAD blocks (bounds how long close() waits; default 1000). */
  blockMs?: number;
}

const PUBLISH_LUA = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2])
if ARGV[3] == '1' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], id, 'e', ARGV[2])
end
return id`;

const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const REFRESH_LUA = `
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

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

  constructor(options: RedisBusOptions) {
    this.#o = { streamLength: 10000, ttl: 15000, blockMs: 1000, ...options };
    const redisOptions = {
      lazyConnect: true,
      // Fail fast while disconnected: a message is either sent or reported as not sent.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(times * 100, 1000),
    };
    this.#cmd = new Redis(this.#o.url, redisOptions);
    this.#reader = new Redis(this.#o.url, redisOptions);
    // ioredis reports connection errors as events; the loop and callers handle them.
    this.#cmd.on('error', () => {});
    this.#reader.on('error', () => {});
  }

  #key(...parts: string[]): string {
    return [this.#o.prefix, ...parts].join(':');
  }

  async start(handlers: BusHandlers): Promise<void> {
    this.#handlers = handlers;
    try {
      await Promise.all([this.#cmd.connect(), this.#reader.connect()]);
      this.#epoch = await this.#readEpoch();
      const last = await this.#cmd.xrevrange(this.#key('events'), '+', '-', 'COUNT', 1);
      this.#lastId = last[0]?.[0] ?? '0-0';
      await this.#beat();
    } catch (err) {
      this.#cmd.disconnect();
      this.#reader.disconnect();
      const reason = err instanceof Error ? err.message : String(err);
      throw busUnavailable(err, `cannot connect to ${this.#o.url} (${reason})`);
    }
    this.#heartbeat = setInterval(
      () => {
        this.#beat().catch(() => {});
      },
      Math.max(100, Math.floor(this.#o.ttl / 3)),
    );
    this.#heartbeat.unref();
    this.#loop = this.#readLoop();
  }

  async #readEpoch(): Promise<string> {
    const key = this.#key('epoch');
    await this.#cmd.set(key, randomUUID(), 'NX');
    return (await this.#cmd.get(key)) ?? '';
  }

  async #readLoop(): Promise<void> {
    const events = this.#key('events');
    while (!this.#closing) {
      try {
        if (this.#down) await this.#recover();
        const reply = (await this.#reader.xread(
          'COUNT',
          1000,
          'BLOCK',
          this.#o.blockMs,
          'STREAMS',
          events,
          this.#lastId,
        )) as [string, [string, string[]][]][] | null;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            this.#lastId = id;
            const event = decode(fields);
            if (event !== null) this.#handlers?.onEvent({ id, event });
          }
        }
      } catch (err) {
        if (this.#closing) return;
        if (!this.#down) {
          this.#down = true;
          this.#handlers?.onStatus?.('down', {
            reason: err instanceof Error ? err.message : String(err),
          });
        }
        await sleep(250);
      }
    }
  }

  /** After a cut: same data (resume after lastId) or lost data (start over, report). */
  async #recover(): Promise<void> {
    const epoch = await this.#readEpoch();
    let missed = false;
    if (epoch !== this.#epoch) {
      // Redis restarted empty: what was published to it after our cut is gone.
      missed = true;
      this.#epoch = epoch;
      this.#lastId = '0-0';
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

  /** Re-registers this node's nicknames and presence (also after Redis lost them). */
  async #beat(): Promise<void> {
    const presence = this.#handlers?.localPresence() ?? [];
    const nodeKey = this.#key('node', this.nodeId);
    const m = this.#cmd.multi();
    for (const p of presence) {
      m.eval(REFRESH_LUA, 1, this.#key('nick', nickKey(p.nick)), this.nodeId, this.#o.ttl);
    }
    m.del(nodeKey);
    if (presence.length > 0) {
      m.hset(nodeKey, Object.fromEntries(presence.map((p) => [p.nick, p.room])));
      m.pexpire(nodeKey, this.#o.ttl);
    }
    m.zadd(this.#key('nodes'), Date.now(), this.nodeId);
    m.zremrangebyscore(this.#key('nodes'), '-inf', Date.now() - this.#o.ttl * 2);
    await m.exec();
  }

  async publish(event: ChatEvent): Promise<string> {
    const history = isHistoryEvent(event) && this.#o.historyLimit > 0;
    try {
      const id = await this.#cmd.eval(
        PUBLISH_LUA,
        2,
        this.#key('events'),
        this.#key('history', event.room),
        this.#o.streamLength,
        JSON.stringify(event),
        history ? '1' : '0',
        this.#o.historyLimit,
      );
      return String(id);
    } catch (err) {
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
      const event = decode(fields);
      if (event !== null) out.push({ id, event });
    }
    return out;
  }

  async claimNick(nick: string): Promise<boolean> {
    const ok = await this.#guard(() =>
      this.#cmd.set(this.#key('nick', nickKey(nick)), this.nodeId, 'PX', this.#o.ttl, 'NX'),
    );
    return ok === 'OK';
  }

  async releaseNick(nick: string): Promise<void> {
    await this.#guard(() =>
      this.#cmd.eval(RELEASE_LUA, 1, this.#key('nick', nickKey(nick)), this.nodeId),
    );
  }

  async nextGuestNumber(): Promise<number> {
    return this.#guard(() => this.#cmd.incr(this.#key('guest')));
  }

  async setPresence(nick: string, room: string | null): Promise<void> {
    const nodeKey = this.#key('node', this.nodeId);
    await this.#guard(async () => {
      const m = this.#cmd.multi();
      if (room === null) m.hdel(nodeKey, nick);
      else m.hset(nodeKey, nick, room);
      m.pexpire(nodeKey, this.#o.ttl);
      m.zadd(this.#key('nodes'), Date.now(), this.nodeId);
      await m.exec();
    });
  }

  async who(): Promise<Presence[]> {
    return this.#guard(async () => {
      const nodes = await this.#cmd.zrangebyscore(
        this.#key('nodes'),
        Date.now() - this.#o.ttl,
        '+inf',
      );
      const p = this.#cmd.pipeline();
      for (const n of nodes) p.hgetall(this.#key('node', n));
      const results = (await p.exec()) ?? [];
      const out: Presence[] = [];
      results.forEach(([err, value], i) => {
        if (err !== null || value === null || typeof value !== 'object') return;
        for (const [nick, room] of Object.entries(value as Record<string, string>)) {
          out.push({ nick, room, node: nodes[i] ?? '' });
        }
      });
      return out;
    });
  }

  async setTopic(room: string, topic: string): Promise<void> {
    await this.#guard(() => this.#cmd.hset(this.#key('topics'), room, topic));
  }

  async topics(): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.#guard(() => this.#cmd.hgetall(this.#key('topics')))));
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    // Disconnecting the reader rejects its pending XREAD, which ends the loop.
    this.#reader.disconnect();
    await this.#loop.catch(() => {});
    try {
      await this.#cmd
        .multi()
        .del(this.#key('node', this.nodeId))
        .zrem(this.#key('nodes'), this.nodeId)
        .exec();
      await this.#cmd.quit();
    } catch {
      this.#cmd.disconnect();
    }
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw busUnavailable(err, 'try again later');
    }
  }
}

/** Reads the `e` field of a stream entry; a foreign or corrupt entry is skipped. */
function decode(fields: string[]): ChatEvent | null {
  const i = fields.indexOf('e');
  const raw = i === -1 ? undefined : fields[i + 1];
  if (raw === undefined) return null;
  try {
    const e = JSON.parse(raw) as ChatEvent;
    return typeof e.kind === 'string' && typeof e.room === 'string' ? e : null;
  } catch {
    return null;
  }
}
