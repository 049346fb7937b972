/**
 * An open proxied WebSocket: messages, pings, pongs and closes relayed both ways, with
 * backpressure (module comment of ../websocket.ts for the limits). One per connection, made when
 * the upstream accepted the handshake; the client's uWS callbacks and the upstream's `ws` events
 * both land here. The upgrade request (upgrade.ts) keeps what is logged.
 */
import WebSocket from 'ws';
import type uWS from '../../uws/index.js';
import type { WebSocketMetrics } from '../../observability/websocket-metrics.js';
import type { WebSocketProxy } from '../websocket.js';
import { corked } from '../cork.js';
import { closeUpstreamLike, endClientLike, upstreamCodeFor, upstreamReasonFor, type ClientClose } from './close-codes.js';
import { CLIENT_HIGH_WATER, CLIENT_LOW_WATER, type WsRouteOptions } from './limits.js';
import type { WsUpgrade } from './upgrade.js';

/** uWS's user data of a client WebSocket. */
export interface WsUserData {
  relay: WsRelay;
}

const BINARY = { binary: true } as const;
const TEXT = { binary: false } as const;

function copyOf(ab: ArrayBuffer): Buffer {
  const b = Buffer.allocUnsafe(ab.byteLength);
  b.set(new Uint8Array(ab));
  return b;
}

// Sends to the client from `ws` events must be corked (cork.ts); the message rides on the relay.
function sendToClient(r: WsRelay): void {
  r.sendStatus = r.client!.send(r.outgoing!, r.outgoingBinary);
}
function pingClient(r: WsRelay): void {
  r.client!.ping(r.outgoing!);
}
function endClientAfterUpstream(r: WsRelay): void {
  endClientLike(r.client!, r.pendingClientClose, r.upstreamCloseCode, r.upstreamCloseReason!);
}
function endClient(r: WsRelay): void {
  r.client!.end(r.closeCode, r.closeReason);
}

export class WsRelay {
  client: uWS.WebSocket<WsUserData> | null = null;
  clientClosed = false;
  upstreamClosed = false;
  upstreamPaused = false;
  /** Close code for the client decided by an upstream error (e.g. 1009), used when the upstream closes. */
  pendingClientClose: ClientClose | null = null;
  /** Message bytes sent to the client (the log phase's bytesSent). */
  bytesToClient = 0;
  // The write being corked (sendToClient, pingClient, the end functions): no closure per message.
  outgoing: Buffer | null = null;
  outgoingBinary = false;
  sendStatus = 0;
  upstreamCloseCode = 0;
  upstreamCloseReason: Buffer | null = null;
  closeCode = 0;
  closeReason = '';
  private finished = false;
  private readonly maxPayload: number;
  private readonly upstreamBufferCap: number;
  private readonly metrics: WebSocketMetrics;

  constructor(
    readonly upgrade: WsUpgrade,
    readonly proxy: WebSocketProxy,
    readonly upstream: WebSocket,
    options: WsRouteOptions,
  ) {
    this.maxPayload = options.maxPayload;
    this.upstreamBufferCap = options.upstreamBufferCap;
    this.metrics = proxy.metrics;
    upstream.on('message', (data: Buffer, isBinary: boolean) => this.onUpstreamMessage(data, isBinary));
    upstream.on('ping', (data: Buffer) => this.onUpstreamPing(data));
    upstream.on('close', (code: number, reason: Buffer) => this.onUpstreamClose(code, reason));
  }

  // ---- client side (uWS callbacks) --------------------------------------------------------

  /** uWS calls this from inside res.upgrade. */
  onClientOpen(ws: uWS.WebSocket<WsUserData>): void {
    this.client = ws;
    this.proxy.open.add(this);
    this.upgrade.opened();
  }

