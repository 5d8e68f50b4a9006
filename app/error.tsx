'use client';

import Link from 'next/link';
import { useEffect } from 'react';

export default function ErrorPage({ error, retry }: { error: unknown; retry: () => void }) {
  const digest = typeof error === 'object' && error !== null && 'digest' in error ? String((error as { digest?: unknown }).digest ?? '') : '';
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <div className="card error-page" role="alert" data-testid="error-page">
      <h1>This page could not be loaded</h1>
      <p className="muted">
        Runproof hit an error while reading the run database or the bundle files. The details are in the server log
        {digest ? (
          <>
            {' '}
            (reference <code>{digest}</code>)
          </>
        ) : null}
        . Check that <code>RUNPROOF_DB</code> points at a readable database, then try again.
      </p>
      <div className="actions">
        <button type="button" className="btn btn-primary" onClick={() => retry()}>
          Try again
        </button>
        <Link className="btn" href="/">
          Back to runs
        </Link>
      </div>
    </div>
  );
}
