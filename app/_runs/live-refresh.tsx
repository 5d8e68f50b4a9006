'use client';
/**
 * The runs list follows live runs: while any run is queued or running (the
 * server says so on each render), it asks the server for a fresh render every
 * few seconds (router.refresh: the table updates in place, ticks, focus and
 * scroll stay; no reload). When nothing is live it stops asking.
 */
import { useEffect } from 'react';
import { useRouter } from 'next/navigation';

export default function LiveRefresh({ live, everyMs = 3000 }: { live: boolean; everyMs?: number }) {
  const router = useRouter();
  useEffect(() => {
    if (!live) return;
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') router.refresh();
    }, everyMs);
    return () => clearInterval(t);
  }, [live, everyMs, router]);
  return live ? (
    <span className="live-note" data-testid="runs-live">
      <span className="dot" aria-hidden="true" /> updating while runs are live
    </span>
  ) : null;
}
