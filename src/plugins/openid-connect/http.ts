import type { Dispatcher } from 'undici';
import { undici } from '../../lazy.js';
import { httpCall, parseJson } from '../oauth/common.js';

export interface IdpAnswer {
  status: number;
  json: Record<string, unknown> | null;
}

/**
 * The plugin's HTTP client towards the IdP: a total timeout, a body cap, and `ssl_verify`
 * (an agent that does not verify the IdP's certificate, made only when it is off).
 */
export class IdpHttp {
  private dispatcher: Dispatcher | undefined;

  constructor(readonly timeout: number, private readonly sslVerify: boolean) {}

  private agent(): Dispatcher | undefined {
    if (this.sslVerify) return undefined;
    this.dispatcher ??= new (undici().Agent)({ connect: { rejectUnauthorized: false } });
    return this.dispatcher;
  }

  async call(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<IdpAnswer> {
    const res = await httpCall(url, { ...opts, timeout: this.timeout, dispatcher: this.agent() });
    return { status: res.status, json: parseJson(res.body) };
  }

  getJson(url: string, headers: Record<string, string> = {}): Promise<IdpAnswer> {
    return this.call(url, { headers: { accept: 'application/json', ...headers } });
  }

  postForm(url: string, form: Record<string, string>, headers: Record<string, string>): Promise<IdpAnswer> {
    return this.call(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }
}
