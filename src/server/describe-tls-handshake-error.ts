/**
 * Why a client's TLS handshake failed, in one line a person can act on. OpenSSL's own
 * messages are multi-line (`806C…:error:0A00010B:SSL routines:ssl3_get_record:wrong
 * version number:../deps/openssl/…:350:`) and name internals; the usual causes (a
 * plain-text client on a TLS port, an old client, a certificate the client rejects, a
 * client without the certificate asked for) get words, anything else its OpenSSL reason.
 * Never more than one line, never raw control characters.
 * @module
 */

/** The usual OpenSSL / Node codes of a failed handshake, and what they mean. */
const CAUSES: Readonly<Record<string, string>> = {
  ERR_SSL_WRONG_VERSION_NUMBER: 'the client did not speak TLS (plain text?)',
  ERR_SSL_UNKNOWN_PROTOCOL: 'the client did not speak TLS (plain text?)',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'the client did not speak TLS (plain text?)',
  ERR_SSL_RECORD_LENGTH_MISMATCH: 'the client did not speak TLS (plain text?)',
  ERR_SSL_HTTP_REQUEST: 'the client spoke plain HTTP, not TLS (http:// instead of https://?)',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'no TLS version in common (the client is too old?)',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'no TLS version in common (the client is too old?)',
  ERR_SSL_NO_SHARED_CIPHER: 'no cipher in common with the client',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: 'the client does not trust our certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the client does not trust our certificate (unknown CA)',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the client rejected our certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'the client says our certificate has expired',
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    'the client sent no certificate (client certificates are required)',
  ERR_SSL_CERTIFICATE_VERIFY_FAILED: "the client's certificate did not verify",
  ERR_TLS_HANDSHAKE_TIMEOUT: 'the client did not finish the handshake in time',
  ECONNRESET: 'the client reset the connection during the handshake',
};

/** Makes `text` one printable line (control characters become spaces), at most `max` long. */
function oneLine(text: string, max = 200): string {
  const flat = text
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * One line saying why a TLS handshake failed: the usual causes in words, otherwise
 * OpenSSL's reason (`… (SSL routines: REASON)`) or the error's first line, with its code.
 */
export function describeTlsHandshakeError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const known = typeof code === 'string' ? CAUSES[code] : undefined;
  if (known !== undefined) return known;
  const message = err instanceof Error ? err.message : String(err);
  const reason = /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1];
  const text = oneLine(reason ?? message.split('\n')[0] ?? message);
  return typeof code === 'string' ? `${text} [${code}]` : text;
}
