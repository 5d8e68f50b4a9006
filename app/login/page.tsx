import Link from 'next/link';
import { NO_PASSWORD_FIX, safeNextPath, type AuthPolicy } from '@/server/auth';
import { hasSession, requestAuthPolicy } from '@/server/session';
import LoginForm from './login-form';
import { logoutAction } from './actions';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Log in' };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const next = safeNextPath(Array.isArray(sp.next) ? sp.next[0] : sp.next);
  let policy: AuthPolicy | null = null;
  let envError: string | null = null;
  try {
    policy = await requestAuthPolicy();
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
          <p className="muted">No login is needed: {policy.reason}. Launching and cancelling runs are open to this machine.</p>
          <p className="muted small">
            To require a password anyway, set <code>RUNPROOF_PASSWORD</code> (at least 8 characters) and restart the server.
          </p>
        </>
      ) : !policy.passwordSet ? (
        <p className="notice error" role="alert" data-testid="login-unconfigured">
          A login is required to launch or cancel runs because {policy.reason}, but no password is configured, so launching is refused. {NO_PASSWORD_FIX} Evidence pages stay readable without a login.
        </p>
      ) : loggedIn ? (
        <>
          <p className="muted">
            You can launch, cancel and import runs. The session lasts 12 hours; <strong>Log out</strong> ends it (a copy of the cookie stops working too), and <code>runproof logout-all</code> on the
            server ends every session.
          </p>
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
          <p className="muted">Launching and cancelling runs execute commands on this host, so they need a login: {policy.reason}. Evidence pages stay readable without one.</p>
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
