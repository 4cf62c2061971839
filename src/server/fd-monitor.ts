/**
 * Notices when the process runs out of file descriptors (EMFILE, or ENFILE for the whole
 * system) while stream servers listen, says so on `socketkit:server:fd-limit`, and tells
 * the servers, which then stop spending descriptors on lingering refusals until it is over.
 *
 * Why a probe: when `accept()` fails with EMFILE, libuv does not report it — it closes a
 * reserve descriptor, accepts and closes every waiting connection, and reopens the
 * reserve (its "EMFILE trick", which keeps the event loop from spinning). The clients are
 * dropped and the server is never told (issue 10, defect 16: operators were blind to
 * it). So while any stream server listens, one shared timer (unref'd, once a second)
 * opens and closes `/dev/null`: failing with EMFILE/ENFILE means new clients are being
 * dropped. The listening sockets keep listening throughout, so serving resumes by itself
 * once descriptors are free again; the monitor then publishes the recovery.
 * @module
 */
import { closeSync, openSync } from 'node:fs';
import { publish, serverChannels } from './server-channels.js';

/** What a server does when descriptors run out or come back. */
export interface FdPressureListener {
  fdPressure(exhausted: boolean): void;
}

/** Seconds between probes. */
const PROBE_INTERVAL_MS = 1000;

const servers = new Set<FdPressureListener>();
let timer: NodeJS.Timeout | undefined;
let exhaustedSince: number | null = null;

/** Starts watching for `server` (while it listens). */
export function watchFds(server: FdPressureListener): void {
  servers.add(server);
  if (timer === undefined) {
    timer = setInterval(probeFds, PROBE_INTERVAL_MS);
    timer.unref();
  }
}

/** Stops watching for `server`; the timer stops with the last one. */
export function unwatchFds(server: FdPressureListener): void {
  servers.delete(server);
  if (servers.size === 0 && timer !== undefined) {
    clearInterval(timer);
    timer = undefined;
    exhaustedSince = null;
  }
}

/**
 * One probe (also called when a listening socket reports EMFILE/ENFILE itself): publishes
 * `exhausted` when descriptors ran out, `recovered` when they are back.
 */
export function probeFds(): void {
  let code: string | null = null;
  try {
    closeSync(openSync('/dev/null', 'r'));
  } catch (error) {
    const c = (error as { code?: unknown }).code;
    if (c === 'EMFILE' || c === 'ENFILE') code = c;
  }
  if (code !== null && exhaustedSince === null) {
    exhaustedSince = Date.now();
    publish(serverChannels.fdLimit, () => ({ state: 'exhausted' as const, code }));
    for (const server of servers) server.fdPressure(true);
  } else if (code === null && exhaustedSince !== null) {
    const durationMs = Date.now() - exhaustedSince;
    exhaustedSince = null;
    publish(serverChannels.fdLimit, () => ({ state: 'recovered' as const, durationMs }));
    for (const server of servers) server.fdPressure(false);
  }
}
