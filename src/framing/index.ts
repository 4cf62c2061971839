/**
 * `socketkit/framing`: the cure for "sticky packets". Streaming decoders and
 * matching encoders behind one `Decoder`/`Encoder` interface, a `FrameReader` that
 * owns the buffering, and helpers for any Node stream.
 *
 * Named exports only: this list is the public surface (api/socketkit.api.md records it).
 * @module
 */
export {
  type ByteQueue,
  type Codec,
  type Decoder,
  DEFAULT_MAX_FRAME_LENGTH,
  DEFAULT_MAX_LINE_LENGTH,
  type Encoder,
} from './codec.js';
export type { FrameEncoding, InvalidUtf8Policy, TextFrame } from './decode-text.js';
export { DelimiterCodec, type DelimiterCodecOptions } from './delimiter.js';
export { FixedLengthCodec, type FixedLengthCodecOptions } from './fixed-length.js';
export {
  detectForeignProtocol,
  type ForeignProtocol,
  ForeignProtocolGuard,
} from './foreign-protocol.js';
export { FrameReader, type FramingErrorMessage } from './frame-reader.js';
export { writeFrame } from './frame-writer.js';
export {
  type LengthFieldLength,
  LengthPrefixedCodec,
  type LengthPrefixedCodecOptions,
} from './length-prefixed.js';
export { LineCodec, type LineCodecOptions } from './line.js';
export {
  DEFAULT_MAX_PROXY_HEADER_LENGTH,
  encodeProxyHeader,
  MAX_PROXY_HEADER_LENGTH,
  parseProxyHeader,
  type ProxiedAddress,
  type ProxyHeader,
  type ProxyHeaderFields,
  type ProxyHeaderParse,
  startsProxyHeader,
} from './proxy-header.js';
export {
  MAX_PROXY_UNIQUE_ID,
  type ProxyRawTlv,
  type ProxySslTlv,
  type ProxyTlvFields,
  type ProxyTlvs,
} from './proxy-tlvs.js';
export { NetstringCodec, type NetstringCodecOptions } from './netstring.js';
export { decodeStream, type DecodeStreamOptions, FrameDecoderTransform } from './stream.js';
