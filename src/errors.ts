/**
 * The socketkit error tree.
 *
 * ```
 * SocketkitError (code, cause)
 * ├── InvalidArgumentError            ERR_INVALID_ARGUMENT
 * ├── UnsupportedOptionError          ERR_UNSUPPORTED_OPTION
 * ├── InvalidStateError               ERR_INVALID_STATE
 * ├── SocketError (errno, syscall, address, port, path)
 * │   ├── ConnectError                ERR_CONNECT
 * │   │   ├── ConnectionRefusedError  ERR_CONNECTION_REFUSED
 * │   │   ├── TlsFingerprintError     ERR_TLS_FINGERPRINT_MISMATCH
 * │   │   └── ProxyError (proxyType, reply)
 * │   │       ├── ProxyRefusedError   ERR_PROXY_REFUSED
 * │   │       ├── ProxyAuthError      ERR_PROXY_AUTH
 * │   │       └── ProxyProtocolError  ERR_PROXY_PROTOCOL
 * │   ├── ConnectionResetError        ERR_CONNECTION_RESET
 * │   ├── SocketTimeoutError          ERR_SOCKET_TIMEOUT
 * │   ├── WouldBlockError             ERR_WOULD_BLOCK
 * │   ├── AddressInUseError           ERR_ADDRESS_IN_USE
 * │   ├── AddressNotAvailableError    ERR_ADDRESS_NOT_AVAILABLE
 * │   ├── PermissionDeniedError       ERR_PERMISSION_DENIED
 * │   ├── HostNotFoundError           ERR_HOST_NOT_FOUND
 * │   ├── SocketClosedError           ERR_SOCKET_CLOSED
 * │   ├── NotConnectedError           ERR_NOT_CONNECTED
 * │   └── IncompleteReadError         ERR_INCOMPLETE_READ
 * └── DecoderError                    ERR_DECODER
 *     ├── FrameTooLongError           ERR_FRAME_TOO_LONG
 *     ├── CorruptFrameError           ERR_CORRUPT_FRAME
 *     ├── TruncatedFrameError         ERR_TRUNCATED_FRAME
 *     ├── CodecContractError          ERR_CODEC_CONTRACT
 *     ├── ForeignProtocolError        ERR_FOREIGN_PROTOCOL
 *     └── ProxyHeaderError            ERR_PROXY_HEADER
 * ```
 *
 * Every code is stable and listed in docs/errors.md. Errors that come from the
 * operating system keep its `errno` code (`ECONNREFUSED`, …) and say which address
 * was involved, so a log line is enough to know what failed and where.
 *
 * @module
 */

/**
 * Every stable `code` a socketkit error carries (docs/errors.md lists each with its
 * meaning). Switch on it rather than on messages: codes never change meaning.
 */
export type ErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_UNSUPPORTED_OPTION'
  | 'ERR_INVALID_STATE'
  | 'ERR_SOCKET'
  | 'ERR_CONNECT'
  | 'ERR_CONNECTION_REFUSED'
  | 'ERR_TLS_FINGERPRINT_MISMATCH'
  | 'ERR_PROXY_REFUSED'
  | 'ERR_PROXY_AUTH'
  | 'ERR_PROXY_PROTOCOL'
  | 'ERR_CONNECTION_RESET'
  | 'ERR_SOCKET_TIMEOUT'
  | 'ERR_WOULD_BLOCK'
  | 'ERR_ADDRESS_IN_USE'
  | 'ERR_ADDRESS_NOT_AVAILABLE'
  | 'ERR_PERMISSION_DENIED'
  | 'ERR_HOST_NOT_FOUND'
  | 'ERR_SOCKET_CLOSED'
  | 'ERR_NOT_CONNECTED'
  | 'ERR_INCOMPLETE_READ'
  | 'ERR_DECODER'
  | 'ERR_FRAME_TOO_LONG'
  | 'ERR_CORRUPT_FRAME'
  | 'ERR_TRUNCATED_FRAME'
  | 'ERR_CODEC_CONTRACT'
  | 'ERR_FOREIGN_PROTOCOL'
  | 'ERR_PROXY_HEADER'
  // services (src/services/*): the chat bus, the proxies and the remote-exec service
  | 'ERR_CHAT_BUS_UNAVAILABLE'
  | 'ERR_DESTINATION_REFUSED'
  | 'ERR_EXEC_ARGS'
  | 'ERR_EXEC_AUTH'
  | 'ERR_EXEC_BAD_REQUEST'
  | 'ERR_EXEC_BUSY'
  | 'ERR_EXEC_CLOCK_SKEW'
  | 'ERR_EXEC_RATE_LIMITED'
  | 'ERR_EXEC_REFUSED'
  | 'ERR_EXEC_REPLAY'
  | 'ERR_EXEC_REPLY'
  | 'ERR_EXEC_SPAWN'
  | 'ERR_EXEC_UNKNOWN_COMMAND';

