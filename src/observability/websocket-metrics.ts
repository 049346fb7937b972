import client from 'prom-client';

/**
 * WebSocket metrics of one worker, registered on the worker's registry (aggregated with the
 * request metrics by the main thread for GET /metrics). Label children are resolved once, so a
 * message costs two counter adds.
 */
export class WebSocketMetrics {
  /** client→upstream and upstream→client message and byte counters. */
  readonly toUpstreamMessages: client.Counter.Internal;
  readonly toClientMessages: client.Counter.Internal;
  readonly toUpstreamBytes: client.Counter.Internal;
  readonly toClientBytes: client.Counter.Internal;

  constructor(registry: client.Registry, open: () => number) {
    const registers = [registry];
    new client.Gauge({
      name: 'sluice_websocket_connections',
      help: 'WebSocket connections open right now (client and upstream side both open)',
      registers,
      collect() {
        this.set(open());
      },
    });
    const messages = new client.Counter({
      name: 'sluice_websocket_messages_total',
      help: 'WebSocket data messages proxied, by direction (upstream = client to upstream, downstream = upstream to client)',
      labelNames: ['direction'],
      registers,
    });
    const bytes = new client.Counter({
      name: 'sluice_websocket_bytes_total',
      help: 'WebSocket payload bytes proxied, by direction',
      labelNames: ['direction'],
      registers,
    });
    this.toUpstreamMessages = messages.labels('upstream');
    this.toClientMessages = messages.labels('downstream');
    this.toUpstreamBytes = bytes.labels('upstream');
    this.toClientBytes = bytes.labels('downstream');
  }
}
