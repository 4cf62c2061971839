/**
 * The chat wire format: what a client sends and how every server line is marked.
 *
 * The protocol is plain text, one line per message, so `nc`, `telnet` and the
 * tutorials' Python client work unchanged. Lines from the server follow ncat's
 * `--chat` style: the first word says who or what speaks.
 *
 * ```
 * client → server   hello everyone\n        a message to the room (LF or CRLF)
 *                   /nick alice\n           a command (see commands.ts)
 *                   //not a command\n       a message that starts with "/"
 *
 * server → client   <alice> hello everyone                 a message in your room
 *                   * alice waves                          an action (/me)
 *                   *alice* psst                           a private message to you
 *                   -> *bob* psst                          your private message, as sent
 *                   <announce> bob joined #lobby           joins, leaves, nick and topic changes
 *                   <server> 3 users online: …             replies to commands
 *                   <server> error: nickname "bob" is taken   a refused command
 *                   <history> <alice> earlier message      the room's history, on join
 * ```
 *
 * Every server line ends with `\r\n` (telnet-friendly; `nc` and Python ignore the `\r`).
 * @module
 */
import { confusableSkeleton } from './confusable-skeleton.js';

/** The room everyone starts in, and returns to with `/part`. */
export const DEFAULT_ROOM = '#lobby';

/** Line terminator of every server line (CRLF, as telnet expects). */
export const EOL = '\r\n';

/**
 * Nicknames no client may take: they would read like server lines (every marker the
 * server writes in `<…>`) or like the server itself. Compared by {@link nickKey}, so
 * `ѕerver` (Cyrillic), `Ｓｅｒｖｅｒ` and `ſerver` are reserved too.
 */
const RESERVED_NICKS = ['announce', 'server', 'history', 'socketkit', 'system'];

/** A letter, then letters, digits, `_` or `-` (Unicode letters allowed). */
const NICK_RE = /^\p{L}[\p{L}\p{N}_-]*$/u;

/**
 * Characters a nickname may not hold even when they are "letters": default-ignorable
 * and format characters (invisible), bidi controls (reorder the line), and the Hangul
 * and halfwidth fillers (U+115F, U+1160, U+3164, U+FFA0: letters that draw nothing).
 */
const INVISIBLE_RE =
  /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Bidi_Control}\u115f\u1160\u3164\uffa0]/u;

/** A `#`, then letters, digits, `_` or `-`. */
const ROOM_RE = /^#[\p{L}\p{N}_-]+$/u;

/** The longest nickname accepted, in characters. */
export const MAX_NICK_LENGTH = 24;

/** The longest room name accepted, in characters (with the `#`). */
export const MAX_ROOM_LENGTH = 32;

/** A requested nickname as it will be used: NFKC-normalised (`Ｓａｍ` → `Sam`). */
export function normalizeNick(raw: string): string {
  return raw.normalize('NFKC');
}

/**
 * Checks a requested nickname (already {@link normalizeNick normalised}).
 * @returns an error message, or `null` when the nickname is acceptable.
 */
export function validateNick(nick: string): string | null {
  if (nick.length === 0) return 'a nickname cannot be empty';
  if ([...nick].length > MAX_NICK_LENGTH) {
    return `a nickname is at most ${MAX_NICK_LENGTH} characters`;
  }
  if (INVISIBLE_RE.test(nick)) {
    return 'a nickname cannot hold invisible, formatting or direction characters';
  }
  if (!NICK_RE.test(nick)) {
    return 'a nickname starts with a letter and has only letters, digits, "_" and "-"';
  }
  if (RESERVED_KEYS.has(nickKey(nick))) return `"${nick}" is reserved`;
  return null;
}

/**
 * The key under which a nickname is unique, and checked against the reserved names:
 * its UTS #39 confusable skeleton, case-insensitively (NFKC, lower case, skeleton,
 * lower case), so nicknames that look alike (`bob`/`b0b`, `alice`/`аlice`) are one.
 * Lower-casing first would hide that `I` looks like `l` (`PayPaI`), so `i` and `l`
 * count as one letter too.
 */
export function nickKey(nick: string): string {
  return confusableSkeleton(nick.normalize('NFKC').toLowerCase())
    .toLowerCase()
    .replaceAll('i', 'l');
}

const RESERVED_KEYS = new Set(RESERVED_NICKS.map(nickKey));

/**
 * Checks and normalises a room name (`dev` and `#Dev` both become `#dev`).
 * @returns the room name, or an error message in `error`.
 */
