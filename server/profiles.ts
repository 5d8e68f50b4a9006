/**
 * The profiles this installation offers: the built-ins, overridden or added to
 * by the JSON file named in RUNPROOF_PROFILES, each with whether it can run
 * here and, if not, why.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
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

/**
 * Probe results are cached for the life of the process: importing torch takes
 * seconds. Probes under way without blocking (the web server's) are shared: a
 * second asker waits for the same child. Both live on globalThis because the
 * listener (server/http-server.ts) and Next's compiled pages load this module
 * as two copies in one process; the warm-up must fill the pages' cache.
 */
const probeState = ((globalThis as { __runproofProbes?: { cache: Map<string, { ok: boolean; detail: string }>; inFlight: Map<string, Promise<{ ok: boolean; detail: string }>> } }).__runproofProbes ??=
  {
    cache: new Map(),
    inFlight: new Map(),
  });
const probeCache = probeState.cache;
const probeInFlight = probeState.inFlight;
const PROBE_TIMEOUT_MS = 60_000;

function probeKey(argv: string[], cwd: string): string {
  return JSON.stringify([argv, cwd]);
}

function probeResult(error: NodeJS.ErrnoException | null, status: number | null, stderr: string, argv0: string): { ok: boolean; detail: string } {
  const tail = stderr.trim().split('\n').pop() ?? '';
  if (error && typeof error.code === 'string') return { ok: false, detail: `${argv0}: ${error.code}` };
  return status === 0 ? { ok: true, detail: '' } : { ok: false, detail: tail || (status === null ? 'timed out or killed' : `exit ${status}`) };
}

/** The blocking probe, for the CLI and the launch path: the web server warms the cache with probeAsync first. */
function probe(argv: string[], cwd: string): { ok: boolean; detail: string } {
  const key = probeKey(argv, cwd);
  const hit = probeCache.get(key);
  if (hit) return hit;
  const r = spawnSync(argv[0], argv.slice(1), { cwd, timeout: PROBE_TIMEOUT_MS, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const res = probeResult((r.error as NodeJS.ErrnoException | undefined) ?? null, r.status, `${r.stderr ?? ''}`, argv[0]);
  probeCache.set(key, res);
  return res;
}

/** The same probe without blocking the event loop: a page render waits for it, the server's other requests do not. */
function probeAsync(argv: string[], cwd: string): Promise<{ ok: boolean; detail: string }> {
  const key = probeKey(argv, cwd);
  const hit = probeCache.get(key);
  if (hit) return Promise.resolve(hit);
  const running = probeInFlight.get(key);
  if (running) return running;
  const p = new Promise<{ ok: boolean; detail: string }>((resolve) => {
    execFile(argv[0], argv.slice(1), { cwd, timeout: PROBE_TIMEOUT_MS, encoding: 'utf8', maxBuffer: 4 << 20 }, (err, _stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
      // execFile reports a non-zero exit as an error whose code is the exit status.
      const status = e ? (typeof e.code === 'number' ? e.code : null) : 0;
      resolve(probeResult(e && typeof e.code === 'string' ? e : null, status, `${stderr ?? ''}`, argv[0]));
    });
  }).then((res) => {
    probeCache.set(key, res);
    probeInFlight.delete(key);
    return res;
  });
  probeInFlight.set(key, p);
  return p;
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

type Availability = { available: boolean; reason: string | null };

/** What can be told without running anything, and the probe still to run (if any). */
function prerequisites(profile: Profile, ctx: TemplateContext): Availability | { argv: string[]; cwd: string; hint: string } | null {
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
  if (!req.probe) return null;
  const vars = { runproof_root: ctx.runproofRoot, node: ctx.node, python: ctx.python, cwd };
  return { argv: req.probe.map((t) => substitute(t, vars, ctx.env)), cwd, hint };
}

function probeVerdict(argv: string[], hint: string, r: { ok: boolean; detail: string }): Availability {
  return r.ok ? { available: true, reason: null } : { available: false, reason: `\`${argv.join(' ')}\` failed (${r.detail})${hint}` };
}

function availability(profile: Profile, ctx: TemplateContext): Availability {
  const pre = prerequisites(profile, ctx);
  if (pre === null) return { available: true, reason: null };
  if ('available' in pre) return pre;
  return probeVerdict(pre.argv, pre.hint, probe(pre.argv, pre.cwd));
}

export async function availabilityAsync(profile: Profile, ctx: TemplateContext): Promise<Availability> {
  const pre = prerequisites(profile, ctx);
  if (pre === null) return { available: true, reason: null };
  if ('available' in pre) return pre;
  return probeVerdict(pre.argv, pre.hint, await probeAsync(pre.argv, pre.cwd));
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
  return configuredProfiles(ctx)
    .filter(({ profile }) => only === undefined || profile.name === only)
    .map(({ profile, source }) => ({ profile, source, ...availability(profile, ctx) }));
}

/** listProfiles for the web server: the probes run as children it does not wait on, several at once. */
export async function listProfilesAsync(): Promise<ProfileEntry[]> {
  const ctx = templateContext();
  return Promise.all(configuredProfiles(ctx).map(async ({ profile, source }) => ({ profile, source, ...(await availabilityAsync(profile, ctx)) })));
}

/**
 * Start every profile's probe in the background (the server calls this as it
 * starts listening): the launch form's first render and the first launch then
 * find the answers cached instead of importing torch while a reader waits.
 */
export function warmProfileProbes(): void {
  listProfilesAsync().catch(() => {
    // A broken profiles file is reported where it is read (the launch form, `runproof profiles`).
  });
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

/**
 * Validate a launch's raw values and build its command (with a placeholder
 * output folder when none is given yet). `checkPaths: false` (a profile that
 * runs on another host) leaves the file system out: path knobs are checked
 * for their form and their roots by name only, and the worker checks them on
 * its own disk right before it starts the run (launchCommandHere).
 */
export function prepareLaunch(entry: ProfileEntry, raw: Record<string, ParamValue | undefined>, opts: { cpuOnly: boolean; outputDir: string; checkPaths?: boolean }): PreparedLaunch {
  const ctx = templateContext();
  const cwd = resolveCwd(entry.profile, ctx);
  const validated = validateParams(entry.profile, raw, cwd, opts.checkPaths === false ? {} : fsQuestions);
  const command = validated.ok ? buildCommand(entry.profile, validated.values, { ...ctx, outputDir: opts.outputDir, cpuOnly: opts.cpuOnly }) : null;
  return { profile: entry.profile, validated, command };
}
