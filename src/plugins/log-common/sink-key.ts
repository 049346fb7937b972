import { createHash } from 'node:crypto';

/** A state key for a plugin instance's sink: its id plus a hash of its config (SPEC §6: unchanged config keeps its state). */
export function sinkKey(plugin: string, id: string, config: unknown): string {
  return `${plugin}:${id}:${createHash('sha1').update(JSON.stringify(config)).digest('hex')}`;
}
