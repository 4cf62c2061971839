/**
 * The chat hub of one node: its sessions, which room each is in, and delivery of the
 * bus's events to them in bus order. Everything that must be shared between nodes
 * (nicknames, presence, topics, history, the order of events) goes through the
 * {@link MessageBus}; the hub only keeps what concerns its own clients.
 * @module
 */
import { channel } from 'node:diagnostics_channel';
import type { MessageBus, Presence } from './bus.js';
import { ChatSession, type LineSink, type SessionLimits } from './client-session.js';
import {
  type ChatEvent,
  DEFAULT_ROOM,
  EOL,
  errorLine,
  formatEvent,
  historyLine,
  nickKey,
  type SequencedEvent,
  serverLine,
} from './protocol.js';
import { ignoreError } from '../../internal/ignore-error.js';

const joinChannel = channel('socketkit:chat:join');
const leaveChannel = channel('socketkit:chat:leave');
const busChannel = channel('socketkit:chat:bus');
const slowChannel = channel('socketkit:chat:slow-consumer');
const lostChannel = channel('socketkit:chat:lost');
const foreignChannel = channel('socketkit:chat:foreign');
const roomChannel = channel('socketkit:chat:room');
const messageChannel = channel('socketkit:chat:message');

/** Above every bus id: a listener's history is everything the room has so far. */
const MAX_EVENT_ID = `${Number.MAX_SAFE_INTEGER}-0`;

/** What this node knows of a room with members here. */
interface RoomState {
  members: Set<ChatSession>;
  /** The room's topic ('' none); loaded from the bus when the room appears here. */
  topic: string;
  /** Set once a topic event arrived (a later load must not overwrite it). */
  topicSeen: boolean;
  /** Settles once the topic is loaded. */
  ready: Promise<void>;
}

/** How a hub behaves (the service options map onto these). */
export interface ChatHubOptions {
  /** Messages replayed to a client joining a room (0: none). */
  history: number;
  /** Clients this node accepts at once; more are refused with a notice. */
  maxClients: number;
  /**
   * Rooms open at once (the bus enforces it, across nodes; #lobby is always open).
   * Informational here: the bus was created with it.
   */
  maxRooms: number;
  /** Bytes of history kept per room (with `history` lines); the bus enforces it. */
  historyBytes: number;
  /** Seconds an empty room's history and topic are kept; the bus enforces it. */
  roomGrace: number;
  /** Per-client limits. */
  limits: SessionLimits;
}

/** The default hub options. */
export const DEFAULT_HUB_OPTIONS: ChatHubOptions = {
  history: 20,
  maxClients: 1000,
  maxRooms: 1000,
  historyBytes: 64 * 1024,
  roomGrace: 60,
  limits: {
    maxLineLength: 4096,
    flushDelayMs: 200,
    rateLimit: 20,
    rateBurst: 40,
    maxQueueBytes: 1024 * 1024,
    idleTimeout: 0,
    echo: false,
  },
};

/** One node of a chat: accepts sessions and relays them through a {@link MessageBus}. */
export class ChatHub {
  readonly bus: MessageBus;
  readonly options: ChatHubOptions;
  readonly #sessions = new Set<ChatSession>();
  readonly #byNick = new Map<string, ChatSession>();
  /** Rooms with members on this node (a room leaves the map with its last member). */
  readonly #rooms = new Map<string, RoomState>();
  #busUp = true;

  constructor(bus: MessageBus, options: Partial<ChatHubOptions> = {}) {
    this.bus = bus;
    this.options = {
      ...DEFAULT_HUB_OPTIONS,
      ...options,
      limits: { ...DEFAULT_HUB_OPTIONS.limits, ...options.limits },
    };
  }

  /** This node's id on the bus. */
  get nodeId(): string {
    return this.bus.nodeId;
  }

  /** Connected sessions on this node. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Connects to the bus. */
  async start(): Promise<void> {
    await this.bus.start({
      onEvent: (e) => this.#onEvent(e),
      onStatus: (status, detail) => this.#onStatus(status, detail),
      localPresence: () => this.#localPresence(),
    });
  }

  /**
   * Accepts a new client.
   * @returns its session, or `null` when the node is full (the client was told and closed).
   */
  accept(sink: LineSink, remote: string): ChatSession | null {
    if (this.#sessions.size >= this.options.maxClients) {
      sink.write(errorLine(`the server is full (${this.options.maxClients} clients)`) + '\r\n');
      sink.end();
      return null;
    }
    const session = new ChatSession(this, sink, this.options.limits, remote);
    this.#sessions.add(session);
    return session;
  }

