/**
 * Reusable memory for request bodies on their way upstream. uWS lends each body chunk only for
 * the duration of its callback, so the proxy copies it (a streamed chunk, or a whole body of up
 * to 64 KiB read before dispatch); the copy lives until the upstream socket has written it. Fresh
 * Buffers for those copies cost ~3 µs each (an ArrayBuffer with its own allocation) and are
 * garbage the GC collects late (V8 counts them as external memory): RSS grew by ~30 MB while
 * streaming a 1 GiB upload. Bodies are instead copied into slabs of a few size classes, which go
 * back to a free list when their last holder lets go.
 *
 * Holders are counted per slab: `takeChunk`/`copyChunk` give the caller one hold, each socket
 * write of the chunk takes one (`retainChunk`) and gives it back in its write callback, and the
 * proxy gives its own back when the request is over (`releaseChunk`). A slab with no count is
 * free (or not pooled): releasing it does nothing. A chunk whose holds are never all given back
 * (an aborted request, a body a plugin kept) is simply left to the GC.
 */
const CLASSES = [16 * 1024, 64 * 1024, 256 * 1024, 512 * 1024];
/** Free slabs kept per class, in bytes: the pool's whole footprint is at most 4 × this. */
const KEEP_BYTES = 1024 * 1024;

const free: ArrayBuffer[][] = CLASSES.map(() => []);
/** Holds on each pooled slab in use. */
const holds = new WeakMap<ArrayBufferLike, number>();

/**
 * An uninitialised Buffer of `n` bytes, pooled when a class fits (above 4 KiB, where Node's own
 * pool stops, up to 512 KiB), else a plain Buffer. The caller has one hold on it.
 */
export function takeChunk(n: number): Buffer {
  if (n > 4096) {
    for (let c = 0; c < CLASSES.length; c++) {
      const size = CLASSES[c]!;
      if (n > size) continue;
      const slab = free[c]!.pop() ?? new ArrayBuffer(size);
      holds.set(slab, 1);
      return Buffer.from(slab, 0, n);
    }
  }
  return Buffer.allocUnsafe(n);
}

/** A copy of `src` (takeChunk), with one hold for the caller. */
export function copyChunk(src: ArrayBuffer): Buffer {
  const out = takeChunk(src.byteLength);
  out.set(new Uint8Array(src));
  return out;
}

/** One more holder of `chunk` (a socket write in flight); no-op for a Buffer that is not pooled. */
export function retainChunk(chunk: Buffer): void {
  const n = holds.get(chunk.buffer);
  if (n !== undefined) holds.set(chunk.buffer, n + 1);
}

/** One holder of `chunk` is done with it; the last one hands its slab back for the next chunk. */
export function releaseChunk(chunk: Buffer): void {
  const slab = chunk.buffer;
  const n = holds.get(slab);
  if (n === undefined) return;
  if (n > 1) {
    holds.set(slab, n - 1);
    return;
  }
  holds.delete(slab);
  const c = CLASSES.indexOf(slab.byteLength);
  const list = free[c]!;
  if ((list.length + 1) * CLASSES[c]! <= KEEP_BYTES) list.push(slab as ArrayBuffer);
}

/** Free slabs per class (tests). */
export function freeSlabs(): number[] {
  return free.map((l) => l.length);
}
