/**
 * Errors of the HTTP/1.1 upstream client, with undici's `code`s (the proxy maps them to
 * 502/504 and decides retries from them). Socket errors (ECONNREFUSED, ECONNRESET, EPIPE...)
 * are passed through as Node raised them.
 */
export class H1Error extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'H1Error';
  }
}

export const connectTimeoutError = (): H1Error => new H1Error('Connect Timeout Error', 'UND_ERR_CONNECT_TIMEOUT');
export const headersTimeoutError = (): H1Error => new H1Error('Headers Timeout Error', 'UND_ERR_HEADERS_TIMEOUT');
export const bodyTimeoutError = (): H1Error => new H1Error('Body Timeout Error', 'UND_ERR_BODY_TIMEOUT');
export const socketClosedError = (): H1Error => new H1Error('other side closed', 'UND_ERR_SOCKET');
export const abortedError = (): H1Error => new H1Error('Request aborted', 'UND_ERR_ABORTED');
export const closedError = (): H1Error => new H1Error('The client is closed', 'UND_ERR_CLOSED');
/** A malformed response (the codes follow llhttp's HPE_* names, as undici's HTTPParserError). */
export const parseError = (message: string, code = 'HPE_INVALID_CONSTANT'): H1Error => new H1Error('Parse Error: ' + message, code);
