'use client';
import { useActionState } from 'react';
import { loginAction, type LoginState } from './actions';
import styles from './login-form.module.css';

const initial: LoginState = { error: null };

/** The password form of /login; `next` is where a successful login goes. */
export default function LoginForm({ next }: { next: string }) {
  const [state, formAction, pending] = useActionState(loginAction, initial);
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
          aria-invalid={state.error ? true : undefined}
          aria-describedby={state.error ? 'login-error' : undefined}
        />
      </label>
      {state.error ? (
        <p id="login-error" className={`notice error ${styles.error}`} role="alert">
          {state.error}
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
