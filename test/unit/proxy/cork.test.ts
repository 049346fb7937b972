/**
 * proxy/cork.ts: `corked(res, fn, target)` runs `fn(target)` inside `res.cork`, handing uWS one
 * static callback (no closure per write), and a cork inside a cork (uWS runs it at once) leaves
 * the outer one's function and target in place.
 */
import { describe, expect, it } from 'vitest';
import { corked } from '../../../src/proxy/cork.js';

/** A uWS socket stand-in: runs the callback at once, as uWS does, and records what it was given. */
class FakeSocket {
  callbacks: Array<() => void> = [];
  corking = false;
  cork(cb: () => void): this {
    this.callbacks.push(cb);
    this.corking = true;
    try {
      cb();
    } finally {
      this.corking = false;
    }
    return this;
  }
}

describe('corked', () => {
  it('runs fn inside the cork with the target it was given', () => {
    const s = new FakeSocket();
    const target = { seen: false as boolean, inside: false as boolean };
    corked(s, (t: typeof target) => {
      t.seen = true;
      t.inside = s.corking;
    }, target);
    expect(target).toEqual({ seen: true, inside: true });
  });

  it('hands uWS the same static callback every time: no closure per write', () => {
    const s = new FakeSocket();
    const fn = (t: number[]): void => void t.push(1);
    corked(s, fn, [] as number[]);
    corked(s, (t: string[]) => void t.push('x'), [] as string[]);
    expect(s.callbacks).toHaveLength(2);
    expect(s.callbacks[0]).toBe(s.callbacks[1]);
  });

  it('a nested cork restores the outer function and target', () => {
    const outer = new FakeSocket();
    const inner = new FakeSocket();
    const order: string[] = [];
    let calls = 0;
    const innerFn = (t: { name: string }): void => void order.push('inner:' + t.name);
    const outerFn = (t: { name: string }): void => {
      order.push('outer:' + t.name);
      if (calls++ > 0) return;
      corked(inner, innerFn, { name: 'b' });
      // The callback uWS got reads the slots: run it again, as if uWS did, after the inner cork.
      // Restored slots call the outer function with its target; leftover ones would run innerFn.
      outer.callbacks[0]!();
    };
    corked(outer, outerFn, { name: 'a' });
    expect(order).toEqual(['outer:a', 'inner:b', 'outer:a']);
  });

  it('restores the slots when fn throws', () => {
    const s = new FakeSocket();
    const seen: string[] = [];
    let calls = 0;
    const outerFn = (t: string): void => {
      seen.push(t);
      if (calls++ > 0) return;
      expect(() =>
        corked(s, () => {
          throw new Error('boom');
        }, 'inner'),
      ).toThrow('boom');
      s.callbacks[0]!();
    };
    corked(s, outerFn, 'outer');
    expect(seen).toEqual(['outer', 'outer']);
  });
});