/** Every code once: a code added to {@link ErrorCode} and not here fails to compile. */
const KNOWN_CODES: Record<ErrorCode, true> = {
  ERR_INVALID_ARGUMENT: true,
  ERR_UNSUPPORTED_OPTION: true,
  ERR_INVALID_STATE: true,
  ERR_SOCKET: true,
  ERR_CONNECT: true,
  ERR_CONNECTION_REFUSED: true,
  ERR_TLS_FINGERPRINT_MISMATCH: true,
  ERR_PROXY_REFUSED: true,
  ERR_PROXY_AUTH: true,
  ERR_PROXY_PROTOCOL: true,
  ERR_CONNECTION_RESET: true,
  ERR_SOCKET_TIMEOUT: true,
  ERR_WOULD_BLOCK: true,
  ERR_ADDRESS_IN_USE: true,
  ERR_ADDRESS_NOT_AVAILABLE: true,
  ERR_PERMISSION_DENIED: true,
  ERR_HOST_NOT_FOUND: true,
  ERR_SOCKET_CLOSED: true,
  ERR_NOT_CONNECTED: true,
  ERR_INCOMPLETE_READ: true,
  ERR_DECODER: true,
  ERR_FRAME_TOO_LONG: true,
  ERR_CORRUPT_FRAME: true,
  ERR_TRUNCATED_FRAME: true,
  ERR_CODEC_CONTRACT: true,
  ERR_FOREIGN_PROTOCOL: true,
  ERR_PROXY_HEADER: true,
  ERR_CHAT_BUS_UNAVAILABLE: true,
  ERR_DESTINATION_REFUSED: true,
  ERR_EXEC_ARGS: true,
  ERR_EXEC_AUTH: true,
  ERR_EXEC_BAD_REQUEST: true,
  ERR_EXEC_BUSY: true,
  ERR_EXEC_CLOCK_SKEW: true,
  ERR_EXEC_RATE_LIMITED: true,
  ERR_EXEC_REFUSED: true,
  ERR_EXEC_REPLAY: true,
  ERR_EXEC_REPLY: true,
  ERR_EXEC_SPAWN: true,
  ERR_EXEC_UNKNOWN_COMMAND: true,
};

/** True when `code` is one of socketkit's stable codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(KNOWN_CODES, code);
}

/** Where a socket operation was aimed: a host and port, or a Unix socket path. */
export interface ErrorAddress {
  address?: string;
  port?: number;
  path?: string;
}

/** Options shared by every socketkit error. */
export interface SocketkitErrorOptions {
  cause?: unknown;
}

/** The base of every error socketkit throws or rejects with. */
export class SocketkitError extends Error {
  /** A stable, documented code such as `ERR_FRAME_TOO_LONG`. */
  readonly code: ErrorCode;

