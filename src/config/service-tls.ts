import { X509Certificate } from 'node:crypto';
import type { Entities, Entity } from './entities.js';
import { err, formatPath, type Issue } from './issues.js';
import { isObj, type Obj } from './walk.js';

/**
 * A service's upstream TLS settings as Kong 3.x has them (`client_certificate`, `tls_verify`,
 * `tls_verify_depth`, `ca_certificates`), with the references resolved: the client certificate
 * stays a reference (its key is a secret of the `certificates` entity), the CA certificates are
 * public and are copied in as PEM.
 */
export interface ServiceTls {
  /** null: Sluice's default (verify; see README "Upstream TLS"). */
  verify: boolean | null;
  /** Longest certificate chain accepted below the trusted CA (OpenSSL's verify depth); null: no limit. */
  depth: number | null;
  /** PEMs of the referenced `ca_certificates`: the only trusted CAs when set; null: the system's. */
  ca: string[] | null;
  /** Id of the `certificates` entity presented to the upstream (mutual TLS), or null. */
  client_certificate: string | null;
}

const idOf = (ref: unknown): string | undefined => (typeof ref === 'string' ? ref : isObj(ref) && typeof ref.id === 'string' ? ref.id : undefined);

/** The top-level `ca_certificates` entities by id (Kong references them by id only). */
function caById(root: Obj): Map<string, Obj> {
  const out = new Map<string, Obj>();
  if (Array.isArray(root.ca_certificates)) for (const c of root.ca_certificates) if (isObj(c) && typeof c.id === 'string') out.set(c.id, c);
  return out;
}

/** Dangling `client_certificate` / `ca_certificates` references, and CA PEMs that do not parse. */
export function checkServiceTls(root: Obj, ents: Entities): Issue[] {
  const issues: Issue[] = [];
  const cas = caById(root);
  const certs = new Set(ents.certificates.map((c) => c.id));
  if (Array.isArray(root.ca_certificates)) {
    root.ca_certificates.forEach((c, i) => {
      if (!isObj(c) || typeof c.cert !== 'string') return;
      try {
        if (!new X509Certificate(c.cert).ca) issues.push(err(['ca_certificates', i, 'cert'], `${formatPath(['ca_certificates', i, 'cert'])}: not a CA certificate (basicConstraints CA:TRUE is missing)`));
      } catch {
        issues.push(err(['ca_certificates', i, 'cert'], `${formatPath(['ca_certificates', i, 'cert'])}: not a PEM certificate`));
      }
    });
  }
  for (const u of ents.upstreams) {
    const cc = u.obj.client_certificate;
    const id = idOf(cc);
    if (cc !== undefined && cc !== null && (id === undefined || !certs.has(id))) {
      const path = [...u.path, 'client_certificate'];
      issues.push(err(path, `${formatPath(path)} refers to unknown certificate "${id ?? JSON.stringify(cc)}" (a certificates entry with that id)`));
    }
  }
  for (const s of ents.services) {
    const cc = s.obj.client_certificate;
    if (cc !== undefined && cc !== null) {
      const id = idOf(cc);
      const path = [...s.path, 'client_certificate'];
      if (id === undefined || !certs.has(id)) issues.push(err(path, `${formatPath(path)} refers to unknown certificate "${id ?? JSON.stringify(cc)}" (a certificates entry with that id)`));
    }
    if (Array.isArray(s.obj.ca_certificates)) {
      s.obj.ca_certificates.forEach((ref, i) => {
        const id = idOf(ref);
        const path = [...s.path, 'ca_certificates', i];
        if (id === undefined || !cas.has(id)) issues.push(err(path, `${formatPath(path)} refers to unknown CA certificate "${id ?? JSON.stringify(ref)}" (a ca_certificates entry with that id)`));
      });
    }
  }
  return issues;
}

/** An upstream's client_certificate reference (its id), or null. */
export function upstreamClientCertificate(ref: unknown): string | null {
  return idOf(ref) ?? null;
}

/** The resolved TLS settings of one service entity (references were checked). */
export function serviceTls(root: Obj, e: Entity): ServiceTls {
  const o = e.obj;
  const cas = caById(root);
  const ca = Array.isArray(o.ca_certificates) && o.ca_certificates.length > 0
    ? o.ca_certificates.map((r) => cas.get(idOf(r) ?? '')?.cert).filter((c): c is string => typeof c === 'string')
    : null;
  return {
    verify: typeof o.tls_verify === 'boolean' ? o.tls_verify : null,
    depth: typeof o.tls_verify_depth === 'number' ? o.tls_verify_depth : null,
    ca,
    client_certificate: idOf(o.client_certificate) ?? null,
  };
}
