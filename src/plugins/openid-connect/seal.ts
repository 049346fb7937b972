import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Encrypted, authenticated cookie values: AES-256-GCM (A256GCM) with a key derived from the
 * session secret, and the cookie's purpose as additional data so an authorization cookie can never
 * be replayed as a session cookie. The payload carries its own expiry.
 */
export class Sealer {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHash('sha256').update('sluice openid-connect cookie key\0').update(secret).digest();
  }

  seal(purpose: string, value: object, expiresAt: number): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(purpose));
    const ct = Buffer.concat([c.update(JSON.stringify({ v: value, e: expiresAt }), 'utf8'), c.final()]);
    return Buffer.concat([iv, ct, c.getAuthTag()]).toString('base64url');
  }

  /** The value, or null when it was tampered with, sealed for another purpose or key, or expired. */
  open<T>(purpose: string, sealed: string, now = Date.now()): T | null {
    try {
      const raw = Buffer.from(sealed, 'base64url');
      if (raw.length < 29) return null;
      const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      d.setAAD(Buffer.from(purpose));
      d.setAuthTag(raw.subarray(raw.length - 16));
      const pt = Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString('utf8');
      const { v, e } = JSON.parse(pt) as { v: T; e: number };
      return e > now ? v : null;
    } catch {
      return null;
    }
  }
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let i = 0;
  while (i < header.length) {
    let end = header.indexOf(';', i);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', i);
    if (eq !== -1 && eq < end && header.slice(i, eq).trim() === name) return header.slice(eq + 1, end).trim();
    i = end + 1;
  }
  return undefined;
}

/** The Cookie header without cookie `name` (null when nothing is left). */
export function withoutCookie(header: string, name: string): string | null {
  const kept = header.split(';').filter((p) => p.split('=', 1)[0]!.trim() !== name).map((p) => p.trim()).filter((p) => p !== '');
  return kept.length === 0 ? null : kept.join('; ');
}
