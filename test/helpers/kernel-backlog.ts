/**
 * The backlog the kernel reports for a listening socket: `ss` shows a listener's queue
 * size as its Send-Q. Null when `ss` (iproute2) is not installed (outside CI: see
 * {@link needs}, which fails under CI=true) or the socket is not found, so tests can skip.
 */
import { execFileSync } from 'node:child_process';
import { needs } from './needs.js';

/** A listening TCP port (on any local address) or a Unix socket path. */
export type ListeningAt = { port: number } | { path: string };

export function kernelBacklog(at: ListeningAt): number | null {
  const args = 'path' in at ? ['-lxH', 'src', at.path] : ['-ltnH', `sport = :${at.port}`];
  if (needs('ss')) return null;
  let out: string;
  try {
    out = execFileSync('ss', args, { encoding: 'utf8' });
  } catch {
    return null;
  }
  // "LISTEN 0 4096 127.0.0.1:1234 …" / "u_str LISTEN 0 4096 /path …": Send-Q follows Recv-Q.
  const fields = out.trim().split(/\s+/);
  const listenAt = fields.indexOf('LISTEN');
  return listenAt === -1 ? null : Number(fields[listenAt + 2]);
}
