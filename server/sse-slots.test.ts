import { describe, expect, it } from 'vitest';
import { openStreams, takeStreamSlot } from './sse-slots';

describe('live stream slots', () => {
  it('caps streams per client and in all, and gives slots back once', () => {
    const limits = { perClient: 3, total: 5 };
    const a = [1, 2, 3].map(() => takeStreamSlot('203.0.113.7', limits));
    expect(a.every((s) => s.ok)).toBe(true);
    const fourth = takeStreamSlot('203.0.113.7', limits);
    expect(fourth).toMatchObject({ ok: false, retryAfterS: 5, message: expect.stringContaining('3 at most') });
    // Another client still gets in, until the total is reached.
    const b = [1, 2].map(() => takeStreamSlot('198.51.100.2', limits));
    expect(b.every((s) => s.ok)).toBe(true);
    expect(takeStreamSlot('192.0.2.1', limits)).toMatchObject({ ok: false, message: expect.stringContaining('5 live views already') });
    expect(takeStreamSlot(null, limits).ok).toBe(false);
    expect(openStreams()).toBe(5);
    // Releasing twice frees one slot.
    const first = a[0] as { ok: true; release: () => void };
    first.release();
    first.release();
    expect(openStreams('203.0.113.7')).toBe(2);
    expect(openStreams()).toBe(4);
    const again = takeStreamSlot('203.0.113.7', limits);
    expect(again.ok).toBe(true);
    for (const s of [...a.slice(1), ...b, again]) if (s.ok) s.release();
    expect(openStreams()).toBe(0);
    expect(openStreams('203.0.113.7')).toBe(0);
  });
});
