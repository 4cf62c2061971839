/**
 * CRC-32C (Castagnoli, RFC 3720 appendix B.4): the checksum PROXY protocol v2 headers may
 * carry in their PP2_TYPE_CRC32C TLV. Reflected polynomial 0x82F63B78, initial value and
 * final XOR 0xFFFFFFFF; crc32c("123456789") = 0xE3069283. A byte-at-a-time table: headers
 * are at most a few KiB, so the 1 KiB table is all the speed they need (no dependency).
 * @module
 */

const TABLE = /* @__PURE__ */ (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * The CRC-32C of `bytes[start, end)`, continuing from `crc` (the value a previous call
 * returned, for a checksum over several pieces; 0 to start).
 */
export function crc32c(bytes: Uint8Array, crc = 0, start = 0, end = bytes.length): number {
  let c = ~crc >>> 0;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
