/**
 * The slash commands a chat client can send, as data: name, usage, help and what it does.
 * A line that does not start with `/` is a message; `//text` sends `/text` as a message.
 * @module
 */
import type { ChatSession } from './client-session.js';
import type { ChatHub } from './hub.js';
import {
  DEFAULT_ROOM,
  errorLine,
  normalizeNick,
  normalizeRoom,
  serverLine,
  validateNick,
} from './protocol.js';

/** One slash command. */
export interface ChatCommand {
  name: string;
  usage: string;
  help: string;
  /** Runs the command; `false` when it was refused (the client was told why). */
  run(hub: ChatHub, session: ChatSession, args: string): Promise<void | false>;
}

const reply = (session: ChatSession, text: string): void => session.send(serverLine(text));
const refuse = (session: ChatSession, text: string): false => {
  session.send(errorLine(text));
  return false;
};

/** Every command, in the order `/help` lists them. */
export const CHAT_COMMANDS: readonly ChatCommand[] = [
  {
    name: 'nick',
    usage: '/nick NAME',
    help: 'change your nickname (unique: look-alikes count as one)',
    async run(hub, session, args) {
      const nick = normalizeNick(args.trim());
      const invalid = validateNick(nick);
      if (invalid !== null) return refuse(session, invalid);
      if (nick === session.nick) return reply(session, `you are already ${nick}`);
      if (!(await hub.rename(session, nick))) return refuse(session, `nickname "${nick}" is taken`);
    },
  },
  {
    name: 'who',
    usage: '/who [#room]',
    help: 'list who is online (everyone, or one room)',
    async run(hub, session, args) {
      const everyone = await hub.who();
      const filter = args.trim();
      if (filter !== '') {
        const r = normalizeRoom(filter);
        if ('error' in r) return refuse(session, r.error);
        const nicks = everyone.filter((p) => p.room === r.room).map((p) => p.nick);
        nicks.sort((a, b) => a.localeCompare(b));
        return reply(session, `${nicks.length} in ${r.room}: ${nicks.join(', ')}`);
      }
      everyone.sort((a, b) => a.room.localeCompare(b.room) || a.nick.localeCompare(b.nick));
      const list = everyone.map((p) => `${p.nick} (${p.room})`).join(', ');
      reply(session, `${everyone.length} online: ${list}`);
    },
  },
  {
    name: 'me',
    usage: '/me ACTION',
    help: 'say what you do: "* alice waves"',
    async run(hub, session, args) {
      if (args.trim() === '') return refuse(session, 'usage: /me ACTION');
      await hub.say(session, 'action', args.trim());
    },
  },
  {
    name: 'msg',
    usage: '/msg NICK TEXT',
    help: 'send a private message',
    async run(hub, session, args) {
      const m = /^(\S+)\s+(.+)$/s.exec(args.trim());
      if (m === null) return refuse(session, 'usage: /msg NICK TEXT');
      const [, to = '', text = ''] = m;
      if (!(await hub.whisper(session, to, text)))
        return refuse(session, `no such nickname: ${to}`);
      session.send(`-> *${to}* ${text}`);
    },
  },
  {
    name: 'join',
    usage: '/join #ROOM',
    help: 'go to a room (created on first join)',
    async run(hub, session, args) {
      if (args.trim() === '') return refuse(session, 'usage: /join #ROOM');
      const r = normalizeRoom(args.trim());
      if ('error' in r) return refuse(session, r.error);
      await hub.join(session, r.room);
    },
  },
  {
    name: 'part',
    usage: '/part',
    help: `leave your room, back to ${DEFAULT_ROOM}`,
    async run(hub, session) {
      await hub.part(session);
    },
  },
  {
    name: 'rooms',
    usage: '/rooms',
    help: 'list the rooms with people in them',
    async run(hub, session) {
      const rooms = await hub.rooms();
      reply(session, `${rooms.length} rooms:`);
      for (const r of rooms) {
        reply(session, `${r.room} (${r.members})${r.topic === '' ? '' : `: ${r.topic}`}`);
      }
    },
  },
  {
    name: 'topic',
    usage: '/topic [TEXT]',
    help: "show or set your room's topic",
    async run(hub, session, args) {
      const text = args.trim();
      if (text === '') {
        const topic = hub.topic(session.room);
        return reply(
          session,
          topic ? `topic of ${session.room}: ${topic}` : `${session.room} has no topic`,
        );
      }
      await hub.setTopic(session, text.slice(0, 200));
    },
  },
  {
    name: 'echo',
    usage: '/echo on|off',
    help: 'see your own messages or not',
    async run(_hub, session, args) {
      const v = args.trim().toLowerCase();
      if (v !== 'on' && v !== 'off') return refuse(session, 'usage: /echo on|off');
      session.echo = v === 'on';
      reply(session, `echo ${v}`);
    },
  },
  {
    name: 'help',
    usage: '/help',
    help: 'this list',
    async run(_hub, session) {
      reply(session, 'commands (anything else is a message to your room; //text sends "/text"):');
      for (const c of CHAT_COMMANDS) reply(session, `${c.usage.padEnd(16)} ${c.help}`);
    },
  },
  {
    name: 'quit',
    usage: '/quit [REASON]',
    help: 'leave the chat',
    async run(_hub, session, args) {
      reply(session, 'bye');
      session.close(args.trim().slice(0, 100));
    },
  },
];

const byName = new Map(CHAT_COMMANDS.map((c) => [c.name, c]));

/**
 * Handles one sanitised line from a client: a command, or a message to its room. A
 * client's first valid line or command announces it to its room (a message or most
 * commands: before; `/nick` and `/join`: after they ran, so the room first hears of the
 * chosen name, in the chosen room; `/quit` and unknown commands: never).
 */
export async function runCommand(hub: ChatHub, session: ChatSession, line: string): Promise<void> {
  if (session.closed) return;
  if (session.nick === '') {
    refuse(session, 'you are not in the chat (the chat bus is unavailable): try again later');
    return;
  }
  if (isCommandLine(line)) {
    const m = /^\/(\S+)\s*(.*)$/s.exec(line);
    const name = (m?.[1] ?? '').toLowerCase();
    const command = byName.get(name);
    if (command === undefined) {
      refuse(session, `unknown command /${name}: try /help`);
      return;
    }
    // /nick and /join announce after they ran (the room hears of the new name, or in
    // the new room), unless refused; /quit never; the others before (so /who lists you).
    const after = name === 'nick' || name === 'join';
    if (!after && name !== 'quit') await hub.announce(session);
    const result = await command.run(hub, session, m?.[2] ?? '');
    if (after && result !== false) await hub.announce(session);
    return;
  }
  await hub.announce(session);
  await sayLine(hub, session, line);
}

/** Whether a sanitised line is a slash command (`//text` is a message: "/text"). */
export function isCommandLine(line: string): boolean {
  return line.charCodeAt(0) === 0x2f && line.charCodeAt(1) !== 0x2f;
}

/**
 * Publishes a line that is not a command as a message to the session's room; a message
 * the bus refused is named back to its sender. Never rejects.
 */
export async function sayLine(hub: ChatHub, session: ChatSession, line: string): Promise<void> {
  const text = line.startsWith('//') ? line.slice(1) : line;
  try {
    await hub.say(session, 'msg', text);
  } catch (err) {
    // Say which message was lost, so the sender can send it again.
    const snippet = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    refuse(session, `${err instanceof Error ? err.message : String(err)}: "${snippet}"`);
  }
}
