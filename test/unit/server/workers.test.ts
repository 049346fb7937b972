import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { WorkerGroup } from '../../../src/server/workers.js';
import { packConfig, unpackConfig } from '../../../src/server/messages.js';
import { loadConfigFile } from '../../../src/config/index.js';
import type { Config } from '../../../src/config/types.js';

const config = { hash: 'h1' } as unknown as Config;
const base = { host: '127.0.0.1', port: 0, tlsHost: '127.0.0.1', tlsPort: 0, maxHeaderBytes: 16384, logLevel: 'silent', logFormat: 'json' as const };

async function until(pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('WorkerGroup', () => {
  it('restarts a worker that dies, with the current configuration', async () => {
    const group = new WorkerGroup(2, base, config, pino({ level: 'silent' }), new URL('../../fixtures/crashy-worker.mjs', import.meta.url));
    await group.start();
    expect(group.hashes()).toEqual(['h1', 'h1']);
    group.broadcast({ hash: 'h2' } as unknown as Config);
    // Crash worker 1 (as an uncaught exception would).
    (group as unknown as { slots: Array<{ worker: { postMessage(m: unknown): void } }> }).slots[1]!.worker.postMessage({ type: 'crash' });
    await until(() => group.restarts === 1);
    const stats = await group.stats();
    await until(() => group.hashes()[1] === 'h2');
    expect(stats).toHaveLength(2);
    await group.stop(1000);
  });

  it('hands every worker a new configuration, serialized once into shared memory', async () => {
    const group = new WorkerGroup(3, base, config, pino({ level: 'silent' }), new URL('../../fixtures/crashy-worker.mjs', import.meta.url));
    await group.start();
    group.broadcast({ hash: 'h3' } as unknown as Config);
    await until(() => group.hashes().every((h) => h === 'h3'));
    await group.stop(1000);
    // What a real worker unpacks is the Config the main thread loaded.
    const loaded = loadConfigFile(new URL('../../../gateway.yaml', import.meta.url).pathname);
    if (!loaded.ok) throw new Error('gateway.yaml is invalid');
    const packed = packConfig(loaded.config);
    expect(packed).toBeInstanceOf(SharedArrayBuffer);
    expect(unpackConfig(packed)).toEqual(loaded.config);
  });

  it('starts workers with the young generation capped at 8 MB (README "Memory")', async () => {
    const group = new WorkerGroup(1, base, config, pino({ level: 'silent' }), new URL('../../fixtures/crashy-worker.mjs', import.meta.url));
    await group.start();
    const [stats] = await group.stats();
    expect((stats as unknown as { youngGenerationMb: number }).youngGenerationMb).toBe(8);
    await group.stop(1000);
  });

  it('does not restart workers it is stopping', async () => {
    const group = new WorkerGroup(1, base, config, pino({ level: 'silent' }), new URL('../../fixtures/crashy-worker.mjs', import.meta.url));
    await group.start();
    await group.stop(1000);
    await new Promise((r) => setTimeout(r, 200));
    expect(group.restarts).toBe(0);
  });
});
