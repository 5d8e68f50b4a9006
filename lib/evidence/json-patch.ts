/**
 * What changed between two JSON documents, as RFC 6902 JSON Patch operations
 * (`add`, `remove`, `replace`), and applying them. The live page gets the
 * evidence document once and then only these: a grown array is the new
 * items appended (`/epochs/-`), an unchanged section is nothing. Unlike a
 * JSON merge patch, a value that becomes `null` stays `null`. Pure.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export type PatchOp = { op: 'add' | 'replace'; path: string; value: Json } | { op: 'remove'; path: string };

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON pointer token (RFC 6901). */
function token(k: string | number): string {
  return String(k).replace(/~/g, '~0').replace(/\//g, '~1');
}

function same(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function walk(a: Json, b: Json, path: string, ops: PatchOp[]): void {
  if (same(a, b)) return;
  if (isObject(a) && isObject(b)) {
    for (const k of Object.keys(a)) if (!(k in b)) ops.push({ op: 'remove', path: `${path}/${token(k)}` });
    for (const k of Object.keys(b)) {
      if (b[k] === undefined) continue;
      if (!(k in a) || a[k] === undefined) ops.push({ op: 'add', path: `${path}/${token(k)}`, value: b[k] });
      else walk(a[k], b[k], `${path}/${token(k)}`, ops);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && b.length >= a.length) {
    for (let i = 0; i < a.length; i++) walk(a[i], b[i], `${path}/${i}`, ops);
    for (let i = a.length; i < b.length; i++) ops.push({ op: 'add', path: `${path}/-`, value: b[i] });
    return;
  }
  ops.push({ op: 'replace', path, value: b });
}

/** The operations that turn `a` into `b` (an empty list when they are equal). */
export function diffJson(a: Json, b: Json): PatchOp[] {
  const ops: PatchOp[] = [];
  walk(a, b, '', ops);
  return ops;
}

function parsePath(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new Error(`bad JSON pointer ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * `doc` with the operations applied; `doc` itself is not changed (the
 * containers along each path are copied), so React sees a new object where
 * something changed and the same one where nothing did. Throws on an
 * operation that does not fit the document.
 */
export function applyPatch<T extends Json>(doc: T, ops: PatchOp[]): T {
  let root: Json = doc;
  for (const op of ops) {
    const keys = parsePath(op.path);
    if (!keys.length) {
      if (op.op === 'remove') throw new Error('cannot remove the whole document');
      root = op.value;
      continue;
    }
    const top: Json = Array.isArray(root) ? [...root] : isObject(root) ? { ...root } : root;
    if (typeof top !== 'object' || top === null) throw new Error(`no container at ${op.path}`);
    let parent: Json[] | Record<string, Json> = top;
    for (const k of keys.slice(0, -1)) {
      const child: Json | undefined = Array.isArray(parent) ? parent[Number(k)] : parent[k];
      if (typeof child !== 'object' || child === null) throw new Error(`no container at ${op.path}`);
      const copy: Json[] | Record<string, Json> = Array.isArray(child) ? [...child] : { ...child };
      if (Array.isArray(parent)) parent[Number(k)] = copy;
      else parent[k] = copy;
      parent = copy;
    }
    const last = keys[keys.length - 1];
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new Error(`bad index at ${op.path}`);
      if (op.op === 'add') parent.splice(i, 0, op.value);
      else if (op.op === 'replace') parent[i] = op.value;
      else parent.splice(i, 1);
    } else if (op.op === 'remove') delete parent[last];
    else parent[last] = op.value;
    root = top;
  }
  return root as T;
}
