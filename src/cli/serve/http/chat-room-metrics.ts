/**
 * The chat's share of `serve --http`'s metrics: per room members, messages and
 * slow-consumer cuts, and the bus state, with the room label bounded. Room names are
 * chosen by clients, and each label value is a series Prometheus keeps: the first
 * `maxRoomLabels` rooms seen get their own label, later ones are summed under
 * `room="other"`. First come rather than top-N, so a counter's series never moves from one
 * label to another (which `rate()` would read as a reset). docs/observability.md.
 * @module
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** The room label that collects rooms beyond the cap. */
export const OTHER_ROOM = 'other';

/** A chat room as the metrics know it. */
interface RoomTotals {
  members: number;
  messages: number;
  slowCuts: number;
}

/** Chat room totals and bus state, fed by ServeMetrics' channel subscribers. */
export class ChatRoomMetrics {
  readonly #maxRoomLabels: number;
  readonly #rooms = new Map<string, RoomTotals>();
  /** Rooms beyond the label cap, summed; its members are recomputed from #unlabelled. */
  readonly #other: RoomTotals = { members: 0, messages: 0, slowCuts: 0 };
  /** Member counts of unlabelled rooms, kept only while they have members here. */
  readonly #unlabelled = new Map<string, number>();
  busUp = true;
  busLagSeconds = 0;

  constructor(maxRoomLabels: number, registers: Registry[]) {
    this.#maxRoomLabels = maxRoomLabels;
    this.#register(registers);
  }

  /** `socketkit:chat:room`: a room's member count on this node. */
  setMembers(room: string, members: number): void {
    const totals = this.#room(room);
    if (totals !== this.#other) {
      totals.members = members;
      return;
    }
    // The hub bounds how many rooms have members here, so this map is bounded too.
    if (members > 0) this.#unlabelled.set(room, members);
    else this.#unlabelled.delete(room);
    let sum = 0;
    for (const n of this.#unlabelled.values()) sum += n;
    this.#other.members = sum;
  }

  /** `socketkit:chat:message`: one message for `room`; `id` is its bus id. */
  noteMessage(room: string, id: string): void {
    this.#room(room).messages += 1;
    // A Redis stream id starts with the ms it entered the stream (MemoryBus ids do not).
    const ms = Number(id.split('-')[0]);
    if (ms > 1e12) this.busLagSeconds = Math.max(0, Date.now() - ms) / 1000;
  }

  /** `socketkit:chat:slow-consumer`: a member of `room` was cut. */
  noteSlowCut(room: string): void {
    this.#room(room).slowCuts += 1;
  }

  /** Rooms with members here (labelled ones, then "other"), most members first. */
  list(): Array<{ room: string; members: number; messages: number }> {
    const out = [...this.#rooms]
      .filter(([, r]) => r.members > 0)
      .map(([room, r]) => ({ room, members: r.members, messages: r.messages }));
    if (this.#other.members > 0)
      out.push({ room: OTHER_ROOM, members: this.#other.members, messages: this.#other.messages });
    return out.sort((a, b) => b.members - a.members || a.room.localeCompare(b.room));
  }

  /** A room's totals: its own while labels remain, else the shared "other". */
  #room(room: string): RoomTotals {
    const own = this.#rooms.get(room);
    if (own !== undefined) return own;
    if (this.#rooms.size < this.#maxRoomLabels && room !== OTHER_ROOM) {
      const created = { members: 0, messages: 0, slowCuts: 0 };
      this.#rooms.set(room, created);
      return created;
    }
    return this.#other;
  }

  /** Every labelled room, and "other" once anything was counted there. */
  #series(): Array<[string, RoomTotals]> {
    const out = [...this.#rooms];
    const o = this.#other;
    if (this.#unlabelled.size > 0 || o.messages > 0 || o.slowCuts > 0) out.push([OTHER_ROOM, o]);
    return out;
  }

  #register(registers: Registry[]): void {
    const series = (): Array<[string, RoomTotals]> => this.#series();
    const perRoom = (
      name: string,
      help: string,
      value: (r: RoomTotals) => number,
      kind: 'counter' | 'gauge',
    ): void => {
      const config = {
        name,
        help,
        labelNames: ['room'] as const,
        registers,
        // Read at scrape time: events only add to plain numbers.
        collect(this: Counter<'room'> | Gauge<'room'>) {
          this.reset();
          for (const [room, r] of series()) {
            if (this instanceof Gauge) this.set({ room }, value(r));
            else this.inc({ room }, value(r));
          }
        },
      };
      if (kind === 'gauge') new Gauge(config);
      else new Counter(config);
    };
    perRoom(
      'socketkit_chat_room_members',
      'Members of the room connected to this node.',
      (r) => r.members,
      'gauge',
    );
    perRoom(
      'socketkit_chat_messages_total',
      'Messages and actions this node received from the bus for the room.',
      (r) => r.messages,
      'counter',
    );
    perRoom(
      'socketkit_chat_slow_consumer_cuts_total',
      'Members of the room disconnected for not reading (slow consumers).',
      (r) => r.slowCuts,
      'counter',
    );
    const busUp = (): number => (this.busUp ? 1 : 0);
    const lag = (): number => this.busLagSeconds;
    new Gauge({
      name: 'socketkit_chat_bus_up',
      help: 'Whether the chat bus is reachable (1) or down (0).',
      registers,
      collect() {
        this.set(busUp());
      },
    });
    new Gauge({
      name: 'socketkit_chat_bus_lag_seconds',
      help: 'Delay between a message entering the bus and this node receiving it (last message; Redis bus only).',
      registers,
      collect() {
        this.set(lag());
      },
    });
  }
}
