/**
 * Stale Unix socket files. A server that crashed leaves its socket file behind, and
 * binding the path again fails with EADDRINUSE. Before binding, socketkit probes the
 * file with a connect: if nothing answers (ECONNREFUSED) the file is stale and is
 * removed; if a server answers, the path is left alone and binding reports
 * `AddressInUseError`. Files that are not sockets are never removed.
 * @module
 */
import { lstat, unlink } from 'node:fs/promises';
import * as net from 'node:net';

/** How long the probe waits for an answer before treating the path as in use. */
const PROBE_TIMEOUT_MS = 1000;

/**
 * Removes `path` if it is a socket file that no process listens on.
 * @returns true when a stale file was removed.
 */
export async function removeStaleUnixSocket(path: string): Promise<boolean> {
  if (path.startsWith('\0')) return false; // Linux abstract namespace: no file
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch {
    return false; // no such file (or unreadable): let bind report it
  }
  if (!isSocket) return false;
  const answer = await probe(path);
  if (answer !== 'ECONNREFUSED') return false;
  try {
    await unlink(path);
    return true;
  } catch {
    return false;
  }
}

/** Connects to `path`: resolves 'listening', or the errno of the failure. */
function probe(path: string): Promise<string> {
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
