import { loadUws } from '../uws/load.js';

/**
 * SPEC §1: never run on uWS's `ws` fallback. Throws the loader's error (which names every build
 * tried and why it did not load) when no native uWebSockets.js build loads here.
 */
export function assertNativeUws(): void {
  loadUws();
}
