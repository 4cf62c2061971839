/**
 * The in-process message bus: the default, nothing to install. Several hubs in one
 * process may share one {@link MemoryChatStore} to behave like nodes of one chat
 * (that is how the multi-node logic is unit-tested without Redis).
 * @module
 */
import type { BusHandlers, MessageBus, Presence } from './bus.js';
import {
  type ChatEvent,
  compareEventIds,
  DEFAULT_ROOM,
  isHistoryEvent,
  nickKey,
  type SequencedEvent,
} from './protocol.js';

/** Limits of a {@link MemoryChatStore} (the chat service's `--history`, … options). */
export interface MemoryChatLimits {
  /** History events kept per room (default 1000). */
  historyLimit?: number;
  /** Bytes of history kept per room: UTF-8 of nick and text (default 64 KiB). */
  historyBytes?: number;
  /** Rooms open at once; #lobby is always open (default 1000). */
  maxRooms?: number;
  /** Seconds an empty room's history and topic are kept (default 60; 0: forgotten at once). */
  roomGrace?: number;
}

/** One open room: who has members in it, and its history. */
interface StoredRoom {
  /** Nodes with members in the room; empty: the room is in its grace period. */
  nodes: Set<string>;
  /** History, oldest first, from `head` on (trimmed by moving `head`, compacted now and then). */
  events: SequencedEvent[];
  head: number;
  bytes: number;
  topic: string | undefined;
  graceTimer: NodeJS.Timeout | null;
}

/** Bytes a history event counts for (what the client sees: nick and text). */
function eventBytes(event: ChatEvent): number {
  return Buffer.byteLength(event.text) + Buffer.byteLength(event.nick);
}

/**
 * The state shared by the {@link MemoryBus} nodes of one chat.
 *
 * Bounded whatever clients do: at most `maxRooms` rooms (+ #lobby), each with at most
 * `historyLimit` events and `historyBytes` bytes of history and one topic; a room no
 * node has members in is forgotten `roomGrace` seconds later (and at once when a new
 * room needs its place); nicknames and presence are one entry per connected client.
 */
export class MemoryChatStore {
  readonly #rooms = new Map<string, StoredRoom>();
  readonly #nicks = new Map<string, string>();
  readonly #presence = new Map<string, Presence>();
  readonly #nodes = new Set<MemoryBus>();
  readonly historyLimit: number;
  readonly historyBytes: number;
  readonly maxRooms: number;
  readonly roomGrace: number;
  #seq = 0;
  #guest = 0;

  /** @param limits the limits, or (as before) how many history events to keep per room. */
  constructor(limits: MemoryChatLimits | number = {}) {
    const l = typeof limits === 'number' ? { historyLimit: limits } : limits;
    this.historyLimit = l.historyLimit ?? 1000;
    this.historyBytes = l.historyBytes ?? 64 * 1024;
    this.maxRooms = l.maxRooms ?? 1000;
    this.roomGrace = l.roomGrace ?? 60;
  }

  /** Rooms open now (with members, or in their grace period). */
  get roomCount(): number {
    return this.#rooms.size;
  }

