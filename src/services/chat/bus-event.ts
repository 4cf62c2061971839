/**
 * Checks what a chat node reads back from a shared bus (Redis): every field of every
 * event, and every presence entry, is untrusted input. Anyone who can write to Redis —
 * or an older, newer or buggy node — can put anything there, and what passes reaches
 * every node's clients (nc at a terminal included).
 *
 * ```
 *  stream entry ─▶ size ─▶ JSON object ─▶ kind ∈ kinds ─▶ room: a normalised room name
 *               ─▶ nick (and `to`, and a rename's new nick): the hub's nick rules
 *               ─▶ text: string, escaped with the client-input escaper ─▶ a fresh event
 * ```
 *
 * Anything that fails is reported with a reason, never thrown: the bus skips it and
 * carries on (a malformed entry must not take the bus down on every node).
 * @module
 */
import {
  type ChatEvent,
  type ChatEventKind,
  escapeControls,
  normalizeNick,
  normalizeRoom,
  validateNick,
} from './protocol.js';

const KINDS: ReadonlySet<string> = new Set<ChatEventKind>([
  'msg',
  'action',
  'join',
  'leave',
  'nick',
  'topic',
  'private',
]);

/** `nodeId/sessionId`: printable ASCII without spaces (never shown, compared only). */
const ORIGIN_RE = /^[\x21-\x7e]{1,128}$/;

/** The default largest encoded event accepted from the bus, in bytes. */
export const DEFAULT_MAX_EVENT_BYTES = 64 * 1024;

/** What {@link parseBusEvent} found. */
export type ParsedEvent = { event: ChatEvent } | { error: string };

/** Whether `room` is a room name exactly as the hub writes it (normalised). */
export function isBusRoom(room: unknown): room is string {
  if (typeof room !== 'string') return false;
  const r = normalizeRoom(room);
  return 'room' in r && r.room === room;
}

/** Whether `nick` passes the hub's own nickname rules (so reserved ones never pass). */
export function isValidBusNick(nick: unknown): nick is string {
  // Nicknames are stored normalised (NFKC): another form was not written by a node.
  return typeof nick === 'string' && normalizeNick(nick) === nick && validateNick(nick) === null;
}

/**
 * Parses and checks one encoded event (the `e` field of a stream entry).
 * @param raw the JSON text, or undefined when the entry had no `e` field.
 * @param maxBytes the largest encoded event accepted.
 * @returns a fresh event holding only the known fields, its text escaped like client
 *   input; or the reason it was refused.
 */
export function parseBusEvent(raw: string | undefined, maxBytes: number): ParsedEvent {
  if (raw === undefined) return { error: 'no "e" field' };
  if (raw.length > maxBytes || Buffer.byteLength(raw) > maxBytes) {
    return { error: `larger than ${maxBytes} bytes` };
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { error: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { error: 'not a JSON object' };
  }
  const e = value as Record<string, unknown>;
  const kind = e.kind;
  if (typeof kind !== 'string' || !KINDS.has(kind)) return { error: 'unknown kind' };
  // A private message carries its sender's room, which may be none (between rooms).
  if (!(isBusRoom(e.room) || (kind === 'private' && e.room === ''))) return { error: 'bad room' };
  if (!isValidBusNick(e.nick)) return { error: 'bad nick' };
  if (typeof e.text !== 'string') return { error: 'bad text' };
  if (typeof e.origin !== 'string' || !ORIGIN_RE.test(e.origin)) return { error: 'bad origin' };
  if (kind === 'nick' && !isValidBusNick(e.text)) return { error: 'bad new nick' };
  if (kind === 'private' && !isValidBusNick(e.to)) return { error: 'bad recipient' };
  const event: ChatEvent = {
    kind: kind as ChatEventKind,
    room: e.room,
    nick: e.nick,
    text: escapeControls(e.text),
    origin: e.origin,
  };
  if (kind === 'private') event.to = e.to as string;
  return { event };
}

/** Checks one presence entry (`nick → room` of a node): both must be valid. */
export function isValidPresence(nick: unknown, room: unknown): boolean {
  return isValidBusNick(nick) && isBusRoom(room);
}

/** Checks a stored topic and escapes it; `null` when it is not a string or too long. */
export function parseBusTopic(topic: unknown, maxChars: number): string | null {
  if (typeof topic !== 'string' || topic.length > maxChars) return null;
  return escapeControls(topic);
}
