/**
 * Posting Runproof's server actions the way a browser does, so an attacker
 * can replay them with any headers: the launch form's progressive-enhancement
 * POST (hidden `$ACTION_*` fields from the rendered /runs/new), and the
 * `Next-Action` fetch React sends (the action id is in the rendered page).
 */
import fs from 'node:fs';
import path from 'node:path';
import { multipart, type RawRequest, type RawResponse } from './raw-http.mjs';
import { ensureBuildOnce, ROOT } from './servers';

export interface ActionIds {
  launch: string;
  cancel: string;
  login: string;
}

/** The action ids of this build, by exported name (the rendered pages carry the same ids). */
export function actionIds(): ActionIds {
  ensureBuildOnce();
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, '.next/server/server-reference-manifest.json'), 'utf8')) as {
    node: Record<string, { exportedName?: string; filename?: string }>;
  };
  const find = (file: string, name: string) => {
    const hit = Object.entries(manifest.node).find(([, v]) => v.exportedName === name && v.filename === file);
    if (!hit) throw new Error(`no server action ${name} in ${file} in this build`);
    return hit[0];
  };
  return { launch: find('app/runs/new/actions.ts', 'launchAction'), cancel: find('app/runs/new/actions.ts', 'cancelAction'), login: find('app/login/actions.ts', 'loginAction') };
}

const unescapeHtml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The hidden `$ACTION_*` inputs of the first form in `html` that posts action `id`. */
export function hiddenActionFields(html: string, id: string): Array<[string, string]> {
  const forms = [...html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/g)].map((m) => m[1]).filter((f) => unescapeHtml(f).includes(`"id":"${id}"`));
  if (!forms.length) throw new Error(`no form posting action ${id} in the page`);
  return [...forms[0].matchAll(/<input\b[^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => /type="hidden"/.test(tag) && /name="\$ACTION_/.test(tag))
    .map((tag) => [unescapeHtml(/name="([^"]*)"/.exec(tag)![1]), unescapeHtml(/value="([^"]*)"/.exec(tag)?.[1] ?? '')]);
}

export interface Target {
  host: string;
  port: number;
}

type Headers = Array<[string, string]>;

// The form's previous state (lib/action-result.ts); the action reads only the FormData.
const LAUNCH_STATE = { ok: true, data: { values: {}, profile: null, cpuOnly: false, rows: '' } };

/** The launch form posted as React's fetch does: `Next-Action` and the encoded arguments (state, FormData). */
export function launchFetch(t: Target, ids: ActionIds, headers: Headers, id: string): RawRequest {
  // The root argument list comes last: the server resolves `$K1` from the fields it has read by then.
  const { body, contentType } = multipart([
    ['_1_profile', 'reference'],
    ['_1_knob:max_epochs', '1'],
    ['0', JSON.stringify([LAUNCH_STATE, '$K1'])],
  ]);
  return { id, host: t.host, port: t.port, method: 'POST', path: '/runs/new', headers: [['Next-Action', ids.launch], ['Accept', 'text/x-component'], ['Content-Type', contentType], ...headers], body };
}

/** The launch form posted without JavaScript: its hidden fields as rendered, plus the knobs. */
export function launchForm(t: Target, hidden: Array<[string, string]>, headers: Headers, id: string): RawRequest {
  const { body, contentType } = multipart([...hidden, ['profile', 'reference'], ['knob:max_epochs', '1']]);
  return { id, host: t.host, port: t.port, method: 'POST', path: '/runs/new', headers: [['Content-Type', contentType], ...headers], body };
}

/** Cancel, as the live evidence page's button calls it. */
export function cancelFetch(t: Target, ids: ActionIds, headers: Headers, runId: string, id: string): RawRequest {
  return {
    id,
    host: t.host,
    port: t.port,
    method: 'POST',
    path: `/runs/${runId}`,
    headers: [['Next-Action', ids.cancel], ['Accept', 'text/x-component'], ['Content-Type', 'text/plain;charset=UTF-8'], ...headers],
    body: JSON.stringify([runId]),
  };
}

/** The login form, as React's fetch posts it. */
export function loginFetch(t: Target, ids: ActionIds, headers: Headers, password: string, id: string): RawRequest {
  const { body, contentType } = multipart([
    ['_1_password', password],
    ['_1_next', '/'],
    ['0', JSON.stringify([{ ok: true }, '$K1'])],
  ]);
  return { id, host: t.host, port: t.port, method: 'POST', path: '/login', headers: [['Next-Action', ids.login], ['Accept', 'text/x-component'], ['Content-Type', contentType], ...headers], body };
}

const RUN_URL = /\/runs\/[0-9a-f]{12}(?:[;?#]|$)/;

/** The response sends the user to a new run's page: the launch went through. */
export function launched(r: RawResponse): boolean {
  return (r.status === 303 && RUN_URL.test(r.headers.location ?? '')) || RUN_URL.test((r.headers['x-action-redirect'] ?? '').split(';')[0] + ';');
}

/** The cancel action answered `{ ok: true }`. */
export function cancelled(r: RawResponse): boolean {
  return /"ok":true/.test(r.body);
}

/** A session cookie was set. */
export function loggedIn(r: RawResponse): boolean {
  return /(?:^|\n)runproof_session=[^;\s]+/.test(r.headers['set-cookie'] ?? '');
}

/** The cookie pair (`runproof_session=…`) from a login response. */
export function sessionCookie(r: RawResponse): string | null {
  return /(?:^|\n)(runproof_session=[^;\s]+)/.exec(r.headers['set-cookie'] ?? '')?.[1] ?? null;
}