  /** @internal Opens `room` for `node` (see MessageBus.openRoom). */
  openRoom(room: string, node: string): boolean {
    let r = this.#rooms.get(room);
    if (r === undefined) {
      if (this.#rooms.size >= this.maxRooms + (this.#rooms.has(DEFAULT_ROOM) ? 1 : 0)) {
        // Full: a room in its grace period gives its place (the one emptied first).
        if (!this.#evictIdleRoom() && room !== DEFAULT_ROOM) return false;
      }
      r = { nodes: new Set(), events: [], head: 0, bytes: 0, topic: undefined, graceTimer: null };
      this.#rooms.set(room, r);
    }
    if (r.graceTimer !== null) clearTimeout(r.graceTimer);
    r.graceTimer = null;
    r.nodes.add(node);
    return true;
  }

  /** @internal `node` has no members left in `room`. */
  closeRoom(room: string, node: string): void {
    const r = this.#rooms.get(room);
    if (r === undefined) return;
    r.nodes.delete(node);
    if (r.nodes.size > 0 || r.graceTimer !== null) return;
    if (this.roomGrace <= 0) {
      this.#rooms.delete(room);
      return;
    }
    r.graceTimer = setTimeout(() => {
      if (this.#rooms.get(room) === r && r.nodes.size === 0) this.#rooms.delete(room);
    }, this.roomGrace * 1000);
    r.graceTimer.unref();
  }

  /** Forgets the room emptied first (Map order is opening order). @returns whether one was. */
  #evictIdleRoom(): boolean {
    let oldest: [string, StoredRoom] | undefined;
    for (const entry of this.#rooms) {
      if (entry[1].nodes.size === 0) {
        oldest = entry;
        break;
      }
    }
    if (oldest === undefined) return false;
    if (oldest[1].graceTimer !== null) clearTimeout(oldest[1].graceTimer);
    this.#rooms.delete(oldest[0]);
    return true;
  }

  /** @internal */
  attach(node: MemoryBus): void {
    this.#nodes.add(node);
  }

  /** @internal */
  detach(node: MemoryBus): void {
    this.#nodes.delete(node);
    for (const [key, owner] of this.#nicks) if (owner === node.nodeId) this.#nicks.delete(key);
    for (const [key, p] of this.#presence) if (p.node === node.nodeId) this.#presence.delete(key);
    for (const room of [...this.#rooms.keys()]) this.closeRoom(room, node.nodeId);
    if (this.#nodes.size === 0) {
      for (const r of this.#rooms.values()) if (r.graceTimer !== null) clearTimeout(r.graceTimer);
      this.#rooms.clear();
    }
  }

  /** @internal */
  append(event: ChatEvent): string {
    this.#seq += 1;
    const sequenced: SequencedEvent = { id: `0-${this.#seq}`, event };
    // Only open rooms keep history: an event racing the room's end is not kept.
    const r =
      isHistoryEvent(event) && this.historyLimit > 0 ? this.#rooms.get(event.room) : undefined;
    if (r !== undefined) {
      r.events.push(sequenced);
      r.bytes += eventBytes(event);
      while (
        r.events.length - r.head > this.historyLimit ||
        (r.bytes > this.historyBytes && r.events.length - r.head > 0)
      ) {
        const old = r.events[r.head];
        r.events[r.head] = undefined as unknown as SequencedEvent;
        r.head += 1;
        if (old !== undefined) r.bytes -= eventBytes(old.event);
      }
      // Compact now and then rather than shift the array on every message.
      if (r.head > 64 && r.head * 2 > r.events.length) {
        r.events = r.events.slice(r.head);
        r.head = 0;
      }
    }
    // Delivered on a later tick, like a real transport: publish() never re-enters the hub.
    for (const node of this.#nodes) node.deliver(sequenced);
    return sequenced.id;
  }

  /** @internal */
  history(room: string, limit: number, beforeId: string): SequencedEvent[] {
    const r = this.#rooms.get(room);
    if (r === undefined || limit <= 0) return [];
    const older = r.events.slice(r.head).filter((e) => compareEventIds(e.id, beforeId) < 0);
    return older.slice(-limit);
  }

  /** @internal */
  claim(nick: string, node: string): boolean {
    const key = nickKey(nick);
    const owner = this.#nicks.get(key);
    if (owner !== undefined) return false;
    this.#nicks.set(key, node);
    return true;
  }

  /** @internal */
  release(nick: string, node: string): void {
    const key = nickKey(nick);
    if (this.#nicks.get(key) === node) this.#nicks.delete(key);
  }

  /** @internal */
  nextGuest(): number {
    this.#guest += 1;
    return this.#guest;
  }

  /** @internal */
  setPresence(nick: string, room: string | null, node: string): void {
    if (room === null) this.#presence.delete(nickKey(nick));
    else this.#presence.set(nickKey(nick), { nick, room, node });
  }

  /** @internal */
  who(): Presence[] {
    return [...this.#presence.values()];
  }

  /** @internal (a room that is not open keeps no topic) */
  setTopic(room: string, topic: string): void {
    const r = this.#rooms.get(room);
    if (r !== undefined) r.topic = topic;
  }

  /** @internal */
  topics(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [room, r] of this.#rooms) if (r.topic !== undefined) out.set(room, r.topic);
    return out;
  }
}

let nodeCounter = 0;

/** A {@link MessageBus} inside one process. */
export class MemoryBus implements MessageBus {
  readonly nodeId: string;
  readonly #store: MemoryChatStore;
  #handlers: BusHandlers | null = null;
  #queue: SequencedEvent[] = [];
  #scheduled = false;

  /**
   * @param options.store the state to share with other nodes (default: a private one).
   * @param options.historyLimit and the other limits: those of a private store.
   */
  constructor(options: MemoryChatLimits & { store?: MemoryChatStore; nodeId?: string } = {}) {
    nodeCounter += 1;
    this.nodeId = options.nodeId ?? `mem${nodeCounter}`;
    this.#store = options.store ?? new MemoryChatStore(options);
  }

  async start(handlers: BusHandlers): Promise<void> {
    this.#handlers = handlers;
    this.#store.attach(this);
  }

  /** @internal Called by the store, in sequence order. */
  deliver(event: SequencedEvent): void {
    this.#queue.push(event);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const batch = this.#queue;
      this.#queue = [];
      for (const e of batch) this.#handlers?.onEvent(e);
    });
  }

  async publish(event: ChatEvent): Promise<string> {
    return this.#store.append(event);
  }

  async history(room: string, limit: number, beforeId: string): Promise<SequencedEvent[]> {
    return this.#store.history(room, limit, beforeId);
  }

  async claimNick(nick: string): Promise<boolean> {
    return this.#store.claim(nick, this.nodeId);
  }

  async releaseNick(nick: string): Promise<void> {
    this.#store.release(nick, this.nodeId);
  }

  async nextGuestNumber(): Promise<number> {
    return this.#store.nextGuest();
  }

  async setPresence(nick: string, room: string | null): Promise<void> {
    this.#store.setPresence(nick, room, this.nodeId);
  }

  async who(): Promise<Presence[]> {
    return this.#store.who();
  }

  async openRoom(room: string): Promise<boolean> {
    return this.#store.openRoom(room, this.nodeId);
  }

  async closeRoom(room: string): Promise<void> {
    this.#store.closeRoom(room, this.nodeId);
  }

  async setTopic(room: string, topic: string): Promise<void> {
    this.#store.setTopic(room, topic);
  }

  async topics(): Promise<Map<string, string>> {
    return this.#store.topics();
  }

  async close(): Promise<void> {
    this.#store.detach(this);
    this.#handlers = null;
    this.#queue = [];
  }
}
