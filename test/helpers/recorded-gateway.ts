import { afterAll, beforeAll } from 'vitest';
import { startGateway, type GatewayProcess, type StartOptions } from './gateway.js';
import { okResponder, startRecorder, type Recorder, type RecorderResponder } from './raw.js';

export interface RecordedGateway {
  /** The recording upstream (raw bytes of every request it got). */
  readonly rec: Recorder;
  /** The real gateway in front of it. */
  readonly gw: GatewayProcess;
}

/** One service at `${recorder}/base` with one route `paths: [/api]`, plus `extra` route lines and `top` top-level lines. */
export function apiRoute(recUrl: string, extra = '', top = ''): string {
  return `
_format_version: "3.0"${top}
services:
  - name: s
    url: ${recUrl}/base
    routes:
      - name: api
        paths: [/api]${extra}
`;
}

/**
 * A recording upstream on 127.0.0.1 and the real gateway in front of it, started before the file's
 * tests and stopped after them (registers vitest's beforeAll/afterAll). `yaml` gets the recorder's URL.
 */
export function useRecordedGateway(
  yaml: (recUrl: string) => string = apiRoute,
  respond: RecorderResponder = okResponder,
  opts: StartOptions = {},
): RecordedGateway {
  const t = {} as { rec: Recorder; gw: GatewayProcess };
  beforeAll(async () => {
    t.rec = await startRecorder(respond);
    t.gw = await startGateway(yaml(t.rec.url), opts);
  });
  afterAll(async () => {
    await t.gw?.stop();
    await t.rec?.close();
  });
  return t;
}

export interface RecordedGateways {
  readonly rec: Recorder;
  /** The same configuration behind each upstream client: `h1` (Sluice's own) and `undici`. */
  readonly gateways: Record<'h1' | 'undici', GatewayProcess>;
}

/** As useRecordedGateway, with one gateway per upstream client in front of the one recorder. */
export function useRecordedGateways(yaml: (recUrl: string) => string, respond: RecorderResponder = okResponder): RecordedGateways {
  const t = { gateways: {} } as { rec: Recorder; gateways: Record<'h1' | 'undici', GatewayProcess> };
  beforeAll(async () => {
    t.rec = await startRecorder(respond);
    t.gateways.h1 = await startGateway(yaml(t.rec.url));
    t.gateways.undici = await startGateway(yaml(t.rec.url), { env: { SLUICE_UPSTREAM_CLIENT: 'undici' } });
  });
  afterAll(async () => {
    await Promise.all(Object.values(t.gateways).map((g) => g.stop()));
    await t.rec?.close();
  });
  return t;
}
