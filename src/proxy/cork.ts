/**
 * One cork helper for every write to a uWS socket made outside uWS's own callbacks (undici/h1
 * events, timers, the ws upstream). uWS requires such writes to be corked, or they interleave with
 * another socket's cork buffer.
 *
 * `corked(res, fn, target)` runs `fn(target)` inside `res.cork`. The callback handed to uWS is one
 * static trampoline reading two module slots, so a write allocates no closure. Nested calls (a
 * cork inside a cork: uWS runs it at once) save and restore the slots.
 */
interface Corkable {
  cork(cb: () => void): unknown;
}

let slotFn: ((target: never) => void) | null = null;
let slotTarget: unknown = null;

function trampoline(): void {
  (slotFn as (target: unknown) => void)(slotTarget);
}

export function corked<T>(res: Corkable, fn: (target: T) => void, target: T): void {
  const prevFn = slotFn;
  const prevTarget = slotTarget;
  slotFn = fn as (target: never) => void;
  slotTarget = target;
  try {
    res.cork(trampoline);
  } finally {
    slotFn = prevFn;
    slotTarget = prevTarget;
  }
}
