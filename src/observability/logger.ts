import pino, { type Logger } from 'pino';

export type LogFormat = 'json' | 'pretty';

/**
 * Paths pino redacts in every line (compiled once by pino): authorization and API-key headers,
 * cookies, credentials. Access lines are built from fields we choose, so these are a safety net.
 */
const REDACT = [
  'headers.authorization',
  'headers.cookie',
  'headers["proxy-authorization"]',
  'headers.apikey',
  'headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'password',
  'secret',
  'key',
  'token',
  '*.password',
  '*.secret',
  '*.token',
];

/** SLUICE_LOG_FORMAT=pretty: each JSON line as `TIME LEVEL msg {rest}`, to stdout (or `out`). */
export function prettyDestination(out: { write(s: string): unknown } = pino.destination({ dest: 1, sync: false })): pino.DestinationStream {
  return {
    // One write may carry several lines (access lines are written a batch per event-loop turn).
    write(chunk: string): void {
      let start = 0;
      for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
        writePretty(chunk.slice(start, nl + 1));
        start = nl + 1;
      }
      if (start < chunk.length) writePretty(chunk.slice(start));
    },
  };

  function writePretty(line: string): void {
    let text = line;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      const { level, time, msg, pid: _p, hostname: _h, ...rest } = o;
      const lvl = pino.levels.labels[level as number] ?? String(level);
      const extra = Object.keys(rest).length > 0 ? ' ' + JSON.stringify(rest) : '';
      text = `${new Date(time as number).toISOString()} ${lvl.toUpperCase().padEnd(5)} ${msg ?? ''}${extra}\n`;
    } catch {
      /* not JSON: print as is */
    }
    out.write(text);
  }
}

/** The process's logger: JSON lines on stdout (SPEC §8), or a readable format for humans. */
export function createLogger(level: string, format: LogFormat, bindings?: Record<string, unknown>): Logger {
  const dest = format === 'pretty' ? prettyDestination() : pino.destination({ dest: 1, sync: false });
  const logger = pino(
    {
      level,
      base: bindings ?? null,
      redact: { paths: REDACT, censor: '<redacted>' },
      timestamp: pino.stdTimeFunctions.epochTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    dest,
  );
  return logger;
}

export type { Logger };
