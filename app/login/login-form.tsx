'use client';
import { useActionState } from 'react';
import { errorOf, initialState } from '@/lib/action-result';
import { loginAction, type LoginState } from './actions';
import styles from './login-form.module.css';

const initial: LoginState = initialState();

/** The password form of /login; `next` is where a successful login goes. */
export default function LoginForm({ next }: { next: string }) {
  const [state, formAction, pending] = useActionState(loginAction, initial);
  const error = errorOf(state);
  return (
    <form action={formAction} className={styles.form} data-testid="login-form">
      <input type="hidden" name="next" value={next} />
      <label className="field" htmlFor="login-password">
        Password
        <input
          className={styles.password}
          id="login-password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          autoFocus
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'login-error' : undefined}
        />
      </label>
      {error ? (
        <p id="login-error" className={`notice error ${styles.error}`} role="alert">
          {error}
        </p>
      ) : null}
      <div>
        <button type="submit" className="btn btn-primary" disabled={pending}>
          {pending ? 'Logging in…' : 'Log in'}
        </button>
      </div>
    </form>
  );
}