  /**
   * Gives a new session its guest name and puts it in the default room as a listener:
   * it sees the room, the room is not told (see {@link ChatHub.announce}).
   */
  async register(session: ChatSession): Promise<void> {
    let nick = '';
    for (let attempt = 0; attempt < 20 && nick === ''; attempt += 1) {
      const candidate = `user${await this.bus.nextGuestNumber()}`;
      if (await this.bus.claimNick(candidate)) nick = candidate;
    }
    if (nick === '') throw new Error('no guest name available');
    if (!session.open) {
      await this.bus.releaseNick(nick);
      return;
    }
    session.nick = nick;
    this.#byNick.set(nickKey(nick), session);
    session.send(
      serverLine(
        `welcome to socketkit chat, ${nick}. Type /help for commands, /nick NAME to rename;` +
          ' the room sees you once you say something.',
      ),
    );
    if (!this.#busUp) session.send(errorLine('the chat bus is down: messages are not delivered'));
    await this.join(session, DEFAULT_ROOM);
  }

  /**
   * Moves a session into `room` (leaving its current room): announcement (once the
   * session is announced), topic, history. The bus may refuse a new room (room cap).
   */
  async join(session: ChatSession, room: string): Promise<void> {
    if (session.room === room) {
      session.send(errorLine(`you are already in ${room}`));
      return;
    }
    // The room cap and the room's lifetime are the bus's: they hold across nodes.
    // #lobby is always open: every client starts there.
    if (!(await this.bus.openRoom(room)) && room !== DEFAULT_ROOM) {
      session.send(
        errorLine(
          `too many rooms open: ${room} cannot be opened now (limit ${this.options.maxRooms})`,
        ),
      );
      return;
    }
    if (session.room !== '') await this.#leaveRoom(session, '');
    session.room = room;
    session.joinBuffer = [];
    session.joinId = '';
    const state = this.#roomState(room);
    state.members.add(session);
    this.#noteMembers(room, state.members.size);
    try {
      // Announced: history is what precedes its join event, live events follow it. A
      // listener publishes nothing: history is what the room has now, and live
      // messages already in it are not shown twice (see ChatSession.finishJoin).
      let before = MAX_EVENT_ID;
      if (session.announced) {
        await this.bus.setPresence(session.nick, room);
        session.joinId = await this.bus.publish(this.#event(session, 'join', ''));
        before = session.joinId;
      } else {
        session.joinId = '0-0';
      }
      const history =
        this.options.history > 0 ? await this.bus.history(room, this.options.history, before) : [];
      if (!session.announced) session.historyUpTo = history[history.length - 1]?.id ?? '';
      await state.ready;
      const topic = state.topic;
      session.send(serverLine(`you are in ${room}` + (topic ? ` (topic: ${topic})` : '')));
      if (history.length > 0) {
        session.send(serverLine(`last ${history.length} messages of ${room}:`));
        for (const h of history) {
          const line = formatEvent(h.event);
          if (line !== null) session.send(historyLine(line));
        }
      }
    } finally {
      session.finishJoin();
    }
    joinChannel.publish({ nick: session.nick, room, node: this.nodeId });
  }

  /**
   * Tells the session's room that it arrived (its first valid line or command): until
   * then it only listens (no presence, no join announcement), so a connection that
   * never chats (a port scanner, a browser made to POST here) leaves no trace.
   */
  async announce(session: ChatSession): Promise<void> {
    if (session.announced || !session.open || session.nick === '' || session.room === '') return;
    session.announced = true;
    await this.bus.setPresence(session.nick, session.room);
    await this.bus.publish(this.#event(session, 'join', ''));
  }

  /** Takes a session out of its room and the chat (on /quit, EOF, error, timeout). */
  async leave(session: ChatSession, reason: string): Promise<void> {
    this.#sessions.delete(session);
    if (session.nick === '') return;
    if (this.#byNick.get(nickKey(session.nick)) === session)
      this.#byNick.delete(nickKey(session.nick));
    try {
      if (session.room !== '') await this.#leaveRoom(session, reason);
      if (session.announced) await this.bus.setPresence(session.nick, null);
    } finally {
      await this.bus.releaseNick(session.nick).catch(ignoreError('chat:release-nick'));
      leaveChannel.publish({ nick: session.nick, reason, node: this.nodeId });
    }
  }

  /** `/part`: back to the default room. */
  async part(session: ChatSession): Promise<void> {
    if (session.room === DEFAULT_ROOM) {
      session.send(errorLine(`${DEFAULT_ROOM} is the default room: use /join #room or /quit`));
      return;
    }
    await this.join(session, DEFAULT_ROOM);
  }

  /** Publishes a message or action to the session's room. */
  async say(session: ChatSession, kind: 'msg' | 'action', text: string): Promise<void> {
    await this.bus.publish(this.#event(session, kind, text));
  }

  /** `/nick`: renames a session if the new name is free everywhere. */
  async rename(session: ChatSession, nick: string): Promise<boolean> {
    const old = session.nick;
    const sameKey = nickKey(old) === nickKey(nick);
    if (!sameKey && !(await this.bus.claimNick(nick))) return false;
    session.nick = nick;
    this.#byNick.delete(nickKey(old));
    this.#byNick.set(nickKey(nick), session);
    if (!session.announced) {
      // Nobody has seen the old name: no announcement (the join will carry the new one).
      if (!sameKey) await this.bus.releaseNick(old);
      session.send(serverLine(`${old} is now known as ${nick}`));
      return true;
    }
    if (!sameKey) {
      await this.bus.setPresence(old, null);
      await this.bus.releaseNick(old);
    }
    await this.bus.setPresence(nick, session.room);
    await this.bus.publish({ ...this.#event(session, 'nick', nick), nick: old });
    return true;
  }

  /** `/msg`: a private message. @returns false if nobody has that nickname. */
  async whisper(session: ChatSession, to: string, text: string): Promise<boolean> {
    const target = (await this.bus.who()).find((p) => nickKey(p.nick) === nickKey(to));
    if (target === undefined) return false;
    await this.bus.publish({ ...this.#event(session, 'private', text), to: target.nick });
    return true;
  }

  /** `/topic TEXT`. */
  async setTopic(session: ChatSession, topic: string): Promise<void> {
    await this.bus.setTopic(session.room, topic);
    await this.bus.publish(this.#event(session, 'topic', topic));
  }

  /** A room's topic as this node knows it (rooms with members here). */
  topic(room: string): string | undefined {
    const topic = this.#rooms.get(room)?.topic;
    return topic === '' ? undefined : topic;
  }

  /** Everyone online, on every node. */
  async who(): Promise<Presence[]> {
    return this.bus.who();
  }

  /** Rooms with their member count and topic. */
  async rooms(): Promise<{ room: string; members: number; topic: string }[]> {
    const counts = new Map<string, number>();
    for (const p of await this.bus.who()) counts.set(p.room, (counts.get(p.room) ?? 0) + 1);
    const topics = await this.bus.topics();
    return [...counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([room, members]) => ({ room, members, topic: topics.get(room) ?? '' }));
  }

  /** @internal A session was cut for not reading (`queued`: bytes it had not read). */
  noteSlowConsumer(session: ChatSession, queued: number): void {
    slowChannel.publish({
      nick: session.nick,
      remote: session.remote,
      room: session.room,
      queued,
      limit: this.options.limits.maxQueueBytes,
      node: this.nodeId,
    });
  }

  /** @internal A session's connection failed; `detail` (may name its address) is for the log only. */
  noteLost(session: ChatSession, detail: string): void {
    lostChannel.publish({ nick: session.nick, remote: session.remote, detail, node: this.nodeId });
  }

  /** @internal A connection opened with another protocol's greeting and was closed. */
  noteForeign(session: ChatSession, protocol: string): void {
    foreignChannel.publish({ remote: session.remote, protocol, node: this.nodeId });
  }

  /** Disconnects every client (with a notice) and closes the bus. */
  async close(): Promise<void> {
    const sessions = [...this.#sessions];
    for (const s of sessions)
      s.close('server shutting down', { notice: 'the server is shutting down' });
    await Promise.allSettled(sessions.map((s) => s.done));
    await this.bus.close();
  }

  /**
   * Publishes the leave, and keeps the session in the room until its own leave event
   * comes back from the bus: so a member sees exactly the room's events between its
   * join and its leave, even those published just before it left.
   */
  async #leaveRoom(session: ChatSession, reason: string): Promise<void> {
    const room = session.room;
    if (!session.announced) {
      // A listener: nobody was told it came, nobody is told it goes.
      this.#dropMember(session, room);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const seen = new Promise<void>((resolve) => {
      session.leaveWaiter = resolve;
      // If the bus is down, the event may never come back: do not wait for ever.
      timer = setTimeout(resolve, 2000);
      timer.unref();
    });
    try {
      await this.bus.publish({ ...this.#event(session, 'leave', reason), room });
      await seen;
    } finally {
      clearTimeout(timer);
      session.leaveWaiter = null;
      this.#dropMember(session, room);
    }
  }

  /** Takes a session out of a room's members; the room's last member here closes it. */
  #dropMember(session: ChatSession, room: string): void {
    const state = this.#rooms.get(room);
    state?.members.delete(session);
    this.#noteMembers(room, state?.members.size ?? 0);
    if (state?.members.size === 0) {
      this.#rooms.delete(room);
      // The last member here: the room is forgotten after its grace period, unless
      // a member (on any node) joins it meanwhile.
      this.bus.closeRoom(room).catch(ignoreError('chat:close-room'));
    }
    session.room = '';
  }

  /** Reports a room's member count on this node (for metrics; nothing built unsubscribed). */
  #noteMembers(room: string, members: number): void {
    if (roomChannel.hasSubscribers) roomChannel.publish({ room, members, node: this.nodeId });
  }

  /** The state of a room with members here, created (topic loading) on first use. */
  #roomState(room: string): RoomState {
    let state = this.#rooms.get(room);
    if (state === undefined) {
      const created: RoomState = {
        members: new Set(),
        topic: '',
        topicSeen: false,
        ready: Promise.resolve(),
      };
      const loading =
        this.bus.topic !== undefined
          ? this.bus.topic(room)
          : this.bus.topics().then((topics) => topics.get(room));
      created.ready = loading.then(
        (topic) => {
          if (!created.topicSeen) created.topic = topic ?? '';
        },
        // The bus is down (reported on socketkit:chat:bus): the room starts without a topic.
        ignoreError('chat:topic-load'),
      );
      state = created;
      this.#rooms.set(room, state);
    }
    return state;
  }

  #event(session: ChatSession, kind: ChatEvent['kind'], text: string): ChatEvent {
    return { kind, room: session.room, nick: session.nick, text, origin: session.origin };
  }

  #onEvent(sequenced: SequencedEvent): void {
    const { event } = sequenced;
    if (event.kind === 'topic') {
      const state = this.#rooms.get(event.room);
      if (state !== undefined) {
        state.topic = event.text;
        state.topicSeen = true;
      }
    }
    if ((event.kind === 'msg' || event.kind === 'action') && messageChannel.hasSubscribers) {
      messageChannel.publish({
        room: event.room,
        kind: event.kind,
        id: sequenced.id,
        node: this.nodeId,
      });
    }
    if (event.kind === 'private') {
      const target = this.#byNick.get(nickKey(event.to ?? ''));
      if (target !== undefined) target.send(formatEvent(event) ?? '');
      return;
    }
    const members = this.#rooms.get(event.room)?.members;
    if (members === undefined) return;
    // Formatted once for the whole room, not once per member.
    const line = formatEvent(event);
    const wire = line === null ? null : line + EOL;
    for (const session of members) {
      session.deliver(sequenced, wire);
      if (event.kind === 'leave' && event.origin === session.origin) session.leaveWaiter?.();
    }
  }

  #onStatus(status: 'down' | 'up', detail: { reason?: string; missed?: boolean }): void {
    this.#busUp = status === 'up';
    busChannel.publish({ status, ...detail, node: this.nodeId });
    const line =
      status === 'down'
        ? errorLine('the chat bus is down: messages are not delivered until it is back')
        : serverLine(
            detail.missed
              ? 'the chat bus is back; some messages from while it was down may be missing'
              : 'the chat bus is back; messages sent meanwhile follow',
          );
    for (const s of this.#sessions) if (s.nick !== '') s.send(line);
  }

  #localPresence(): Presence[] {
    const out: Presence[] = [];
    for (const s of this.#sessions) {
      // Listeners too: their nicknames stay reserved and their rooms open (not in /who).
      if (s.nick !== '' && s.room !== '')
        out.push({
          nick: s.nick,
          room: s.room,
          node: this.nodeId,
          ...(s.announced ? {} : { listening: true }),
        });
    }
    return out;
  }
}
