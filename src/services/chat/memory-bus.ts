/**
 * The in-process message bus: the default, nothing to install. Several hubs in one
 * process may share one {@link MemoryChatStore} to behave like nodes of one chat
 * (that is how the multi-node logic is unit-tested without Redis).
 * @module
 */
import type { BusHandlers, MessageBus, Presence } from './bus.js';
import { type ChatEvent, isHistoryEvent, nickKey, type SequencedEvent } from './protocol.js';

/** The state shared by the {@link MemoryBus} nodes of one chat. */
export class MemoryChatStore {
  /** Events kept per room for history, newest last. */
  readonly #history = new Map<string, SequencedEvent[]>();
  readonly #nicks = new Map<string, string>();
  readonly #presence = new Map<string, Presence>();
  readonly #topics = new Map<string, string>();
  readonly #nodes = new Set<MemoryBus>();
  readonly historyLimit: number;
  #seq = 0;
  #guest = 0;

  /** @param historyLimit how many history events to keep per room. */
  constructor(historyLimit = 1000) {
    this.historyLimit = historyLimit;
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
  }

  /** @internal */
  append(event: ChatEvent): string {
    this.#seq += 1;
    const sequenced: SequencedEvent = { id: `0-${this.#seq}`, event };
    if (isHistoryEvent(event) && this.historyLimit > 0) {
      let list = this.#history.get(event.room);
      if (list === undefined) {
        list = [];
        this.#history.set(event.room, list);
      }
      list.push(sequenced);
      // Trim in batches so a busy room does not shift the array on every message.
      if (list.length > this.historyLimit * 2) list.splice(0, list.length - this.historyLimit);
    }
    // Delivered on a later tick, like a real transport: publish() never re-enters the hub.
    for (const node of this.#nodes) node.deliver(sequenced);
    return sequenced.id;
  }

  /** @internal */
  history(room: string, limit: number, beforeId: string): SequencedEvent[] {
    const before = Number(beforeId.split('-')[1] ?? '0');
    const list = this.#history.get(room) ?? [];
    const older = list.filter((e) => Number(e.id.split('-')[1] ?? '0') < before);
    return limit <= 0 ? [] : older.slice(-limit);
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

  /** @internal */
  setTopic(room: string, topic: string): void {
    this.#topics.set(room, topic);
  }

  /** @internal */
  topics(): Map<string, string> {
    return new Map(this.#topics);
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
   * @param options.historyLimit history kept per room when the store is private.
   */
  constructor(options: { store?: MemoryChatStore; historyLimit?: number; nodeId?: string } = {}) {
    nodeCounter += 1;
    this.nodeId = options.nodeId ?? `mem${nodeCounter}`;
    this.#store = options.store ?? new MemoryChatStore(options.historyLimit ?? 1000);
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

  async openRoom(_room: string): Promise<boolean> {
    return true;
  }

  async closeRoom(_room: string): Promise<void> {}

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
