import { describe, expect, it } from 'vitest';
import { invalidHost } from '../../../src/proxy/admit.js';

describe('invalidHost: the Host values nginx (so Kong) refuses with 400', () => {
  it.each(['', ':8000', ':', '.', 'a/b', 'a..b', '..', 'evil.example/x:80'])('refuses %j', (h) => {
    expect(invalidHost(h)).toBe(true);
  });
  it.each(['a', 'a.example', 'a.example.', 'a.example:8000', '[::1]', '[::1]:8000', '127.0.0.1:80', 'user@a.example', 'a\\b', 'xn--caf-dma.example', '.a'])('accepts %j', (h) => {
    expect(invalidHost(h)).toBe(false);
  });
});
