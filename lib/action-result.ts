/**
 * The one answer every server action gives its caller (the wrapper that
 * turns a thrown error into one is app/_lib/run-action.ts).
 *
 * A success may say something (`message`) and carry `data`; a failure says
 * what went wrong and what to do (`error`), with `fieldErrors` keyed by the
 * form field a message belongs to. A form driven by `useActionState` gets the
 * values it submitted back in `data` either way, so a refused form keeps the
 * user's input. Actions that end by navigating (`redirect()`) still return
 * this shape on every path that does not navigate.
 *
 * Pure, so client components import the type and the readers
 * (`resultText`, `errorOf`, `fieldError`) as well as the actions do.
 */
export type FieldErrors = Record<string, string>;

export type ActionOk<T> = { ok: true; message?: string; data?: T };
export type ActionFailure<T> = { ok: false; error: string; fieldErrors?: FieldErrors; data?: T };
export type ActionResult<T = undefined> = ActionOk<T> | ActionFailure<T>;

export function ok<T = undefined>(message?: string, data?: T): ActionOk<T> {
  const r: ActionOk<T> = { ok: true };
  if (message !== undefined) r.message = message;
  if (data !== undefined) r.data = data;
  return r;
}

export function fail<T = undefined>(error: string, more: { fieldErrors?: FieldErrors; data?: T } = {}): ActionFailure<T> {
  const r: ActionFailure<T> = { ok: false, error };
  if (more.fieldErrors && Object.keys(more.fieldErrors).length) r.fieldErrors = more.fieldErrors;
  if (more.data !== undefined) r.data = more.data;
  return r;
}

/** A form's state before its first submission: nothing said, the starting values in `data`. */
export function initialState<T>(data?: T): ActionResult<T> {
  return ok(undefined, data);
}

/** The line a caller shows: a success's message or a failure's error (null when there is neither). */
export function resultText(r: ActionResult<unknown> | null | undefined): string | null {
  if (!r) return null;
  return r.ok ? (r.message ?? null) : r.error;
}

/** A failure's error, or null. */
export function errorOf(r: ActionResult<unknown> | null | undefined): string | null {
  return r && !r.ok ? r.error : null;
}

/** The message a failure keyed to this form field, or null. */
export function fieldError(r: ActionResult<unknown> | null | undefined, field: string): string | null {
  return r && !r.ok ? (r.fieldErrors?.[field] ?? null) : null;
}
