import { createHash } from 'node:crypto';
import tls, { type ConnectionOptions, type PeerCertificate } from 'node:tls';
import type { Certificate, Service } from '../config/types.js';

/**
 * Upstream TLS of a service, as the connection options of both upstream clients (the h1 client
 * and undici's), plus a key that tells pools with different settings apart.
 *
 * Kong 3.x semantics: `client_certificate` is presented (mutual TLS); `tls_verify` turns
 * verification on or off; `ca_certificates`, when set, are the only trusted CAs; and
 * `tls_verify_depth` limits the chain. One difference, deliberate: `tls_verify: null` (the
 * default) verifies, where Kong leaves it to nginx's `proxy_ssl_verify off` (README "Upstream TLS").
 */
export interface UpstreamTls {
  /** Options spread into tls.connect (and undici's `connect`). */
  readonly options: ConnectionOptions;
  /** Identifies these settings (no secret in it): part of the pool key. */
  readonly key: string;
}

export const DEFAULT_TLS: UpstreamTls = { options: { rejectUnauthorized: true }, key: 'v' };

/** Chain length above the leaf (leaf → ... → self-signed root); 0 for a self-signed leaf. */
function chainDepth(cert: PeerCertificate): number {
  let depth = 0;
  let c = cert as tls.DetailedPeerCertificate;
  const seen = new Set<string>();
  while (c.issuerCertificate !== undefined && c.issuerCertificate !== c && c.issuerCertificate.fingerprint256 !== c.fingerprint256) {
    if (seen.has(c.fingerprint256)) break;
    seen.add(c.fingerprint256);
    c = c.issuerCertificate;
    depth++;
  }
  return depth;
}

/**
 * The TLS settings of `service`; `certificates` resolves its client_certificate reference (or,
 * when it names none, the upstream entity's: Kong's `upstreams[].client_certificate`).
 */
export function upstreamTls(service: Service, certificates: readonly Certificate[], upstreamCertificate: string | null = null): UpstreamTls {
  const t = service.tls;
  const verify = t.verify ?? true;
  const options: ConnectionOptions = { rejectUnauthorized: verify };
  const key: string[] = [verify ? 'v' : 'n'];
  if (verify && t.ca !== null) {
    options.ca = t.ca;
    key.push('ca=' + createHash('sha256').update(t.ca.join('\n')).digest('hex').slice(0, 16));
  }
  if (verify && t.depth !== null) {
    const max = t.depth;
    options.checkServerIdentity = (host, cert) => {
      const e = tls.checkServerIdentity(host, cert);
      if (e !== undefined) return e;
      // As nginx's proxy_ssl_verify_depth: 1 = the leaf signed by the trusted CA, 2 = one intermediate, ...
      return chainDepth(cert) > max ? Object.assign(new Error(`upstream certificate chain is longer than tls_verify_depth ${max}`), { code: 'CERT_CHAIN_TOO_LONG' }) : undefined;
    };
    key.push('depth=' + max);
  }
  const certId = t.client_certificate ?? upstreamCertificate;
  if (certId !== null) {
    const c = certificates.find((x) => x.id === certId);
    if (c !== undefined) {
      options.cert = c.cert;
      options.key = c.key;
      key.push('cert=' + c.id + ':' + createHash('sha256').update(c.cert + '\0' + c.key).digest('hex').slice(0, 16));
    }
  }
  return { options, key: key.join(',') };
}