  constructor(message: string, code: ErrorCode, options: SocketkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** A function or constructor was called with an option or argument it cannot accept. */
export class InvalidArgumentError extends SocketkitError {
  constructor(message: string, options: SocketkitErrorOptions = {}) {
    super(message, 'ERR_INVALID_ARGUMENT', options);
  }
}

/**
 * The call is not allowed in the object's current state — e.g. a `recv*` on a stream
 * connection that `onData()` took in push mode (its bytes go to the consumer; a read
 * would wait for ever).
 */
export class InvalidStateError extends SocketkitError {
  constructor(message: string, options: SocketkitErrorOptions = {}) {
    super(message, 'ERR_INVALID_STATE', options);
  }
}

/** A socket option that Node.js cannot set or read on this kind of socket. */
export class UnsupportedOptionError extends SocketkitError {
  readonly option: string;
  constructor(option: string, message?: string) {
    super(
      message ??
        `socket option ${option} is not supported: Node.js exposes no way to set or read it on this socket`,
      'ERR_UNSUPPORTED_OPTION',
    );
    this.option = option;
  }
}

/** Details an operating-system level socket failure carries. */
export interface SocketErrorDetails extends ErrorAddress, SocketkitErrorOptions {
  /** The OS error code, e.g. `ECONNREFUSED`, when the failure came from the OS. */
  errno?: string;
  /** The operation that failed: `connect`, `bind`, `recv`, `send`, `accept`, `getaddrinfo`, … */
  syscall?: string;
}

/** The base of every failure of a socket operation. */
export class SocketError extends SocketkitError {
  readonly errno: string | undefined;
  readonly syscall: string | undefined;
  readonly address: string | undefined;
  readonly port: number | undefined;
  readonly path: string | undefined;

  constructor(message: string, code: ErrorCode, details: SocketErrorDetails = {}) {
    super(message, code, details);
    this.errno = details.errno;
    this.syscall = details.syscall;
    this.address = details.address;
    this.port = details.port;
    this.path = details.path;
  }
}

/** Formats an address for messages: `127.0.0.1:80`, `[::1]:80`, `/tmp/x.sock`. */
export function formatAddress(where: ErrorAddress): string {
  if (where.path !== undefined) return where.path;
  const host = where.address ?? '?';
  const shown = host.includes(':') ? `[${host}]` : host;
  return where.port === undefined ? shown : `${shown}:${where.port}`;
}

/** One address that a connection attempt tried, and how it failed. */
export interface ConnectAttempt extends ErrorAddress {
  errno?: string;
  message: string;
}

/**
 * A connection could not be established. When several addresses were tried
 * (happy eyeballs, `createConnection`), `attempts` lists each one.
 */
export class ConnectError extends SocketError {
  readonly attempts: readonly ConnectAttempt[];
  constructor(
    message: string,
    details: SocketErrorDetails & { attempts?: ConnectAttempt[] } = {},
    code: ErrorCode = 'ERR_CONNECT',
  ) {
    super(message, code, { syscall: 'connect', ...details });
    this.attempts = details.attempts ?? [];
  }
}

/** Nothing listens at the address (ECONNREFUSED). */
export class ConnectionRefusedError extends ConnectError {
  constructor(details: SocketErrorDetails & { attempts?: ConnectAttempt[] } = {}) {
    // When a host name resolved to several addresses, name each one that refused.
    const tried =
      details.attempts && details.attempts.length > 1
        ? ` (tried ${details.attempts.map((a) => formatAddress(a)).join(', ')})`
        : '';
    super(
      `connection refused by ${formatAddress(details)}${tried}: nothing is listening there (is the server running, and on this port?)`,
      { errno: 'ECONNREFUSED', ...details },
      'ERR_CONNECTION_REFUSED',
    );
  }
}

/**
 * The TLS server's certificate is not the pinned one: its SHA-256 fingerprint differs
 * from `fingerprint256` (the TLS connect option). The connection was destroyed right
 * after the handshake, before any application byte was sent. `expected` and `actual`
 * are the fingerprints as `AB:CD:…` (upper-case hex, colon-separated); `actual` is
 * `none` when the server sent no certificate.
 */
export class TlsFingerprintError extends ConnectError {
  readonly expected: string;
  readonly actual: string;
  constructor(expected: string, actual: string, details: SocketErrorDetails = {}) {
    super(
      `the TLS certificate of ${formatAddress(details)} is not the pinned one: SHA-256 fingerprint ${actual}, expected ${expected}`,
      details,
      'ERR_TLS_FINGERPRINT_MISMATCH',
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/** The proxy protocols a client can tunnel through (`connectThroughProxy`). */
export type ProxyType = 'socks4' | 'socks5' | 'http';

/**
 * A connection through a proxy failed in the proxy's handshake (the connection to the
 * proxy itself fails with the other `ConnectError`s). `address`/`port` name the proxy,
 * never the destination's credentials; `reply` is what the proxy answered, when it
 * answered something meaningful (a SOCKS reply code, an HTTP status).
 */
export class ProxyError extends ConnectError {
  readonly proxyType: ProxyType;
  readonly reply: number | undefined;
  constructor(
    message: string,
    code: ErrorCode,
    details: SocketErrorDetails & { proxyType: ProxyType; reply?: number },
  ) {
    super(message, details, code);
    this.proxyType = details.proxyType;
    this.reply = details.reply;
  }
}

/**
 * The proxy refused to open the tunnel: a SOCKS reply other than "granted"/"succeeded"
 * (`reply` holds its code) or an HTTP status other than 2xx and 407 (`reply`: the status).
 */
export class ProxyRefusedError extends ProxyError {
  constructor(
    message: string,
    details: SocketErrorDetails & { proxyType: ProxyType; reply?: number },
  ) {
    super(message, 'ERR_PROXY_REFUSED', details);
  }
}

/**
 * The proxy wants credentials it did not get, or refused the ones given: SOCKS5 method
 * 0xFF or an RFC 1929 failure status, HTTP 407.
 */
export class ProxyAuthError extends ProxyError {
  constructor(
    message: string,
    details: SocketErrorDetails & { proxyType: ProxyType; reply?: number },
  ) {
    super(message, 'ERR_PROXY_AUTH', details);
  }
}

/**
 * The proxy answered outside its protocol (a wrong version byte, an unknown address
 * type, a reply head over the size limit, no HTTP status line) or closed the connection
 * in the middle of the handshake.
 */
export class ProxyProtocolError extends ProxyError {
  constructor(
    message: string,
    details: SocketErrorDetails & { proxyType: ProxyType; reply?: number },
  ) {
    super(message, 'ERR_PROXY_PROTOCOL', details);
  }
}

/** The peer reset the connection (ECONNRESET, EPIPE). */
export class ConnectionResetError extends SocketError {
  constructor(details: SocketErrorDetails = {}) {
    super(
      `connection ${details.syscall ? `reset during ${details.syscall}` : 'reset'} by peer ${formatAddress(details)}`,
      'ERR_CONNECTION_RESET',
      { errno: 'ECONNRESET', ...details },
    );
  }
}

/** An operation waited longer than the socket's timeout. */
export class SocketTimeoutError extends SocketError {
  /** The timeout that expired, in seconds. */
  readonly timeout: number;
  constructor(operation: string, timeoutSeconds: number, details: SocketErrorDetails = {}) {
    const where = details.address !== undefined || details.path !== undefined;
    super(
      `${operation} timed out after ${timeoutSeconds} s${where ? ` (${formatAddress(details)})` : ''}`,
      'ERR_SOCKET_TIMEOUT',
      { errno: 'ETIMEDOUT', syscall: operation, ...details },
    );
    this.timeout = timeoutSeconds;
  }
}

/** A non-blocking socket was asked to do something that would have to wait (EAGAIN). */
export class WouldBlockError extends SocketError {
  constructor(operation: string, details: SocketErrorDetails = {}) {
    super(
      `${operation} would block: the socket is non-blocking and the operation cannot complete now; try again when the socket is ready`,
      'ERR_WOULD_BLOCK',
      { errno: 'EAGAIN', syscall: operation, ...details },
    );
  }
}

/**
 * The address is already bound by another socket (EADDRINUSE). For a Unix socket path,
 * `occupant` says what is there when socketkit looked (`a regular file`, `a directory`,
 * `a socket a process accepts connections on`, …): socketkit removes only a socket file
 * that refuses connections (a crashed server's leftover), never anything else.
 */
export class AddressInUseError extends SocketError {
  /** What occupies a Unix socket path, when known. */
  readonly occupant: string | undefined;
  constructor(details: SocketErrorDetails & { occupant?: string } = {}) {
    const target = formatAddress(details);
    const { occupant, ...rest } = details;
    const hint =
      occupant !== undefined
        ? `${occupant} is there, and only a socket file nobody listens on is removed: choose another path, or stop or remove what is there`
        : details.path !== undefined
          ? 'another process is listening on this Unix socket, or a stale socket file was left behind: remove it if no server uses it'
          : 'another process is listening on this port (find it with `ss -ltnp`); if a server just stopped, its connections may linger in TIME_WAIT, which socketkit listeners tolerate because libuv sets SO_REUSEADDR — so a live process holds the port';
    super(`address ${target} is already in use: ${hint}`, 'ERR_ADDRESS_IN_USE', {
      errno: 'EADDRINUSE',
      syscall: 'bind',
      ...rest,
    });
    this.occupant = occupant;
  }
}

/** The address does not belong to this machine (EADDRNOTAVAIL). */
export class AddressNotAvailableError extends SocketError {
  constructor(details: SocketErrorDetails = {}) {
    super(
      `address ${formatAddress(details)} is not available on this machine: bind to an address one of its interfaces has, or to 0.0.0.0 / ::`,
      'ERR_ADDRESS_NOT_AVAILABLE',
      { errno: 'EADDRNOTAVAIL', ...details },
    );
  }
}

/** The operating system refused the operation (EACCES, EPERM). */
export class PermissionDeniedError extends SocketError {
  constructor(details: SocketErrorDetails = {}) {
    const lowPort = details.port !== undefined && details.port > 0 && details.port < 1024;
    super(
      `permission denied for ${details.syscall ?? 'operation'} on ${formatAddress(details)}${
        lowPort
          ? ': ports below 1024 need root or CAP_NET_BIND_SERVICE; use a port of 1024 or more'
          : ''
      }`,
      'ERR_PERMISSION_DENIED',
      { errno: 'EACCES', ...details },
    );
  }
}

/** A host name could not be resolved (ENOTFOUND, EAI_AGAIN, …). */
export class HostNotFoundError extends SocketError {
  readonly hostname: string;
  constructor(hostname: string, details: SocketErrorDetails = {}) {
    const temporary = details.errno === 'EAI_AGAIN';
    super(
      `host name ${JSON.stringify(hostname)} could not be resolved${
        temporary ? ' (temporary failure: the resolver did not answer; try again)' : ''
      }`,
      'ERR_HOST_NOT_FOUND',
      { errno: 'ENOTFOUND', syscall: 'getaddrinfo', ...details },
    );
    this.hostname = hostname;
  }
}

/** The socket was closed (locally) before or during the operation. */
export class SocketClosedError extends SocketError {
  constructor(operation: string, details: SocketErrorDetails = {}) {
    super(`cannot ${operation}: the socket is closed`, 'ERR_SOCKET_CLOSED', {
      errno: 'EBADF',
      syscall: operation,
      ...details,
    });
  }
}

/** The socket is not connected (yet): `getPeerName`, `recv`, … before `connect` (ENOTCONN). */
export class NotConnectedError extends SocketError {
  constructor(operation: string, details: SocketErrorDetails = {}) {
    super(`cannot ${operation}: the socket is not connected`, 'ERR_NOT_CONNECTED', {
      errno: 'ENOTCONN',
      syscall: operation,
      ...details,
    });
  }
}

/**
 * The peer closed the stream before a read got all it needed (`recvExactly(n)`, or
 * `recvUntil` without its delimiter). The bytes that did arrive stay queued: a
 * following `recv` returns them, so nothing is lost.
 */
export class IncompleteReadError extends SocketError {
  /** How many bytes the read needed (for `recvUntil`: -1, meaning "up to the delimiter"). */
  readonly expected: number;
  /** How many bytes were available when the stream ended. */
  readonly available: number;
  constructor(
    operation: string,
    expected: number,
    available: number,
    details: SocketErrorDetails = {},
  ) {
    super(
      `${operation}: the peer closed the stream after ${available} byte(s)${
        expected >= 0 ? ` of the ${expected} needed` : ' without sending the delimiter'
      } (the received bytes are still readable with recv)`,
      'ERR_INCOMPLETE_READ',
      { syscall: operation, ...details },
    );
    this.expected = expected;
    this.available = available;
  }
}

/** The base of every framing failure: the byte stream cannot be turned into frames. */
export class DecoderError extends SocketkitError {
  constructor(
    message: string,
    code: ErrorCode = 'ERR_DECODER',
    options: SocketkitErrorOptions = {},
  ) {
    super(message, code, options);
  }
}

/** A frame is longer than the decoder's `maxFrameLength`. */
export class FrameTooLongError extends DecoderError {
  /** The frame length, when known (from a length header); otherwise the bytes seen so far. */
  readonly length: number;
  readonly maxFrameLength: number;
  constructor(length: number, maxFrameLength: number, what = 'frame') {
    super(
      `${what} of ${length}${length > maxFrameLength ? '' : '+'} bytes exceeds the limit of ${maxFrameLength} bytes (raise maxFrameLength if such frames are legitimate)`,
      'ERR_FRAME_TOO_LONG',
    );
    this.length = length;
    this.maxFrameLength = maxFrameLength;
  }
}

/** The bytes break the wire format (a bad length header, a missing netstring comma, …). */
export class CorruptFrameError extends DecoderError {
  constructor(message: string, options: SocketkitErrorOptions = {}) {
    super(message, 'ERR_CORRUPT_FRAME', options);
  }
}

/** The stream ended in the middle of a frame. */
export class TruncatedFrameError extends DecoderError {
  /** How many bytes of the unfinished frame were left over. */
  readonly remaining: number;
  constructor(remaining: number) {
    super(
      `the stream ended in the middle of a frame (${remaining} bytes left over)`,
      'ERR_TRUNCATED_FRAME',
    );
    this.remaining = remaining;
  }
}

/** A decoder broke its contract (produced a frame without consuming any bytes). */
export class CodecContractError extends DecoderError {
  constructor(message: string) {
    super(message, 'ERR_CODEC_CONTRACT');
  }
}

/**
 * A connection to a line-based service opened with another protocol's greeting (an
 * HTTP request line, a TLS ClientHello, …): it is closed without acting on it.
 */
export class ForeignProtocolError extends DecoderError {
  /** What was recognised: `http`, `tls` or `request-line` (SIP, RTSP, …). */
  readonly protocol: string;
  constructor(protocol: string) {
    super(
      `the connection opened with a ${protocol} greeting, not this service's protocol`,
      'ERR_FOREIGN_PROTOCOL',
    );
    this.protocol = protocol;
  }
}

/**
 * A connection from a trusted proxy did not start with a valid HAProxy PROXY protocol
 * header (v1 or v2): not a header at all, malformed, or longer than the limit.
 */
export class ProxyHeaderError extends DecoderError {
  constructor(message: string) {
    super(message, 'ERR_PROXY_HEADER');
  }
}

interface NodeSystemError {
  code?: unknown;
  errno?: unknown;
  syscall?: unknown;
  address?: unknown;
  port?: unknown;
  message?: unknown;
  hostname?: unknown;
}

function asSystemError(err: unknown): NodeSystemError {
  return typeof err === 'object' && err !== null ? err : {};
}

/**
 * Turns an error from Node's `net`/`dgram`/`dns` into the socketkit error tree,
 * keeping the original on `cause`. `where` fills in the address when Node's error
 * does not carry one. Errors that already are socketkit errors pass through.
 */
export function fromSystemError(
  err: unknown,
  where: ErrorAddress & { syscall?: string; hostname?: string } = {},
): SocketkitError {
  if (err instanceof SocketkitError) return err;
  if (err instanceof AggregateError) return fromAggregateError(err, where);
  const e = asSystemError(err);
  const errno = typeof e.code === 'string' ? e.code : undefined;
  const details: SocketErrorDetails = {
    cause: err,
    errno,
    syscall: typeof e.syscall === 'string' ? e.syscall : where.syscall,
    address: typeof e.address === 'string' ? e.address : where.address,
    port: typeof e.port === 'number' ? e.port : where.port,
    path: where.path,
  };
  if (details.path !== undefined && details.address === details.path) details.address = undefined;
  switch (errno) {
    case 'ECONNREFUSED':
      return new ConnectionRefusedError(details);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return new ConnectionResetError(details);
    case 'ETIMEDOUT':
      return new SocketTimeoutError(details.syscall ?? 'operation', Number.NaN, details);
    case 'EAGAIN':
    case 'EWOULDBLOCK':
      return new WouldBlockError(details.syscall ?? 'operation', details);
    case 'EADDRINUSE':
      return new AddressInUseError(details);
    case 'EADDRNOTAVAIL':
      return new AddressNotAvailableError(details);
    case 'EACCES':
    case 'EPERM':
      return new PermissionDeniedError(details);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
    case 'EAI_NODATA':
      return new HostNotFoundError(
        where.hostname ?? (typeof e.hostname === 'string' ? e.hostname : (details.address ?? '?')),
        details,
      );
    case 'ENOTCONN':
      return new NotConnectedError(details.syscall ?? 'operation', details);
    case 'EBADF':
    case 'ERR_SOCKET_CLOSED':
    case 'ERR_STREAM_DESTROYED':
    case 'ERR_SOCKET_DGRAM_NOT_RUNNING':
      return new SocketClosedError(details.syscall ?? 'operation', details);
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
    case 'ENOENT':
      if ((details.syscall ?? '') === 'connect')
        return new ConnectError(
          `cannot connect to ${formatAddress(details)}: ${errno === 'ENOENT' ? 'no such socket file' : 'no route to it'} (${errno})`,
          details,
        );
      break;
    default:
      break;
  }
  const message = typeof e.message === 'string' ? e.message : String(err);
  if ((details.syscall ?? '') === 'connect') {
    return new ConnectError(`cannot connect to ${formatAddress(details)}: ${message}`, details);
  }
  return new SocketError(message, 'ERR_SOCKET', details);
}

/**
 * Node 20's `autoSelectFamily` (happy eyeballs) rejects with an `AggregateError`
 * holding one error per address: turn it into one `ConnectError` that names them all.
 */
function fromAggregateError(err: AggregateError, where: ErrorAddress): SocketkitError {
  const attempts: ConnectAttempt[] = err.errors.map((inner) => {
    const e = asSystemError(inner);
    return {
      address: typeof e.address === 'string' ? e.address : undefined,
      port: typeof e.port === 'number' ? e.port : where.port,
      errno: typeof e.code === 'string' ? e.code : undefined,
      message: typeof e.message === 'string' ? e.message : String(inner),
    };
  });
  const allRefused = attempts.length > 0 && attempts.every((a) => a.errno === 'ECONNREFUSED');
  const tried = attempts.map((a) => `${formatAddress(a)} (${a.errno ?? a.message})`).join(', ');
  if (allRefused) return new ConnectionRefusedError({ ...where, attempts, cause: err });
  return new ConnectError(
    `cannot connect to ${formatAddress(where)}: every address failed: ${tried}`,
    { ...where, attempts, cause: err, errno: attempts[0]?.errno },
  );
}
