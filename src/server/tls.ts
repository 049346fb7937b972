import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Certificate } from '../config/types.js';

/**
 * uWebSockets.js reads certificates from files only: write each PEM pair to a private (0700)
 * directory, hand the paths to uWS, and remove the files right after the app has loaded them.
 */
export class TlsFiles {
  readonly dir = mkdtempSync(join(tmpdir(), 'sluice-tls-'));
  private n = 0;

  write(cert: Certificate): { cert_file_name: string; key_file_name: string } {
    const i = this.n++;
    const certFile = join(this.dir, `${i}.crt`);
    const keyFile = join(this.dir, `${i}.key`);
    writeFileSync(certFile, cert.cert, { mode: 0o600 });
    writeFileSync(keyFile, cert.key, { mode: 0o600 });
    return { cert_file_name: certFile, key_file_name: keyFile };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Identity of a certificate set: a TLS listener is rebuilt only when this changes. */
export function certificatesKey(certs: readonly Certificate[]): string {
  const h = createHash('sha256');
  for (const c of certs) h.update(c.cert).update('\0').update(c.key).update('\0').update(c.snis.join(',')).update('\n');
  return h.digest('hex');
}
