/**
 * Close codes and reasons passed between the two sides of a proxied WebSocket (RFC 6455 §7.4).
 * A code a peer may not put in a close frame (1005, 1006, 1015, reserved ranges) becomes a close
 * without a code, or, for 1006 (the other side vanished), an abrupt close.
 */
import type WebSocket from 'ws';
import type uWS from '../../uws/index.js';

/** Close codes a peer may put in a close frame (RFC 6455 §7.4; 1005/1006/1015 are never sent). */
export function sendableCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** Close reasons are at most 123 bytes. */
export function clampReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  return Buffer.from(reason).subarray(0, 123).toString('utf8').replace(/\uFFFD+$/, '');
}

/** The client closed with `code` and `message`: close the upstream the same way. */
export function closeUpstreamLike(up: WebSocket, code: number, message: ArrayBuffer): void {
  if (code === 1006) up.terminate();
  else if (!sendableCode(code)) up.close();
  else {
    try {
      up.close(code, clampReason(Buffer.from(message).toString('utf8')));
    } catch {
      up.terminate();
    }
  }
}

/** What a client is told when the proxy itself closes it for a reason of its own (1009, 1013). */
export interface ClientClose {
  code: number;
  reason: string;
}

/**
 * The upstream closed with `code` and `reason` (inside a cork): close the client the same way, or
 * with `pending`, the code an upstream error decided (1009, 1011).
 */
export function endClientLike(client: uWS.WebSocket<unknown>, pending: ClientClose | null, code: number, reason: Buffer): void {
  if (pending !== null) client.end(pending.code, pending.reason);
  else if (code === 1006) client.close();
  else if (!sendableCode(code)) client.end();
  else client.end(code, reason);
}

/**
 * When the proxy closes both sides with `code` (shutdown 1001, 1009, 1013), the upstream gets
 * this code: 1009 and 1013 describe the client's side, so the upstream is told 1001 Going Away.
 */
export function upstreamCodeFor(code: number): number {
  return code === 1009 || code === 1013 ? 1001 : code;
}

export function upstreamReasonFor(code: number, reason: string): string {
  return code === 1009 || code === 1013 ? 'Going Away' : reason;
}