export function normalizeRoom(raw: string): { room: string } | { error: string } {
  const name = (raw.startsWith('#') ? raw : `#${raw}`).toLowerCase();
  if ([...name].length > MAX_ROOM_LENGTH) {
    return { error: `a room name is at most ${MAX_ROOM_LENGTH} characters` };
  }
  if (!ROOM_RE.test(name)) {
    return { error: 'a room name is "#" then letters, digits, "_" and "-"' };
  }
  return { room: name };
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Turns the raw bytes of one client line into safe text: invalid UTF-8 becomes U+FFFD
 * and every character that could move another's cursor, clear its screen, reorder or
 * hide text or forge a server line (see {@link escapeControls}) is written visibly as
 * `\xNN`/`\u{NNNN}`. A trailing `\r` (telnet's CRLF) is removed first.
 */
export function sanitizeLine(raw: Uint8Array): string {
  let end = raw.length;
  if (end > 0 && raw[end - 1] === 0x0d) end -= 1;
  const text = decoder.decode(raw.subarray(0, end));
  return escapeControls(text);
}

/**
 * What {@link escapeControls} writes visibly: controls (C0 except tab, DEL, C1), format
 * characters (bidi controls such as U+202E, zero-width space U+200B, word joiner,
 * BOM, tags …), and the line and paragraph separators U+2028/U+2029. Zero-width
 * (non-)joiners U+200C/U+200D stay: emoji sequences and several scripts need them.
 */
const ESCAPED_RE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** Escapes control, format and separator characters in decoded text (see {@link sanitizeLine}). */
export function escapeControls(text: string): string {
  // Fast path: most lines have nothing to escape.
  if (!ESCAPED_RE.test(text)) return text;
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (code === 0x09 || code === 0x200c || code === 0x200d || !ESCAPED_RE.test(ch)) {
      out += ch;
    } else if (code <= 0xff) {
      out += `\\x${code.toString(16).padStart(2, '0')}`;
    } else {
      out += `\\u{${code.toString(16).padStart(4, '0')}}`;
    }
  }
  return out;
}

/** What a bus carries: one event of one room (or a private message). */
export type ChatEventKind = 'msg' | 'action' | 'join' | 'leave' | 'nick' | 'topic' | 'private';

/** One chat event as it travels over the bus. All fields are plain strings. */
export interface ChatEvent {
  kind: ChatEventKind;
  /** The room (for `private`, the sender's room, informational). */
  room: string;
  /** Who did it (for `nick`, the old nickname). */
  nick: string;
  /** The message, action, topic, quit reason or, for `nick`, the new nickname. */
  text: string;
  /** `nodeId/sessionId` of the session that caused it (echo suppression). */
  origin: string;
  /** For `private`: the recipient's nickname. */
  to?: string;
}

/** One event with the id the bus gave it; ids of one bus compare with {@link compareEventIds}. */
export interface SequencedEvent {
  id: string;
  event: ChatEvent;
}

/**
 * Compares two bus ids of the form `<ms>-<seq>` (Redis stream ids; the memory bus
 * uses `0-<seq>`).
 * @returns negative, zero or positive like `Array.prototype.sort` expects.
 */
export function compareEventIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

/**
 * Formats an event as the line a member of the room sees (without EOL).
 * @returns the line, or `null` for events that are not shown (private to someone else).
 */
export function formatEvent(event: ChatEvent): string | null {
  switch (event.kind) {
    case 'msg':
      return `<${event.nick}> ${event.text}`;
    case 'action':
      return `* ${event.nick} ${event.text}`;
    case 'join':
      return `<announce> ${event.nick} joined ${event.room}`;
    case 'leave':
      return event.text === ''
        ? `<announce> ${event.nick} left ${event.room}`
        : `<announce> ${event.nick} left ${event.room} (${event.text})`;
    case 'nick':
      return `<announce> ${event.nick} is now known as ${event.text}`;
    case 'topic':
      return `<announce> ${event.nick} set the topic of ${event.room}: ${event.text}`;
    case 'private':
      return `*${event.nick}* ${event.text}`;
    default:
      return null;
  }
}

/** Formats a reply to a command. */
export function serverLine(text: string): string {
  return `<server> ${text}`;
}

/** Formats a refused command. */
export function errorLine(text: string): string {
  return `<server> error: ${text}`;
}

/** Marks a line replayed from the room's history. */
export function historyLine(line: string): string {
  return `<history> ${line}`;
}

/** Whether an event belongs in a room's history (messages and actions; not joins). */
export function isHistoryEvent(event: ChatEvent): boolean {
  return event.kind === 'msg' || event.kind === 'action';
}
