/**
 * Connection and datagram ids: one counter for every server in the process, so an id in a
 * log line or a diagnostics message names one request, whichever server took it.
 * @module
 */

let nextId = 1;

/** Hands out connection and datagram ids, unique within the process. */
export function nextRequestId(): number {
  return nextId++;
}
