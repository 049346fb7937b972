/** kong.client: who is calling, and authenticating them. */
import type { Consumer } from '../../../config/types.js';
import { aliases, pdkClass } from './functions.js';
import type { KongState } from './state.js';
import { tlsOf } from './values.js';

function kongConsumer(c: Consumer | null): Record<string, unknown> | null {
  if (c === null) return null;
  return { id: c.id, username: c.username, custom_id: c.custom_id, tags: (c as { tags?: unknown }).tags ?? null };
}

export class Client {
  constructor(private readonly s: KongState) {}
  async getIp(): Promise<string> {
    return this.s.req.clientIp;
  }
  async getConsumer(): Promise<Record<string, unknown> | null> {
    return kongConsumer(this.s.req.consumer);
  }
  async getCredential(): Promise<Record<string, unknown> | null> {
    const id = this.s.req.credentialId;
    return id === null ? null : { id, consumer: this.s.req.consumer === null ? null : { id: this.s.req.consumer.id } };
  }
  async authenticate(consumer: { id?: string } | null, credential: { id?: string } | null): Promise<void> {
    if ((consumer === null || consumer === undefined) && (credential === null || credential === undefined)) {
      throw new Error('kong.client.authenticate: consumer and credential cannot both be nil');
    }
    let c: Consumer | null = null;
    if (consumer?.id !== undefined) {
      c = this.s.consumers.find(String(consumer.id)) ?? null;
      if (c === null) throw new Error(`kong.client.authenticate: no consumer ${String(consumer.id)} in the configuration`);
    }
    if (c !== null) this.s.req.authenticate(c, credential?.id === undefined ? null : String(credential.id), false);
  }
  async getProtocol(): Promise<string> {
    return tlsOf(this.s.req) ? 'https' : 'http';
  }
}
// No proxy in front of Sluice is trusted: the forwarded address is the connection's.
export interface Client {
  getForwardedIp(): Promise<string>;
}
aliases(Client, { getForwardedIp: 'getIp' });
pdkClass(Client, 'client');
