/**
 * Reusable memory for streamed request bodies. uWS lends each body chunk only for the duration
 * of its callback, so the proxy copies it; the copy lives until the upstream socket has written
 * it. Fresh Buffers for those copies are garbage the GC collects late (V8 counts them as
 * external memory), which let RSS grow by ~30 MB while streaming a 1 GiB upload. Chunks are
 * instead copied into slabs of a few size classes, and BodyWriter hands a slab back when its
 * write has completed, so a steady upload reuses the same few slabs.
 *
 * Each slab has one owner at a time: `copyChunk` takes it off the free list, and only the write
 * callback of the one write that carried it gives it back (`releaseChunk`). A chunk that never
 * reaches that point (an aborted request) is simply left to the GC.
 */
const CLASSES = [16 * 1024, 64 * 1024, 256 * 1024, 512 * 1024];
/** Free slabs kept per class, in bytes: the pool's whole footprint is at most 4 × this. */
const KEEP_BYTES = 1024 * 1024;

const free: ArrayBuffer[][] = CLASSES.map(() => []);
const pooled = new WeakSet<ArrayBufferLike>();

/** A copy of `src` in pooled memory (or a plain Buffer for a chunk under 4 KiB or over 512 KiB). */
export function copyChunk(src: ArrayBuffer): Buffer {
  const n = src.byteLength;
  let out: Buffer | null = null;
  if (n > 4096) {
    for (let c = 0; c < CLASSES.length; c++) {
      const size = CLASSES[c]!;
      if (n > size) continue;
      let slab = free[c]!.pop();
      if (slab === undefined) {
        slab = new ArrayBuffer(size);
        pooled.add(slab);
      }
      out = Buffer.from(slab, 0, n);
      break;
    }
  }
  out ??= Buffer.allocUnsafe(n);
  out.set(new Uint8Array(src));
  return out;
}

/** `chunk` (from copyChunk) is no longer used by anyone: its slab may carry the next chunk. */
export function releaseChunk(chunk: Buffer): void {
  const slab = chunk.buffer;
  if (chunk.byteOffset !== 0 || !pooled.has(slab)) return;
  const c = CLASSES.indexOf(slab.byteLength);
  const list = free[c]!;
  if ((list.length + 1) * CLASSES[c]! <= KEEP_BYTES) list.push(slab as ArrayBuffer);
}

/** Free slabs per class (tests). */
export function freeSlabs(): number[] {
  return free.map((l) => l.length);
}
