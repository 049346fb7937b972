import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT } from '../helpers/gateway.js';

// deploy/kubernetes as the issue asks for it (schemas and unknown fields: test/image/validate-k8s.mjs).
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
const render = (dir: string): any[] =>
  YAML.parseAllDocuments(execFileSync('kubectl', ['kustomize', join(REPO_ROOT, dir)], { encoding: 'utf8' })).map((d) => d.toJS());

describe.skipIf(!hasKubectl)('deploy/kubernetes (kubectl kustomize)', () => {
  const docs = hasKubectl ? render('deploy/kubernetes') : [];
  const find = (kind: string, name?: string) => docs.find((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  const deploy = find('Deployment', 'sluice');
  const pod = deploy?.spec.template.spec;
  const c = pod?.containers.find((x: any) => x.name === 'sluice');
  const env = Object.fromEntries((c?.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));

  it('Deployment: 2 replicas, probes on /status/ready and /status with the admin token', () => {
    expect(deploy.spec.replicas).toBe(2);
    expect(c.readinessProbe.httpGet.path).toBe('/status/ready');
    expect(c.livenessProbe.httpGet.path).toBe('/status');
    const token = find('ConfigMap', docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name.startsWith('sluice-probe')).metadata.name).data.SLUICE_ADMIN_TOKEN;
    for (const p of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
      expect(p.httpGet.port).toBe('admin');
      expect(p.httpGet.httpHeaders).toEqual([{ name: 'Authorization', value: `Bearer ${token}` }]);
    }
    expect(env.SLUICE_ADMIN_LISTEN).toBe('0.0.0.0:8001');
    expect(env.SLUICE_ADMIN_TOKEN.configMapKeyRef.key).toBe('SLUICE_ADMIN_TOKEN');
  });

  it('security: non-root 65532, read-only root, no privilege escalation, ALL capabilities dropped, /tmp an emptyDir', () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBe(65532);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    const tmp = c.volumeMounts.find((m: any) => m.mountPath === '/tmp');
    expect(pod.volumes.find((v: any) => v.name === tmp.name).emptyDir).toBeDefined();
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
  });

  it('the ConfigMap is mounted as the directory /etc/sluice, never with subPath', () => {
    const m = c.volumeMounts.find((x: any) => x.mountPath === '/etc/sluice');
    expect(m.readOnly).toBe(true);
    expect(pod.volumes.find((v: any) => v.name === m.name).configMap.name).toBe('sluice-config');
    expect(find('ConfigMap', 'sluice-config').data['gateway.yaml']).toContain('_format_version');
    expect(JSON.stringify(docs)).not.toContain('subPath');
    expect(env.SLUICE_CONFIG).toBe('/etc/sluice/gateway.yaml');
  });

  it('terminationGracePeriodSeconds covers preStop + SLUICE_DRAIN_TIMEOUT_MS', () => {
    const drain = Number(env.SLUICE_DRAIN_TIMEOUT_MS) / 1000;
    const preStop = c.lifecycle.preStop.sleep.seconds;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(drain + preStop);
    expect(pod.terminationGracePeriodSeconds).toBeLessThanOrEqual(drain + preStop + 15);
    expect(deploy.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it('every {vault://...} reference in gateway.yaml has its Secret key or file', () => {
    const gw = find('ConfigMap', 'sluice-config').data['gateway.yaml'] as string;
    const secret = find('Secret', 'sluice-secrets');
    const mount = c.volumeMounts.find((m: any) => pod.volumes.find((v: any) => v.name === m.name).secret?.secretName === 'sluice-secrets').mountPath;
    for (const [, kind, name] of gw.matchAll(/\{vault:\/\/(env|file)\/([^}]+)\}/g)) {
      if (kind === 'file') {
        expect(name!.startsWith(`/${mount}/`) || name!.startsWith(`${mount}/`)).toBe(true);
        expect(Object.keys(secret.data)).toContain(name!.split('/').pop());
      } else {
        expect(env[name!]?.secretKeyRef?.name).toBe('sluice-secrets');
      }
    }
  });

  it('Service, PodDisruptionBudget and HorizontalPodAutoscaler select or target the gateway', () => {
    const sel = deploy.spec.selector.matchLabels;
    expect(find('Service', 'sluice').spec.selector).toEqual(sel);
    expect(find('PodDisruptionBudget', 'sluice').spec.selector.matchLabels).toEqual(sel);
    const hpa = find('HorizontalPodAutoscaler', 'sluice');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'sluice' });
    expect(hpa.spec.minReplicas).toBe(2);
  });

  it('the Redis overlay switches rate limits to policy: redis, password from a Secret', () => {
    const r = render('deploy/kubernetes/overlays/redis');
    const gw = r.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'sluice-config').data['gateway.yaml'] as string;
    expect(gw).toContain('policy: redis');
    expect(gw).not.toContain('policy: local');
    expect(r.find((d) => d.kind === 'Service' && d.metadata.name === 'sluice-redis')).toBeDefined();
    const c2 = r.find((d) => d.kind === 'Deployment' && d.metadata.name === 'sluice').spec.template.spec.containers[0];
    expect(c2.env.find((e: any) => e.name === 'REDIS_PASSWORD').valueFrom.secretKeyRef.name).toBe('sluice-redis');
  });
});
