/**
 * `socketkit/framing`: the cure for "sticky packets". Streaming decoders and
 * matching encoders behind one `Decoder`/`Encoder` interface.
 * @module
 */
export * from './codec.js';
export * from './frame-reader.js';
