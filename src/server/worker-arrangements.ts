/**
 * What a `ClusterSupervisor`'s worker arranges for its Unix servers before `listen()`,
 * kept out of their public API: the primary owns the socket path, so a worker's
 * `UnixStreamServer` must not probe it as stale (the probe would connect to the socket a
 * sibling already listens on, and be served as a spurious client), and a worker's
 * `UnixDatagramServer` serves what the primary relays instead of binding. Module-private
 * state (not re-exported by src/server/index.ts): only cluster-worker.ts sets it.
 * @module
 */

/**
 * Where a `UnixDatagramServer` gets its datagrams when another process owns the socket.
 */
export interface DatagramRelay {
  /** Registers the receiver of every relayed datagram (payload, sender's path). */
  onDatagram(receive: (data: Buffer, path: string) => void): void;
  /** Sends a reply to `path` from the socket the other process owns. */
  sendTo(data: Buffer, path: string): void;
}

const claimedPaths = new WeakSet<object>();
const relays = new WeakMap<object, DatagramRelay>();

/** `server`'s socket path was claimed by another process: `listen()` binds without the stale check. */
export function assumePathClaimed(server: object): void {
  claimedPaths.add(server);
}

/** True when `assumePathClaimed(server)` was called. */
export function isPathClaimed(server: object): boolean {
  return claimedPaths.has(server);
}

/** `server` serves the datagrams `relay` delivers instead of binding its path. */
export function relayThrough(server: object, relay: DatagramRelay): void {
  relays.set(server, relay);
}

/** The relay set by `relayThrough(server, …)`, or null. */
export function relayOf(server: object): DatagramRelay | null {
  return relays.get(server) ?? null;
}
