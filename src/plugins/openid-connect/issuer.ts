import type { createLocalJWKSet, JSONWebKeySet } from 'jose';
import { jose } from '../../lazy.js';
import type { IdpHttp } from './http.js';

/** The parts of an OpenID Provider's discovery document Sluice uses. */
export interface Discovery {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  introspection_endpoint?: string;
  jwks_uri?: string;
  end_session_endpoint?: string;
  userinfo_endpoint?: string;
  grant_types_supported?: string[];
  code_challenge_methods_supported?: string[];
}

export type KeySet = ReturnType<typeof createLocalJWKSet>;

export class DiscoveryError extends Error {}

const WELL_KNOWN = '/.well-known/openid-configuration';

/** Where the discovery document of `issuer` is (Kong accepts the issuer or the document's URL). */
export function discoveryUrl(issuer: string): string {
  return issuer.endsWith(WELL_KNOWN) ? issuer : issuer.replace(/\/+$/, '') + WELL_KNOWN;
}

/**
 * Discovery document and JWKS of one issuer, fetched lazily on the first request that needs them
 * (the gateway starts while the IdP is down) and kept in plugin state across reloads. Concurrent
 * requests share one fetch. `refresh` re-fetches both (an unknown `kid`: the IdP rotated its keys),
 * at most once per `minInterval` ms.
 */
export class IssuerCache {
  discovery: Discovery | null = null;
  keys: KeySet | null = null;
  /** When the last fetch (successful or not) started, ms. */
  fetchedAt = 0;
  /** Successful fetches so far (discovery + JWKS), for tests and metrics. */
  fetches = 0;
  private loading: Promise<void> | null = null;

  constructor(readonly issuer: string, private readonly http: IdpHttp) {}

  /** Discovery + JWKS, fetching them when missing. Throws DiscoveryError when the IdP cannot be reached. */
  async get(): Promise<{ discovery: Discovery; keys: KeySet | null }> {
    // Requests arriving while the IdP is down share one fetch at a time (no pile-up).
    if (this.discovery === null) await this.load();
    return { discovery: this.discovery!, keys: this.keys };
  }

  /** Re-fetches after an unknown kid; false when rate-limited (nothing fetched). */
  async refresh(minInterval: number): Promise<boolean> {
    if (this.loading !== null) {
      await this.loading;
      return true;
    }
    if (Date.now() - this.fetchedAt < minInterval) return false;
    await this.load();
    return true;
  }

  private load(): Promise<void> {
    this.loading ??= this.fetch().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async fetch(): Promise<void> {
    this.fetchedAt = Date.now();
    try {
      const url = discoveryUrl(this.issuer);
      const d = await this.http.getJson(url);
      if (d.status !== 200 || d.json === null || typeof d.json.issuer !== 'string') throw new DiscoveryError(`discovery ${url} answered ${d.status}`);
      const discovery = d.json as unknown as Discovery;
      // OpenID Connect Discovery §4.3: the document's issuer must be the configured one.
      const expected = this.issuer.endsWith(WELL_KNOWN) ? this.issuer.slice(0, -WELL_KNOWN.length) : this.issuer;
      if (discovery.issuer.replace(/\/+$/, '') !== expected.replace(/\/+$/, '')) throw new DiscoveryError(`discovery issuer ${discovery.issuer} is not ${expected}`);
      let keys: KeySet | null = null;
      if (typeof discovery.jwks_uri === 'string') {
        const j = await this.http.getJson(discovery.jwks_uri);
        if (j.status !== 200 || j.json === null || !Array.isArray(j.json.keys)) throw new DiscoveryError(`jwks ${discovery.jwks_uri} answered ${j.status}`);
        keys = jose().createLocalJWKSet(j.json as unknown as JSONWebKeySet);
      }
      this.discovery = discovery;
      this.keys = keys;
      this.fetches++;
    } catch (err) {
      throw err instanceof DiscoveryError ? err : new DiscoveryError((err as Error).message);
    }
  }
}
