/**
 * The profiles this installation offers: the built-ins, overridden or added to
 * by the JSON file named in RUNPROOF_PROFILES, each with whether it can run
 * here and, if not, why.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BUILTIN_PROFILES } from '../lib/profiles/builtin';
import { profilesFileSchema, type Profile } from '../lib/profiles/schema';
import { buildCommand, resolveCwd, substitute, validateParams, type ParamValue, type TemplateContext, type Validated, type BuiltCommand } from '../lib/profiles/build';
import { getEnv } from './env';
import { defaultPython } from './python';

export interface ProfileEntry {
  profile: Profile;
  available: boolean;
  /** Why it is not available (and what to do), or null. */
  reason: string | null;
  source: 'built-in' | string;
}

export class ProfileConfigError extends Error {}

export function templateContext(): TemplateContext {
  const env = getEnv();
  return { runproofRoot: env.root, node: process.execPath, python: defaultPython(), env: process.env };
}

/** Probe results are cached for the life of the process: importing torch takes seconds. */
const probeCache = new Map<string, { ok: boolean; detail: string }>();

function probe(argv: string[], cwd: string): { ok: boolean; detail: string } {
  const key = JSON.stringify([argv, cwd]);
  const hit = probeCache.get(key);
  if (hit) return hit;
  const r = spawnSync(argv[0], argv.slice(1), { cwd, timeout: 60_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = `${r.stderr ?? ''}`.trim().split('\n').pop() ?? '';
  const res = r.error ? { ok: false, detail: `${argv[0]}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}` } : r.status === 0 ? { ok: true, detail: '' } : { ok: false, detail: tail || `exit ${r.status}` };
  probeCache.set(key, res);
  return res;
}

/**
 * The checkout folders of profiles that run outside Runproof's own folder
 * (their `plans/` may hold plans). No availability probe: a checkout that
 * exists is enough.
 */
export function profileCheckouts(): string[] {
  const ctx = templateContext();
  const out = new Set<string>();
  for (const { profile } of configuredProfiles(ctx)) {
    if (profile.requires.env.some((v) => !ctx.env[v])) continue;
    const cwd = resolveCwd(profile, ctx);
    if (cwd !== ctx.runproofRoot && fs.existsSync(cwd)) out.add(cwd);
  }
  return [...out];
}

function availability(profile: Profile, ctx: TemplateContext): { available: boolean; reason: string | null } {
  const req = profile.requires;
  const hint = req.hint ? ` — ${req.hint}` : '';
  const missing = req.env.filter((v) => !ctx.env[v]);
  if (missing.length) return { available: false, reason: `${missing.join(', ')} not set${hint}` };
  for (const p of req.paths) {
    const abs = path.resolve(ctx.runproofRoot, substitute(p, { runproof_root: ctx.runproofRoot }, ctx.env));
    if (!fs.existsSync(abs)) return { available: false, reason: `${abs} does not exist${hint}` };
  }
  const cwd = resolveCwd(profile, ctx);
  if (!fs.existsSync(cwd)) return { available: false, reason: `working directory ${cwd} does not exist${hint}` };
  if (req.probe) {
    const vars = { runproof_root: ctx.runproofRoot, node: ctx.node, python: ctx.python, cwd };
    const argv = req.probe.map((t) => substitute(t, vars, ctx.env));
    const r = probe(argv, cwd);
    if (!r.ok) return { available: false, reason: `\`${argv.join(' ')}\` failed (${r.detail})${hint}` };
  }
  return { available: true, reason: null };
}

function readConfigFile(file: string): Profile[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ProfileConfigError(`RUNPROOF_PROFILES: cannot read ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ProfileConfigError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  const parsed = profilesFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ProfileConfigError(`${file}: ${issues}`);
  }
  return parsed.data.profiles;
}

/** All profiles, built-ins first (a config entry with a built-in's name replaces it). `only` checks the availability of that one alone. */
export function configuredProfiles(ctx: TemplateContext): Array<{ profile: Profile; source: string }> {
  const file = getEnv().RUNPROOF_PROFILES;
  const byName = new Map<string, { profile: Profile; source: string }>();
  for (const p of BUILTIN_PROFILES) byName.set(p.name, { profile: p, source: 'built-in' });
  if (file) for (const p of readConfigFile(path.resolve(ctx.runproofRoot, file))) byName.set(p.name, { profile: p, source: file });
  return [...byName.values()];
}

export function listProfiles(only?: string): ProfileEntry[] {
  const ctx = templateContext();
  return configuredProfiles(ctx).filter(({ profile }) => only === undefined || profile.name === only).map(({ profile, source }) => ({ profile, source, ...availability(profile, ctx) }));
}

export function getProfile(name: string): ProfileEntry | null {
  // Only this profile's availability is checked: another's probe (importing torch) can take seconds.
  return listProfiles(name)[0] ?? null;
}

export const fsQuestions = {
  exists: (abs: string) => fs.existsSync(abs),
  realpath: (abs: string) => {
    try {
      return fs.realpathSync(abs);
    } catch {
      return null;
    }
  },
};

export interface PreparedLaunch {
  profile: Profile;
  validated: Validated;
  command: BuiltCommand | null;
}

/** Validate a launch's raw values and build its command (with a placeholder output folder when none is given yet). */
export function prepareLaunch(entry: ProfileEntry, raw: Record<string, ParamValue | undefined>, opts: { cpuOnly: boolean; outputDir: string }): PreparedLaunch {
  const ctx = templateContext();
  const cwd = resolveCwd(entry.profile, ctx);
  const validated = validateParams(entry.profile, raw, cwd, fsQuestions);
  const command = validated.ok ? buildCommand(entry.profile, validated.values, { ...ctx, outputDir: opts.outputDir, cpuOnly: opts.cpuOnly }) : null;
  return { profile: entry.profile, validated, command };
}
