/**
 * The one place that decides whether a Unix socket path may be taken over: every Unix
 * stream and datagram listener (the library's `Listener`, `UnixStreamServer`,
 * `UnixDatagramServer`, and `socketkit listen -U`) calls {@link claimUnixSocketPath}
 * before binding, and {@link removeOwnSocketFile} when it closes.
 *
 * A server that crashed leaves its socket file behind, and binding the path again fails
 * with EADDRINUSE. So before binding the path is looked at (`lstat`, never following a
 * link) and probed:
 *
 * | what is there                                   | what happens                      |
 * |-------------------------------------------------|-----------------------------------|
 * | nothing                                         | bind                              |
 * | a socket file that refuses connections (stale)  | removed, then bind                |
 * | a socket something accepts or receives on       | `AddressInUseError` (live)        |
 * | a socket that does not answer the probe in time | `AddressInUseError` (busy)        |
 * | a regular file, directory, link, FIFO, device   | `AddressInUseError`, left alone   |
 *
 * The probe connects as a stream client; a datagram socket answers that with
 * EPROTOTYPE, and is then probed as a datagram client. Only ECONNREFUSED (nobody
 * listening) makes a file stale. (Between the probe and the unlink another server could
 * bind the path; the window is a few microseconds, the same as every such check.)
 * @module
 */
import type { Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink, unlink } from 'node:fs/promises';
import * as net from 'node:net';
import { resolve } from 'node:path';
import { AddressInUseError } from '../errors.js';
import { UnixDatagramSocket, unixDatagramAvailable } from './unix-datagram.js';

/**
 * Paths this process claimed (made free for its own bind): a `node:cluster` primary's
 * workers may have had it bind one of them before it comes back to it (`acceptOwn`).
 */
const claimedHere = new Set<string>();

/** How long the probe waits for an answer before treating the path as in use. */
const PROBE_TIMEOUT_MS = 1000;

/** Options of {@link claimUnixSocketPath}. */
export interface ClaimOptions {
  /**
   * Leave alone, without probing or refusing, a socket this very process (or one of its
   * child processes) listens on. A `node:cluster` primary needs it: its workers run ahead
   * of it and ask it to bind the shared path, so the socket may already be its own (or a
   * worker's) when it comes to claim the path.
   * Linux only (it reads /proc); elsewhere the socket is probed as usual. Default false.
   */
  acceptOwn?: boolean;
}

/**
 * Makes `path` ready for a Unix socket to bind: removes a stale socket file, refuses
 * anything else that is there.
 * @returns true when a stale socket file was removed.
 * @throws {AddressInUseError} naming the path and what is there (`occupant`) when it
 * holds anything but a stale socket file.
 */
export async function claimUnixSocketPath(
  path: string,
  options: ClaimOptions = {},
): Promise<boolean> {
  if (path.startsWith('\0')) return false; // Linux abstract namespace: no file
  const absolute = resolve(path);
  let st: Stats;
  try {
    st = await lstat(path);
  } catch {
    claimedHere.add(absolute);
    return false; // no such file (or unreadable): let bind report it
  }
  if (!st.isSocket()) throw new AddressInUseError({ path, occupant: describeFile(st) });
  if (options.acceptOwn === true && (claimedHere.has(absolute) || (await listenedOnHere(path)))) {
    return false;
  }
  const answer = await probe(path);
  if (answer !== 'ECONNREFUSED') {
    throw new AddressInUseError({ path, occupant: describeAnswer(answer) });
  }
  claimedHere.add(absolute);
  try {
    await unlink(path);
    return true;
  } catch {
    return false; // gone meanwhile: bind will tell
  }
}

/**
 * Removes the socket file of a listener that is closing (Node removes a stream server's
 * file itself; nothing removes a datagram socket's). Only a socket file is removed: if
 * the path was replaced by something else meanwhile, it is left alone.
 */
export async function removeOwnSocketFile(path: string): Promise<void> {
  if (path.startsWith('\0')) return;
  claimedHere.delete(resolve(path));
  try {
    if ((await lstat(path)).isSocket()) await unlink(path);
  } catch {
    // Already gone: nothing to clean up.
  }
}

/**
 * True when this process or one of its children holds a socket bound to `path` (Linux:
 * the socket's inode in /proc/net/unix is one of their /proc/PID/fd's); false when it
 * cannot tell.
 */
async function listenedOnHere(path: string): Promise<boolean> {
  let table: string;
  try {
    table = await readFile('/proc/net/unix', 'utf8');
  } catch {
    return false;
  }
  // Num RefCount Protocol Flags Type St Inode Path
  const absolute = resolve(path);
  const inodes = new Set<string>();
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8) continue;
    const bound = cols.slice(7).join(' ');
    if ((bound === path || bound === absolute) && cols[6] !== undefined) inodes.add(cols[6]);
  }
  if (inodes.size === 0) return false;
  // This process, or one of its children: a cluster worker that ran ahead may hold the
  // socket (on a loaded machine the workers forked for one server start every server
  // before the primary has come to claim this one's path).
  const children = await readFile(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8')
    .then((text) => text.split(/\s+/).filter((pid) => pid !== ''))
    .catch(() => [] as string[]);
  for (const pid of [String(process.pid), ...children]) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined && inodes.has(inode)) return true;
    }
  }
  return false;
}

/** What a non-socket file is, for the error message. */
function describeFile(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device file';
  return 'a file that is not a socket';
}

/** What a probe's answer says is listening. */
function describeAnswer(answer: string): string {
  switch (answer) {
    case 'listening':
      return 'a socket a process accepts connections on';
    case 'receiving':
      return 'a datagram socket a process receives on';
    case 'EAGAIN':
    case 'ETIMEDOUT':
      return 'a socket whose server is too busy to answer (its queue is full)';
    case 'EPROTOTYPE':
      return 'a datagram socket (which cannot be probed here: the unix-dgram addon is not built)';
    case 'EACCES':
    case 'EPERM':
      return 'a socket this process may not connect to (permissions), so cannot tell whether it is in use';
    default:
      return `a socket whose probe failed with ${answer}, so cannot tell whether it is in use`;
  }
}

/** Connects to `path`: resolves 'listening'/'receiving', or the errno of the failure. */
async function probe(path: string): Promise<string> {
  const answer = await probeStream(path);
  if (answer !== 'EPROTOTYPE' || !unixDatagramAvailable()) return answer;
  return probeDatagram(path);
}

function probeStream(path: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect({ path });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve('ETIMEDOUT');
    }, PROBE_TIMEOUT_MS);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve('listening');
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code ?? 'EIO');
    });
  });
}

async function probeDatagram(path: string): Promise<string> {
  const sock = new UnixDatagramSocket();
  try {
    await sock.connect({ path });
    return 'receiving';
  } catch (err) {
    const errno = (err as { errno?: unknown }).errno;
    return typeof errno === 'string' ? errno : 'EIO';
  } finally {
    await sock.close();
  }
}
