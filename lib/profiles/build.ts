/**
 * From a profile and the raw values of a launch to a validated argv, cwd and
 * environment. Every check a launch must pass lives here, so the form, the
 * CLI and the API refuse the same things with the same words. Pure: file
 * system questions (does this path exist, where does it really point) come in
 * as functions.
 */
import path from 'node:path';
import { knobKey } from '../lightning/command';
import type { ParamSpec, Profile } from './schema';
import { readNumber } from './values';

export type ParamValue = string | number | boolean;
export type ParamValues = Record<string, ParamValue>;

export interface PathQuestions {
  /** Absolute path → does it exist. */
  exists?: (abs: string) => boolean;
  /** Absolute path → its real path (symlinks resolved), or null when it does not exist. */
  realpath?: (abs: string) => string | null;
}

export interface TemplateContext {
  runproofRoot: string;
  node: string;
  python: string;
  /** Environment the `{env:NAME}` placeholders of the profile read (never parameter values). */
  env: Record<string, string | undefined>;
}

export function flagOf(p: ParamSpec): string {
  return p.flag ?? `--${p.name}`;
}

/** Find a parameter by any spelling of its name or flag (`checkpoint_save_top_k`, `--checkpoint-save-top-k`). */
export function findParam(profile: Profile, name: string): ParamSpec | undefined {
  const k = knobKey(name);
  return profile.params.find((p) => knobKey(p.name) === k || knobKey(flagOf(p)) === k);
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** Substitute `{runproof_root}`, `{node}`, `{python}`, `{cwd}`, `{output_dir}` and `{env:NAME}` in a template token. */
export function substitute(token: string, vars: Record<string, string>, env: Record<string, string | undefined>): string {
  return token.replace(/\{(env:)?([A-Za-z_][A-Za-z0-9_]*)\}/g, (all, isEnv: string | undefined, name: string) => {
    if (isEnv) return env[name] ?? '';
    return name in vars ? vars[name] : all;
  });
}

export function resolveCwd(profile: Profile, ctx: TemplateContext): string {
  const raw = substitute(profile.cwd, { runproof_root: ctx.runproofRoot }, ctx.env);
  return path.resolve(ctx.runproofRoot, raw);
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function coerce(p: ParamSpec, raw: ParamValue, cwd: string, fsq: PathQuestions): { value?: ParamValue; error?: string } {
  const text = typeof raw === 'string' ? raw.trim() : raw;
  switch (p.type) {
    case 'int':
    case 'number':
      // The form reads the text with the same function as the user types (lib/profiles/values.ts).
      return typeof text === 'boolean' ? { error: p.type === 'int' ? 'must be a whole number' : 'must be a number' } : readNumber(p, text);
    case 'enum': {
      const s = String(text);
      if (!p.values.includes(s)) return { error: `must be one of ${p.values.join(', ')}` };
      return { value: s };
    }
    case 'bool': {
      if (typeof text === 'boolean') return { value: text };
      const s = String(text).toLowerCase();
      if (TRUE.has(s)) return { value: true };
      if (FALSE.has(s)) return { value: false };
      return { error: 'must be true or false' };
    }
    case 'string': {
      const s = String(text);
      if (s.startsWith('-')) return { error: 'must not start with -' };
      if (!new RegExp(p.pattern).test(s)) return { error: `must match ${p.pattern}` };
      return { value: s };
    }
    case 'path': {
      const s = String(text);
      if (s === '') return { error: 'must not be empty' };
      if (s.startsWith('-')) return { error: 'must not start with -' };
      if (/[\0\n\r]/.test(s)) return { error: 'must not contain control characters' };
      const abs = path.resolve(cwd, s);
      const roots = p.roots.map((r) => path.resolve(cwd, r));
      if (!roots.some((r) => inside(abs, r))) return { error: `must stay inside ${p.roots.join(', ')}` };
      if (p.mustExist && fsq.exists && !fsq.exists(abs)) return { error: `${s} does not exist (relative to ${cwd})` };
      const real = fsq.realpath?.(abs);
      if (real) {
        const realRoots = roots.map((r) => fsq.realpath?.(r) ?? r);
        if (!realRoots.some((r) => inside(real, r))) return { error: `${s} points outside ${p.roots.join(', ')}` };
      }
      return { value: s };
    }
  }
}

export interface Validated {
  ok: boolean;
  /** Every parameter with a value (given or default), by its schema name. */
  values: ParamValues;
  /** Parameter name (or `_` for the request as a whole) → what is wrong. */
  errors: Record<string, string>;
}

/** Check raw values (from a form, `--set`, JSON) against the schema; unknown names are errors, not ignored. */
export function validateParams(profile: Profile, raw: Record<string, ParamValue | undefined>, cwd: string, fsq: PathQuestions = {}): Validated {
  const errors: Record<string, string> = {};
  const values: ParamValues = {};
  const given = new Map<string, ParamValue>();
  for (const [name, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    const p = findParam(profile, name);
    if (!p) {
      errors[name] = `unknown knob for profile ${profile.name}; known: ${profile.params.map((x) => x.name).join(', ')}`;
      continue;
    }
    if (given.has(p.name)) {
      errors[p.name] = 'given twice';
      continue;
    }
    given.set(p.name, v);
  }
  for (const p of profile.params) {
    const v = given.get(p.name);
    const blank = v === undefined || (typeof v === 'string' && v.trim() === '');
    if (blank) {
      if (p.default !== undefined) values[p.name] = p.default;
      else if (!p.optional) errors[p.name] = 'is required';
      continue;
    }
    const r = coerce(p, v, cwd, fsq);
    if (r.error) errors[p.name] = r.error;
    else values[p.name] = r.value!;
  }
  return { ok: Object.keys(errors).length === 0, values, errors };
}

/**
 * The path knobs of a launch validated when it was queued, checked again
 * against the file system as it is now: the worker asks this right before it
 * spawns, so a symlink swapped in between (or a folder removed) stops the run
 * instead of handing the trainer a path outside its roots. One message per
 * knob that no longer passes.
 */
export function recheckPathParams(profile: Profile, values: ParamValues, cwd: string, fsq: PathQuestions): string[] {
  const out: string[] = [];
  for (const p of profile.params) {
    const v = values[p.name];
    if (p.type !== 'path' || v === undefined) continue;
    const real = fsq.realpath?.(path.resolve(cwd, String(v)));
    const realRoots = p.roots.map((r) => path.resolve(cwd, r)).map((r) => fsq.realpath?.(r) ?? r);
    if (real && !realRoots.some((r) => inside(real, r))) {
      out.push(`path knob ${p.name} now resolves outside ${p.roots.join(', ')}: ${v} → ${real}`);
      continue;
    }
    const r = coerce(p, v, cwd, fsq);
    if (r.error) out.push(`path knob ${p.name}: ${r.error}`);
  }
  return out;
}

function paramTokens(p: ParamSpec, v: ParamValue | undefined): string[] {
  if (v === undefined) return [];
  if (p.type === 'bool') {
    if (v === true) return [flagOf(p)];
    return p.falseFlag ? [p.falseFlag] : [];
  }
  return [flagOf(p), String(v)];
}

export interface BuiltCommand {
  argv: string[];
  cwd: string;
  /** Only what the launch adds to the inherited environment (profile env, CPU-only). */
  env: Record<string, string>;
}

/** The argv, cwd and environment overrides of a validated launch. */
export function buildCommand(profile: Profile, values: ParamValues, ctx: TemplateContext & { outputDir: string; cpuOnly: boolean }): BuiltCommand {
  const cwd = resolveCwd(profile, ctx);
  const vars = { runproof_root: ctx.runproofRoot, node: ctx.node, python: ctx.python, cwd, output_dir: ctx.outputDir };
  const placed = new Set(profile.argv.map((t) => /^\{param:([^}]+)\}$/.exec(t)?.[1]).filter(Boolean) as string[]);
  const argv: string[] = [];
  for (const tok of profile.argv) {
    const one = /^\{param:([^}]+)\}$/.exec(tok);
    if (one) {
      const p = profile.params.find((x) => x.name === one[1])!;
      argv.push(...paramTokens(p, values[p.name]));
    } else if (tok === '{params}') {
      for (const p of profile.params) if (!placed.has(p.name)) argv.push(...paramTokens(p, values[p.name]));
    } else argv.push(substitute(tok, vars, ctx.env));
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(profile.env)) env[k] = substitute(v, vars, ctx.env);
  if (ctx.cpuOnly) Object.assign(env, profile.cpuOnlyEnv);
  return { argv, cwd, env };
}
