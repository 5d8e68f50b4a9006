import Link from 'next/link';
import { authPolicy, safeNextPath, type AuthPolicy } from '@/server/auth';
import { hasSession } from '@/server/session';
import LoginForm from '@/components/login-form';
import { logoutAction } from './actions';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Log in' };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const next = safeNextPath(Array.isArray(sp.next) ? sp.next[0] : sp.next);
  let policy: AuthPolicy | null = null;
  let envError: string | null = null;
  try {
    policy = authPolicy();
  } catch (e) {
    envError = e instanceof Error ? e.message : String(e);
  }
  const loggedIn = policy?.required && policy.passwordSet ? await hasSession() : false;

  return (
    <div className="card error-page" data-testid="login-page">
      <h1>{loggedIn ? 'Logged in' : 'Log in'}</h1>
      {envError ? (
        <p className="notice error" role="alert">
          The server&apos;s environment is invalid: {envError}
        </p>
      ) : !policy ? null : !policy.required ? (
        <>
          <p className="muted">
            No login is needed: {policy.reason}. Only this machine can reach the server, so launching and cancelling runs are
            open to it.
          </p>
          <p className="muted small">
            To require a password anyway, set <code>RUNPROOF_PASSWORD</code> (at least 8 characters) and restart the server.
          </p>
        </>
      ) : !policy.passwordSet ? (
        <p className="notice error" role="alert" data-testid="login-unconfigured">
          A login is required to launch or cancel runs because {policy.reason}, but no password is configured, so launching is
          refused. Set <code>RUNPROOF_PASSWORD</code> (at least 8 characters) in the server&apos;s environment and restart it. Evidence pages
          stay readable without a login.
        </p>
      ) : loggedIn ? (
        <>
          <p className="muted">You can launch, cancel and import runs. The session lasts 12 hours.</p>
          <form action={logoutAction}>
            <div className="actions">
              <Link className="btn btn-primary" href={next}>
                Continue
              </Link>
              <button type="submit" className="btn">
                Log out
              </button>
            </div>
          </form>
        </>
      ) : (
        <>
          <p className="muted">
            Launching and cancelling runs execute commands on this host, so they need a login: {policy.reason}. Evidence pages
            stay readable without one.
          </p>
          <LoginForm next={next} />
        </>
      )}
      {!loggedIn ? (
        <p className="small" style={{ marginTop: 16 }}>
          <Link href="/">Back to runs</Link>
        </p>
      ) : null}
    </div>
  );
}
