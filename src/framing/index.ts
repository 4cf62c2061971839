/**
 * `socketkit/framing`: the cure for "sticky packets". Streaming decoders and
 * matching encoders behind one `Decoder`/`Encoder` interface, a `FrameReader` that
 * owns the buffering, and helpers for any Node stream.
 * @module
 */
export * from './codec.js';
export type { FrameEncoding, InvalidUtf8Policy, TextFrame } from './decode-text.js';
export * from './delimiter.js';
export * from './fixed-length.js';
export * from './foreign-protocol.js';
export * from './frame-reader.js';
export * from './frame-writer.js';
export * from './length-prefixed.js';
export * from './line.js';
export * from './netstring.js';
export * from './stream.js';
