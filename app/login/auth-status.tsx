/**
 * "Log in" / "Log out" for the header, shown only when launching needs a
 * login (server/auth.ts). A server component: it reads the session cookie.
 */
import Link from 'next/link';
import { hasSession, loginUrl, requestAuthPolicy } from '@/server/session';
import { logoutAction } from './actions';
import LoginLink from './login-link';
import styles from './auth-status.module.css';

export default async function AuthStatus({ next }: { next?: string } = {}) {
  let required = false;
  let passwordSet = false;
  try {
    ({ required, passwordSet } = await requestAuthPolicy());
  } catch {
    required = true; // a bad environment: the login page explains it
  }
  if (!required) return null;
  if (passwordSet && (await hasSession())) {
    return (
      <form action={logoutAction} className={styles.status} data-testid="auth-status">
        <button type="submit" className="btn btn-link">
          Log out
        </button>
      </form>
    );
  }
  return (
    <div className={styles.status} data-testid="auth-status">
      {next ? (
        <Link className="btn btn-link" href={loginUrl(next)}>
          Log in
        </Link>
      ) : (
        <LoginLink />
      )}
    </div>
  );
}
