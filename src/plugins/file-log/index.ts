import { createWriteStream, type WriteStream } from 'node:fs';
import type { PluginDefinition } from '../types.js';
import { pluginSchema } from '../schema.js';
import { redactedHeaders, serialize, type LogEntry } from '../log-common/log-serializer.js';
import { checkNoLua } from '../log-common/lua-fields.js';
import { pluginDropped } from '../../observability/plugin-metrics.js';

interface Conf {
  path: string;
  reopen: boolean;
}

/** Bytes a file sink may hold unwritten (pending + in the stream) before it drops entries. */
const MAX_BUFFERED = 16 * 1024 * 1024;
const MAX_PENDING = 10000;

/**
 * One writer per file per worker thread, shared by every file-log instance naming that path
 * (so two instances never interleave partial lines). Entries are queued by the log phase and
 * written in one `write` per event-loop turn (setImmediate), through an async fs.WriteStream
 * opened with O_APPEND — no synchronous fs call ever runs on the request path. Each worker's
 * writes are whole lines appended with O_APPEND, so the workers of a node can share one file.
 * `reopen`: the stream is closed after each batch and the file opened again for the next one,
 * so a rotated (renamed or deleted) file is recreated, as Kong's reopen does per request.
 */
class FileSink {
  private pending: LogEntry[] = [];
  private scheduled = false;
  private stream: WriteStream | null = null;
  reopen = false;

  constructor(readonly path: string) {}

  push(entry: LogEntry): void {
    if (this.pending.length >= MAX_PENDING || (this.stream !== null && this.stream.writableLength > MAX_BUFFERED)) {
      pluginDropped('file-log', 'queue_full', 1);
      return;
    }
    this.pending.push(entry);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    let text = '';
    for (let i = 0; i < batch.length; i++) text += JSON.stringify(batch[i]) + '\n';
    const stream = this.open();
    stream.write(text);
    if (this.reopen) {
      stream.end();
      this.stream = null;
    }
  }

  private open(): WriteStream {
    if (this.stream !== null) return this.stream;
    const stream = createWriteStream(this.path, { flags: 'a' });
    stream.on('error', () => {
      // Unwritable path (permissions, missing directory): count and try again with the next batch.
      pluginDropped('file-log', 'write_error', 1);
      if (this.stream === stream) this.stream = null;
    });
    this.stream = stream;
    return stream;
  }
}

const sinks = new Map<string, FileSink>();

function sinkFor(path: string): FileSink {
  let s = sinks.get(path);
  if (s === undefined) sinks.set(path, (s = new FileSink(path)));
  return s;
}

/** file-log (Kong priority 9): Kong's JSON log entry, one line per request, appended to `path`. */
export const fileLog: PluginDefinition = {
  name: 'file-log',
  priority: 9,
  schema: pluginSchema('file-log'),
  check: (config) => checkNoLua(config),
  create(instance, ctx) {
    const conf = instance.config as unknown as Conf;
    const redact = redactedHeaders(ctx.config);
    let sink: FileSink | null = null; // opened on first use: `sluice validate` never touches the file
    return {
      log(req, info) {
        if (sink === null) {
          sink = sinkFor(conf.path);
          sink.reopen = conf.reopen;
        }
        sink.push(serialize(req, info, redact));
      },
    };
  },
};
