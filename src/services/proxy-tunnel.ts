/**
 * The relay both proxies run once a tunnel is open (SOCKS CONNECT, HTTP CONNECT): bytes
 * both ways between the client's connection and the destination's, on the connections'
 * push API.
 *
 * ```
 * client ──onData──► write ──► destination      write() false ─► the writer's side is
 * client ◄── write ◄──onData── destination         held (pauseReading) until the reader's 'drain'
 * EOF on one side  ─► shutdown('write') of the other (half-close goes through)
 * reset on one side ─► reset of the other; a local close/idle ─► graceful close of both
 * ```
 *
 * Nothing is buffered here: each chunk is handed on as it came, and a side whose peer
 * does not read is not read either (so a client that never reads stops the proxy reading
 * the destination, and the destination's kernel buffers fill instead of our memory).
 * @module
 */
import { ignoreError } from '../internal/ignore-error.js';
import { channel } from 'node:diagnostics_channel';
import type { IdleSweeper } from '../server/idle-sweeper.js';
import type { Socket } from '../socket/tcp-socket.js';

/**
 * `socketkit:proxy:hold`: a tunnel stopped reading one side because the other does not
 * take its bytes. Message: `{ direction: 'upstream' | 'downstream', buffered }` (the bytes
 * waiting in the slow side's send buffer). `upstream` is client → destination.
 */
export const holdChannel = channel('socketkit:proxy:hold');

/** Options of {@link relayTunnel}. */
export interface TunnelOptions {
  /** Closes the tunnel when neither side moved a byte for its timeout. */
  idle?: IdleSweeper | undefined;
}

type Direction = 'upstream' | 'downstream';

/**
 * Relays between `client` and `destination` until both directions ended (each side's EOF
 * passed on and flushed) or one side failed. Resolves then, never rejects; the
 * destination is closed (gracefully, or reset when the client reset), the client is left
 * to its server to close (after `client.reset()` when the destination reset).
 */
export function relayTunnel(
  client: Socket,
  destination: Socket,
  options: TunnelOptions = {},
): Promise<void> {
  return new Promise<void>((resolve) => {
    let open = 2;
    let done = false;
    const key = {};
    const finish = (): void => {
      if (done) return;
      done = true;
      options.idle?.delete(key);
      resolve();
    };
    // One failure ends both directions: the other side learns it as its protocol allows.
    const fail = (err: unknown, other: Socket, self: Socket): void => {
      const code = (err as { code?: unknown }).code;
      if (code === 'ERR_CONNECTION_RESET') {
        other.reset();
        self.reset();
      } else {
        void other.close();
        void self.close();
      }
      finish();
    };
    const pump = (from: Socket, to: Socket, direction: Direction): void => {
      let held = false;
      const release = (): void => {
        held = false;
        from.resumeReading();
      };
      from
        .onData((chunk) => {
          if (to.write(chunk) || held || !to.canWrite) return;
          held = true;
          from.pauseReading();
          // The connection's own pauseUntilDrained() holds the side that wrote; here the
          // side to hold is the other one, so it waits for the writer's 'drain' itself.
          to.raw.once('drain', release);
          if (holdChannel.hasSubscribers) {
            holdChannel.publish({ direction, buffered: to.bufferedAmount });
          }
        })
        .then(
          async () => {
            // EOF: pass the half-close on once what we wrote is flushed.
            if (to.canWrite) await to.shutdown('write').catch(ignoreError('proxy:tunnel-shutdown'));
            if (--open === 0) {
              await destination.close().catch(ignoreError('proxy:tunnel-close'));
              finish();
            }
          },
          (err: unknown) => fail(err, to, from),
        );
    };
    pump(client, destination, 'upstream');
    pump(destination, client, 'downstream');
    if (options.idle !== undefined) {
      const a = client.raw;
      const b = destination.raw;
      options.idle.add(
        key,
        {
          get bytesRead() {
            return a.bytesRead + b.bytesRead;
          },
          get bytesWritten() {
            return a.bytesWritten + b.bytesWritten;
          },
        },
        () => {
          // Closed locally: each onData() rejects with SocketClosedError, which ends the relay.
          void client.close();
          void destination.close();
        },
      );
    }
  });
}
