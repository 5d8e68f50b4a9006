'use server';
/**
 * Log in and out. A refused login comes back as an ActionResult
 * (app/_lib/action-result.ts) for the form to show; only success redirects
 * (outside any try, as redirect() throws).
 */
import { redirect } from 'next/navigation';
import { z } from 'zod';
import { checkPassword, loginThrottle, NO_PASSWORD_FIX, safeNextPath } from '@/server/auth';
import { fail, type ActionResult } from '@/lib/action-result';
import { clearSessionCookie, clientKey, requestAuthPolicy, sameOriginRefusal, setSessionCookie } from '@/server/session';

export type LoginState = ActionResult;

const LoginForm = z.object({
  password: z.string({ error: 'Enter the password.' }).min(1, 'Enter the password.').max(1024, 'That password is too long.'),
  next: z.string().max(2048).optional(),
});

export async function loginAction(_prev: LoginState, formData: FormData): Promise<LoginState> {
  const parsed = LoginForm.safeParse({
    password: formData.get('password') ?? undefined,
    next: formData.get('next') ?? undefined,
  });
  if (!parsed.success) return fail(parsed.error.issues[0]?.message ?? 'Invalid form.');

  const refused = await sameOriginRefusal();
  if (refused) return fail(refused);
  let policy;
  try {
    policy = await requestAuthPolicy();
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
  if (!policy.passwordSet) {
    return fail(policy.required ? `No password is configured, so no one can log in. ${NO_PASSWORD_FIX}` : 'No login is needed here: launching is open to this machine on this loopback-only server.');
  }

  // Keyed on the socket's peer (or a trusted proxy's client): a rotating X-Forwarded-For buys no guesses.
  const key = await clientKey();
  const wait = loginThrottle.retryAfterMs(key);
  if (wait > 0) return fail(`Too many failed attempts. Try again in ${Math.ceil(wait / 1000)} s.`);
  if (!checkPassword(parsed.data.password)) {
    loginThrottle.recordFailure(key);
    return fail('Wrong password.');
  }
  loginThrottle.recordSuccess(key);
  await setSessionCookie();
  redirect(safeNextPath(parsed.data.next));
}

/** Ends this session for good (the token is revoked, not only the cookie dropped). */
export async function logoutAction(): Promise<void> {
  if (await sameOriginRefusal()) redirect('/login');
  await clearSessionCookie();
  redirect('/');
}
