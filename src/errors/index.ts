/**
 * `socketkit/errors`: the error tree with its stable codes (docs/errors.md lists them).
 *
 * Named exports only: this list is the public surface (api/socketkit.api.md records it).
 * The tree is defined in `src/errors.ts`, beside the helpers that map Node's system
 * errors onto it (`fromSystemError`), which stay internal.
 * @module
 */
export {
  AddressInUseError,
  AddressNotAvailableError,
  CodecContractError,
  type ConnectAttempt,
  ConnectError,
  ConnectionRefusedError,
  ConnectionResetError,
  CorruptFrameError,
  DecoderError,
  type ErrorAddress,
  type ErrorCode,
  ForeignProtocolError,
  FrameTooLongError,
  HostNotFoundError,
  IncompleteReadError,
  InvalidArgumentError,
  InvalidStateError,
  NotConnectedError,
  PermissionDeniedError,
  ProxyAuthError,
  ProxyError,
  ProxyHeaderError,
  ProxyProtocolError,
  ProxyRefusedError,
  type ProxyType,
  SocketClosedError,
  SocketError,
  type SocketErrorDetails,
  SocketkitError,
  type SocketkitErrorOptions,
  SocketTimeoutError,
  TlsFingerprintError,
  TruncatedFrameError,
  UnsupportedOptionError,
  WouldBlockError,
} from '../errors.js';
