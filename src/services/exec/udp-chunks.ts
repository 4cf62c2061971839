/**
 * How an exec reply crosses UDP (seed S8): the reply frames (the same bytes as over
 * TCP) are concatenated and cut into numbered datagrams of at most 1200 bytes (below
 * every path MTU, so none is fragmented), each saying how many there are:
 *
 * ```
 *  0      1        3        5       6          6+idLen
 *  +------+--------+--------+-------+----------+---------------------+
 *  | 0xEC | seq    | total  | idLen | id       | chunk of the reply  |
 *  | u8   | u16 BE | u16 BE | u8    | (UTF-8)  |                     |
 *  +------+--------+--------+-------+----------+---------------------+
 * ```
 *
 * The client puts chunks back in `seq` order; when some never arrive it knows how
 * many were lost (UDP does not resend) and says so instead of printing a hole.
 * @module
 */
import { ExecReplyError } from './exec-error.js';

/** First byte of every reply datagram. */
export const CHUNK_MAGIC = 0xec;
/** Largest reply datagram, bytes. */
export const MAX_DATAGRAM = 1200;
/** Most datagrams in one reply (the u16 `total`). */
export const MAX_CHUNKS = 0xffff;

/** One reply datagram, parsed. */
export interface ReplyChunk {
  seq: number;
  total: number;
  id: string;
  data: Buffer;
}

/** Cuts `body` into reply datagrams for request `id`. */
export function chunkReply(id: string, body: Buffer, maxDatagram = MAX_DATAGRAM): Buffer[] {
  const idBytes = Buffer.from(id, 'utf8').subarray(0, 255);
  const room = maxDatagram - 6 - idBytes.length;
  const total = Math.max(1, Math.ceil(body.length / room));
  if (total > MAX_CHUNKS)
    throw new ExecReplyError(
      `reply of ${body.length} bytes needs more than ${MAX_CHUNKS} datagrams`,
    );
  const out: Buffer[] = [];
  for (let seq = 0; seq < total; seq++) {
    const head = Buffer.alloc(6);
    head[0] = CHUNK_MAGIC;
    head.writeUInt16BE(seq, 1);
    head.writeUInt16BE(total, 3);
    head[5] = idBytes.length;
    out.push(Buffer.concat([head, idBytes, body.subarray(seq * room, (seq + 1) * room)]));
  }
  return out;
}

/** Parses one reply datagram, or returns `null` if it is not one. */
export function parseChunk(datagram: Buffer): ReplyChunk | null {
  if (datagram.length < 6 || datagram[0] !== CHUNK_MAGIC) return null;
  const seq = datagram.readUInt16BE(1);
  const total = datagram.readUInt16BE(3);
  const idLen = datagram[5] ?? 0;
  if (total === 0 || seq >= total || datagram.length < 6 + idLen) return null;
  return {
    seq,
    total,
    id: datagram.subarray(6, 6 + idLen).toString('utf8'),
    data: datagram.subarray(6 + idLen),
  };
}

/** Collects the chunks of one reply. */
export class ChunkAssembler {
  #total = 0;
  readonly #parts = new Map<number, Buffer>();

  /** Adds a chunk (duplicates ignored); returns true once every chunk is in. */
  add(chunk: ReplyChunk): boolean {
    if (this.#total === 0) this.#total = chunk.total;
    if (chunk.total === this.#total && chunk.seq < this.#total)
      this.#parts.set(chunk.seq, chunk.data);
    return this.complete;
  }

  get complete(): boolean {
    return this.#total > 0 && this.#parts.size === this.#total;
  }

  /** Chunks announced (0 before the first arrived). */
  get total(): number {
    return this.#total;
  }

  /** Chunks that have not arrived. */
  get missing(): number {
    return this.#total - this.#parts.size;
  }

  /** The reply body. @throws {ExecReplyError} when chunks are missing. */
  body(): Buffer {
    if (!this.complete)
      throw new ExecReplyError(
        `UDP reply incomplete: lost ${this.missing} of ${this.#total} datagrams (UDP does not resend; retry, or use TCP)`,
      );
    return Buffer.concat([...Array(this.#total).keys()].map((i) => this.#parts.get(i) as Buffer));
  }
}
