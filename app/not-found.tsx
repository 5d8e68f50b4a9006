import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="card error-page" data-testid="not-found">
      <h1>Not found</h1>
      <p className="muted">There is no run, or no file in that run&apos;s bundle, at this address. The run may have been deleted, or the link may be mistyped.</p>
      <div className="actions">
        <Link className="btn btn-primary" href="/">
          Back to runs
        </Link>
      </div>
    </div>
  );
}
