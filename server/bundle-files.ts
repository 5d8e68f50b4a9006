/**
 * Serving a file of a bundle, and nothing outside it. MLflow's artifact
 * endpoints were bypassed again and again by one more encoding (double
 * URL-encoding, `\`, `;`, `#`, query strings): here the requested path is
 * decoded until it stops changing, anything suspicious is refused outright,
 * and the final answer comes from realpath, not from string checks.
 */
import fs from 'node:fs';
import path from 'node:path';

export type ResolveResult = { ok: true; file: string; relative: string; sizeBytes: number } | { ok: false; status: 400 | 404; reason: string };

function fullyDecode(s: string): string | null {
  let cur = s;
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(cur);
    } catch {
      return null;
    }
    if (next === cur) return cur;
    cur = next;
  }
  return null; // still changing after five rounds: refuse
}

/** `requested` is the raw path after the bundle prefix (may be URL-encoded, may be several segments). */
export function resolveBundleFile(bundleDir: string, requested: string | string[]): ResolveResult {
  const raw = Array.isArray(requested) ? requested.join('/') : requested;
  const decoded = fullyDecode(raw);
  if (decoded === null) return { ok: false, status: 400, reason: 'bad encoding' };
  if (/[\0\\]/.test(decoded) || /[;#?]/.test(decoded) || decoded.startsWith('/') || /^[A-Za-z]:/.test(decoded)) {
    return { ok: false, status: 400, reason: 'path not allowed' };
  }
  const parts = decoded.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..')) return { ok: false, status: 400, reason: 'path not allowed' };
  let root: string;
  let real: string;
  try {
    root = fs.realpathSync(bundleDir);
    real = fs.realpathSync(path.join(root, ...parts));
  } catch {
    return { ok: false, status: 404, reason: 'no such file in this bundle' };
  }
  if (!real.startsWith(root + path.sep)) return { ok: false, status: 404, reason: 'no such file in this bundle' };
  const st = fs.statSync(real);
  if (!st.isFile()) return { ok: false, status: 404, reason: 'not a file' };
  return { ok: true, file: real, relative: path.relative(root, real).split(path.sep).join('/'), sizeBytes: st.size };
}
