import type tls from 'node:tls';
import type { UpstreamHandler, UpstreamRequest } from '../client.js';

/** The h1 client's dispatch options and handler are the UpstreamClient's (../client.ts). */
export type H1DispatchOptions = UpstreamRequest;
export type H1Handler = UpstreamHandler;

export interface H1PoolOptions {
  /** ms; 0 disables. Default 10 000. */
  connectTimeout?: number;
  /** TLS certificate verification for https origins. Default true. */
  rejectUnauthorized?: boolean;
  /** More tls.connect options for https origins (upstream/tls.ts: client certificate, CAs, depth). */
  tls?: tls.ConnectionOptions;
  /** Idle keep-alive time of a socket when the server gives no hint (ms). Default 4 000. */
  keepAliveTimeout?: number;
  /** Upper bound for the server's Keep-Alive hint (ms). Default 60 000. */
  keepAliveMaxTimeout?: number;
  /** Largest response header section (and trailers). Default 64 KiB. */
  maxHeaderSize?: number;
  /** Default per-request timeouts (ms) when dispatch options give none; 0 disables. */
  headersTimeout?: number;
  bodyTimeout?: number;
}
