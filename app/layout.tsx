import type { Metadata } from 'next';
import Link from 'next/link';
import AuthStatus from './login/auth-status';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Runproof', template: '%s · Runproof' },
  description: 'Run evidence for ML training runs: metrics, early stopping, checkpoints, verdicts.',
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <div className="wrap header-row">
            <Link href="/" className="wordmark" aria-label="Runproof home">
              <svg width="18" height="18" viewBox="0 0 16 16" aria-hidden="true">
                <rect x="1" y="1" width="14" height="14" rx="3.5" fill="#1f2328" />
                <path d="M4.3 8.4l2.3 2.3 5-5.2" stroke="#4ac26b" strokeWidth="2" fill="none" strokeLinecap="round" strokeLinejoin="round" />
              </svg>
              Runproof
            </Link>
            <nav aria-label="Main">
              <ul className="nav">
                <li>
                  <Link href="/">Runs</Link>
                </li>
                <li>
                  <Link href="/plans">Plans</Link>
                </li>
                <li>
                  <Link href="/runs/new">Launch</Link>
                </li>
              </ul>
            </nav>
            <AuthStatus />
          </div>
        </header>
        <main id="main" className="wrap">
          {children}
        </main>
        <footer className="site-footer wrap">Runproof — evidence computed from the bundle files, not written by hand.</footer>
      </body>
    </html>
  );
}
