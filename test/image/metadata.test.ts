import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/gateway.js';

// The Dockerfile's runtime stage and `npm run build:image` (scripts/build-image.sh, driven by
// scripts/image-metadata.json) must make the same image: same user, entrypoint, ports, env,
// labels, working directory, stop signal and files. .ci/image.sh also builds the Dockerfile with
// buildah and compares the two images' configs and layer file lists.

interface Metadata {
  user: string;
  entrypoint: string[];
  workdir: string;
  stopsignal: string;
  ports: string[];
  env: Record<string, string>;
  baseEnv: Record<string, string>;
  labels: Record<string, string>;
  files: Record<string, string>;
}
const meta = JSON.parse(readFileSync(join(REPO_ROOT, 'scripts', 'image-metadata.json'), 'utf8')) as Metadata;

/** The instructions of the Dockerfile's last stage, continuation lines joined. */
function runtimeStage(): Array<{ op: string; args: string }> {
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const last = lines.map((l, i) => (/^FROM\s/i.test(l) ? i : -1)).filter((i) => i >= 0).pop()!;
  return lines.slice(last).map((l) => {
    const m = /^(\S+)\s*(.*)$/.exec(l)!;
    return { op: m[1]!.toUpperCase(), args: m[2]! };
  });
}

/** KEY=VALUE pairs as Docker reads them (values may be double-quoted). */
function pairs(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([A-Za-z0-9_.\-]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) out[m[1]!] = m[2]!.startsWith('"') ? JSON.parse(m[2]!) : m[2]!;
  return out;
}

function fromDockerfile() {
  const stage = runtimeStage();
  const one = (op: string) => stage.filter((s) => s.op === op).map((s) => s.args);
  const copies: Record<string, string> = {};
  for (const c of one('COPY')) {
    const words = c.split(/\s+/);
    const chmod = words.find((w) => w.startsWith('--chmod='))?.slice('--chmod='.length) ?? '';
    copies[words[words.length - 1]!] = chmod;
  }
  return {
    from: stage[0]!.args,
    user: one('USER').pop(),
    entrypoint: JSON.parse(one('ENTRYPOINT').pop()!) as string[],
    cmd: one('CMD'),
    workdir: one('WORKDIR').pop(),
    stopsignal: one('STOPSIGNAL').pop(),
    ports: one('EXPOSE').flatMap((e) => e.split(/\s+/)).map((p) => (p.includes('/') ? p : `${p}/tcp`)),
    env: Object.assign({}, ...one('ENV').map(pairs)) as Record<string, string>,
    labels: Object.assign({}, ...one('LABEL').map(pairs)) as Record<string, string>,
    copies,
  };
}

describe('the Dockerfile and build:image make the same image', () => {
  const d = fromDockerfile();

  it('runtime stage: base image from a build arg, user, entrypoint, no CMD, workdir, stop signal', () => {
    expect(d.from).toBe('${RUNTIME_IMAGE}');
    expect(d.user).toBe(meta.user);
    expect(meta.user).toBe('65532:65532');
    expect(d.entrypoint).toEqual(meta.entrypoint);
    expect(d.entrypoint).toEqual(['/sluice', 'start']);
    expect(d.cmd).toEqual([]);
    expect(d.workdir).toBe(meta.workdir);
    expect(d.stopsignal).toBe(meta.stopsignal);
  });

  it('ports, env and OCI labels', () => {
    expect(d.ports.sort()).toEqual([...meta.ports].sort());
    expect(d.env).toEqual(meta.env);
    expect(d.env.SLUICE_CONFIG).toBe('/etc/sluice/gateway.yaml');
    expect(d.labels).toEqual(meta.labels);
    for (const k of Object.keys(d.labels)) expect(k).toMatch(/^org\.opencontainers\.image\./);
  });

  it('files: the binary and the default configuration, with their modes', () => {
    expect(Object.keys(d.copies).sort()).toEqual(Object.keys(meta.files).sort());
    for (const [path, mode] of Object.entries(meta.files)) expect(d.copies[path]).toBe(mode);
  });

  it('every base image is a build arg with a default', () => {
    const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    for (const arg of ['BUILD_IMAGE', 'RUNTIME_IMAGE']) expect(text).toMatch(new RegExp(`^ARG ${arg}=\\S+`, 'm'));
    const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
    for (const f of froms) expect(f === 'scratch' || f.startsWith('${')).toBe(true);
  });

  // After `npm run build:image`: the OCI image's config says the same.
  const index = join(REPO_ROOT, 'dist', 'oci', 'index.json');
  it.skipIf(!existsSync(index))('dist/oci (npm run build:image) has the same config', () => {
    const blob = (digest: string) => JSON.parse(readFileSync(join(REPO_ROOT, 'dist', 'oci', 'blobs', ...digest.split(':')), 'utf8'));
    const ref = JSON.parse(readFileSync(index, 'utf8')).manifests.find((m: any) => m.annotations?.['org.opencontainers.image.ref.name'] === 'latest');
    const c = blob(blob(ref.digest).config.digest).config;
    expect(c.User).toBe(meta.user);
    expect(c.Entrypoint).toEqual(meta.entrypoint);
    expect(c.Cmd ?? null).toBeNull();
    expect(c.WorkingDir).toBe(meta.workdir);
    expect(c.StopSignal).toBe(meta.stopsignal);
    expect(Object.keys(c.ExposedPorts).sort()).toEqual([...meta.ports].sort());
    const env = Object.fromEntries((c.Env as string[]).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    expect(env).toEqual({ ...meta.baseEnv, ...meta.env });
    expect(Object.keys(c.Labels).sort()).toEqual(Object.keys(meta.labels).sort());
    for (const [k, v] of Object.entries(meta.labels)) if (!v.includes('${')) expect(c.Labels[k]).toBe(v);
  });
});
