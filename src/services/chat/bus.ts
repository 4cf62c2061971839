/**
 * The message bus between a node's chat hub and the rest of the chat.
 *
 * A *node* is one chat server process (one {@link ChatHub}). The bus gives every event a
 * place in one sequence shared by all nodes, so that every client of a room sees that
 * room's events in the same order, wherever it is connected:
 *
 * ```
 *   client ─▶ hub A ─publish─▶ ┌───────────┐ ─onEvent (in bus order)─▶ hub A ─▶ its clients
 *   client ─▶ hub B ─publish─▶ │    bus    │ ─onEvent (in bus order)─▶ hub B ─▶ its clients
 *                              └───────────┘
 * ```
 *
 * A hub never delivers its own clients' messages directly: they come back through the
 * bus like everybody else's, which is what makes the order the same everywhere.
 *
 * Implementations: {@link MemoryBus} (one process, the default) and `RedisBus`
 * (Redis Streams; any number of processes and machines).
 * @module
 */
import { SocketkitError } from '../../errors.js';
import type { ChatEvent, SequencedEvent } from './protocol.js';

/** Where a nickname is: which room, on which node. */
export interface Presence {
  nick: string;
  room: string;
  node: string;
  /**
   * A listener (not announced yet): its nickname stays reserved and its room open, but
   * `who()` does not list it. Only in {@link BusHandlers.localPresence}.
   */
  listening?: boolean;
}

/** What the bus reports to its hub. */
export interface BusHandlers {
  /** Every event of the chat, in bus order, exactly once per node (ids strictly increase). */
  onEvent(event: SequencedEvent): void;
  /**
   * The bus lost (`down`) or regained (`up`) its transport. While down, `publish`
   * rejects and no events arrive; after `up`, delivery resumes after the last event
   * delivered. `missed` is set when events may have been trimmed away meanwhile.
   */
  onStatus?(status: 'down' | 'up', detail: { reason?: string; missed?: boolean }): void;
  /**
   * This node's sessions that have a nickname and a room, listeners included: their
   * nicknames and rooms are kept alive by the bus's heartbeat and re-registered after
   * a bus restart (listeners are not listed by `who()`).
   */
  localPresence(): readonly Presence[];
}

/** The contract between a {@link ChatHub} and its transport to the other nodes. */
export interface MessageBus {
  /** This node's id, unique among the nodes of one chat. */
  readonly nodeId: string;
  /** Starts delivering events published from now on to `handlers.onEvent`. */
  start(handlers: BusHandlers): Promise<void>;
  /**
   * Appends an event to the shared sequence.
   * @returns the event's id.
   * @throws {SocketkitError} `ERR_CHAT_BUS_UNAVAILABLE` when the event could not be
   *   published: it was not sent, and the sender must be told.
   */
  publish(event: ChatEvent): Promise<string>;
  /** The last `limit` history events (messages, actions) of `room` with id < `beforeId`, oldest first. */
  history(room: string, limit: number, beforeId: string): Promise<SequencedEvent[]>;
  /** Reserves a nickname for this node. @returns false if another session holds it. */
  claimNick(nick: string): Promise<boolean>;
  /** Gives a nickname back. */
  releaseNick(nick: string): Promise<void>;
  /** A number for the next guest name (`user<N>`), unique across nodes. */
  nextGuestNumber(): Promise<number>;
  /** Records where a local nickname is (`room` null: gone). */
  setPresence(nick: string, room: string | null): Promise<void>;
  /** Everyone online, on every node. */
  who(): Promise<Presence[]>;
  /**
   * Opens `room` for a member of this node, before it joins: the room counts against
   * the chat's room cap (on every node) and is kept while members are in it.
   * A room that was forgotten (empty for longer than its grace period) starts afresh:
   * no history, no topic.
   * @returns false when the chat already has its maximum number of rooms and `room` is
   *   not one of them.
   */
  openRoom(room: string): Promise<boolean>;
  /**
   * This node's last member left `room`. Once no node has members in it, the room —
   * its history and topic — is forgotten after the bus's grace period.
   */
  closeRoom(room: string): Promise<void>;
  /** Stores a room's topic. */
  setTopic(room: string, topic: string): Promise<void>;
  /** Every room topic. */
  topics(): Promise<Map<string, string>>;
  /**
   * One room's topic (`undefined`: none). Optional: without it the hub reads
   * {@link MessageBus.topics} when a room gets its first member on this node.
   */
  topic?(room: string): Promise<string | undefined>;
  /** Stops delivering and releases what the bus holds (this node's nicknames included). */
  close(): Promise<void>;
}

/**
 * The error `publish` and the registry methods reject with while the bus is unreachable.
 * @param what what did not happen, for the message (default: the message was not sent).
 */
export function busUnavailable(cause?: unknown, what = 'the message was not sent'): SocketkitError {
  return new SocketkitError(
    `the chat bus is unavailable: ${what}`,
    'ERR_CHAT_BUS_UNAVAILABLE',
    cause === undefined ? {} : { cause },
  );
}