  onClientMessage(message: ArrayBuffer, isBinary: boolean): void {
    const up = this.upstream;
    if (this.upstreamClosed || up.readyState !== WebSocket.OPEN) return;
    const n = message.byteLength;
    if (n > this.maxPayload) return this.closeBoth(1009, 'Message Too Big');
    up.send(copyOf(message), isBinary ? BINARY : TEXT);
    const m = this.metrics;
    m.toUpstreamMessages.inc();
    m.toUpstreamBytes.inc(n);
    if (up.bufferedAmount > this.upstreamBufferCap) {
      this.upgrade.errorMessage = 'upstream not reading: buffer cap reached';
      this.closeBoth(1013, 'upstream is not reading');
    }
  }

  onClientDrain(): void {
    if (this.upstreamPaused && this.client !== null && this.client.getBufferedAmount() < CLIENT_LOW_WATER) {
      this.upstreamPaused = false;
      this.upstream.resume();
    }
  }

  /** uWS already answered the client's ping; the upstream gets it too. */
  onClientPing(message: ArrayBuffer): void {
    const up = this.upstream;
    if (!this.upstreamClosed && up.readyState === WebSocket.OPEN) up.ping(copyOf(message));
  }

  /** Pongs go to the upstream (answers to the pings it sent; ws's automatic pong is off). */
  onClientPong(message: ArrayBuffer): void {
    const up = this.upstream;
    if (!this.upstreamClosed && up.readyState === WebSocket.OPEN) up.pong(copyOf(message));
  }

  onClientClose(code: number, message: ArrayBuffer): void {
    this.clientClosed = true;
    this.client = null;
    if (!this.upstreamClosed) {
      this.upstreamClosed = true;
      closeUpstreamLike(this.upstream, code, message);
    }
    this.finish();
  }

  // ---- upstream side (ws events) ----------------------------------------------------------

  private onUpstreamMessage(data: Buffer, isBinary: boolean): void {
    const client = this.client;
    if (client === null || this.clientClosed) return;
    this.outgoing = data;
    this.outgoingBinary = isBinary;
    corked(client, sendToClient, this);
    this.outgoing = null;
    const m = this.metrics;
    m.toClientMessages.inc();
    m.toClientBytes.inc(data.length);
    this.bytesToClient += data.length;
    if (this.sendStatus === 2) {
      // Dropped: cannot happen below UWS_MAX_BACKPRESSURE; the stream is no longer intact.
      this.upgrade.errorMessage = 'client backpressure limit: message dropped';
      return this.closeBoth(1013, 'client is not reading');
    }
    if (!this.upstreamPaused && client.getBufferedAmount() > CLIENT_HIGH_WATER) {
      this.upstreamPaused = true;
      this.upstream.pause();
    }
  }

  private onUpstreamPing(data: Buffer): void {
    const client = this.client;
    if (client === null || this.clientClosed) return;
    this.outgoing = data;
    corked(client, pingClient, this);
    this.outgoing = null;
  }

  /** An error on the open upstream connection: ws closes it; tell the client why when it does. */
  onUpstreamError(err: Error): void {
    const code = (err as { code?: string }).code;
    this.pendingClientClose = code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? { code: 1009, reason: 'Message Too Big' } : { code: 1011, reason: 'upstream protocol error' };
    this.upgrade.errorMessage = err.message;
  }

  private onUpstreamClose(code: number, reason: Buffer): void {
    if (this.upgrade.phase !== 'open') return;
    this.upstreamClosed = true;
    const client = this.client;
    if (client !== null && !this.clientClosed) {
      this.upstreamCloseCode = code;
      this.upstreamCloseReason = reason;
      corked(client, endClientAfterUpstream, this);
      this.upstreamCloseReason = null;
    }
    this.finish();
  }

  /** Closes both sides with the same code (shutdown 1001, 1009, 1013). */
  closeBoth(code: number, reason: string): void {
    if (!this.upstreamClosed) {
      this.upstreamClosed = true;
      this.upstream.close(upstreamCodeFor(code), upstreamReasonFor(code, reason));
    }
    const client = this.client;
    if (client !== null && !this.clientClosed) {
      this.closeCode = code;
      this.closeReason = reason;
      corked(client, endClient, this); // calls onClientClose
    } else this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.proxy.open.delete(this);
    this.upgrade.ended(this.bytesToClient);
  }
}
