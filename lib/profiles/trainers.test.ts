/**
 * The launch form is the trainer's truth: for each bundled trainer, every knob
 * its profile offers is checked against what the trainer itself accepts, by
 * running the trainer (real child processes). Each probe puts knob values
 * before `--help`: an argument parser converts and range-checks them in
 * order, so exit 0 means accepted and exit 2 with `error: argument --flag: …`
 * means refused, and nothing ever trains.
 *
 * - int knobs: min and max accepted, min−1 and max+1 refused, 1.5 refused;
 * - number knobs: min, max and a fraction between accepted, just outside refused;
 * - enum knobs: exactly the trainer's choices (from its `--help`), each accepted;
 * - bool knobs: the flag and its `--no-` form accepted;
 * - the profile's defaults accepted together;
 * - every flag of the trainer is a knob of the profile or named here as not offered.
 *
 * A profile that drifts from its trainer (the form allowing --batch_size 65536
 * where the trainer stops at 4096) fails here, not in a user's launch.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES } from './builtin';
import type { ParamSpec, Profile } from './schema';
import { defaultPython } from '../../server/python';

const ROOT = path.resolve(__dirname, '../..');

interface Trainer {
  profile: string;
  command: string[];
  /** Trainer flags the form does not offer, and why. */
  notOffered: Record<string, string>;
}

const TRAINERS: Trainer[] = [
  {
    profile: 'reference',
    command: [process.execPath, path.join(ROOT, 'workers/reference-trainer/train.mjs')],
    notOffered: { '--output_dir': 'set by Runproof', '--train_data_file': 'synthetic data here', '--test_data_file': 'synthetic data here', '--device': 'deprecated (--accelerator)' },
  },
  {
    profile: 'lightning-example',
    command: [defaultPython(), path.join(ROOT, 'workers/lightning-example/train.py')],
    notOffered: { '--output_dir': 'set by Runproof', '--device': 'deprecated (--accelerator)' },
  },
];

interface Outcome {
  status: number | null;
  out: string;
  /** The trainer's `error:` line, when it refused. */
  error: string | null;
}

function run(cmd: string[], args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], [...cmd.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      const error = out.split('\n').find((l) => /^\S+: error: /.test(l)) ?? null;
      resolve({ status, out, error });
    });
  });
}

/** Runs probes four at a time (two cores, two trainers). */
async function all<T>(jobs: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]();
      }
    }),
  );
  return results;
}

const flagOf = (p: ParamSpec) => p.flag ?? `--${p.name}`;
/** A number as a command line gives it (no exponent for the values here; `String` keeps integers integral). */
const text = (n: number) => (Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12))));

/** The trainer's flags, from its `--help`: each with its choices (`{a,b}`) and whether it has a `--no-` form. */
function helpFlags(help: string): Map<string, { choices: string[] | null; negatable: boolean }> {
  const flags = new Map<string, { choices: string[] | null; negatable: boolean }>();
  for (const m of help.matchAll(/(?<![\w-])(--[A-Za-z][\w-]*)(?: \{([^}]*)\})?/g)) {
    const [, flag, choices] = m;
    if (flag === '--help') continue;
    const neg = /^--no-(.+)$/.exec(flag);
    if (neg) {
      const base = flags.get(`--${neg[1]}`) ?? { choices: null, negatable: false };
      flags.set(`--${neg[1]}`, { ...base, negatable: true });
      continue;
    }
    const seen = flags.get(flag);
    flags.set(flag, { choices: choices ? choices.split(',') : (seen?.choices ?? null), negatable: seen?.negatable ?? false });
  }
  return flags;
}

interface Probe {
  knob: string;
  args: string[];
  expect: 'accept' | 'refuse';
  why: string;
}

/** What to try for one knob. */
function probesFor(p: ParamSpec): Probe[] {
  const flag = flagOf(p);
  const at = (v: string, expect: Probe['expect'], why: string): Probe => ({ knob: p.name, args: [`${flag}=${v}`], expect, why });
  switch (p.type) {
    case 'int': {
      const { min, max } = p;
      if (min === undefined || max === undefined) return [];
      return [
        at(text(min), 'accept', 'its min'),
        at(text(max), 'accept', 'its max'),
        at(text(min - 1), 'refuse', 'below its min'),
        at(text(max + 1), 'refuse', 'above its max'),
        at('1.5', 'refuse', 'not a whole number'),
      ];
    }
    case 'number': {
      const { min, max } = p;
      if (min === undefined || max === undefined) return [];
      const eps = (x: number) => Math.max(Math.abs(x) * 1e-6, 1e-6);
      const mid = min + (max - min) / 3;
      return [
        at(text(min), p.exclusiveMin ? 'refuse' : 'accept', p.exclusiveMin ? 'its exclusive min' : 'its min'),
        at(text(max), 'accept', 'its max'),
        at(text(mid), 'accept', 'a fraction in range'),
        at(text(min - eps(min)), 'refuse', 'just below its min'),
        at(text(max + eps(max)), 'refuse', 'just above its max'),
      ];
    }
    case 'enum':
      return [...p.values.map((v) => at(v, 'accept', `choice ${v}`)), at('no-such-choice', 'refuse', 'not a choice')];
    case 'bool':
      return [{ knob: p.name, args: [flag], expect: 'accept', why: 'the flag' }, ...(p.falseFlag ? [{ knob: p.name, args: [p.falseFlag], expect: 'accept' as const, why: 'its false flag' }] : [])];
    default:
      return [];
  }
}

function profile(name: string): Profile {
  const p = BUILTIN_PROFILES.find((x) => x.name === name);
  if (!p) throw new Error(`no built-in profile ${name}`);
  return p;
}

describe.each(TRAINERS)('the $profile profile against its trainer', (t) => {
  it("offers exactly what the trainer accepts, knob by knob (ranges, choices, types), and the trainer's every flag is a knob or named as not offered", async () => {
    const prof = profile(t.profile);
    const help = await run(t.command, ['--help']);
    expect(help.status, help.out).toBe(0);
    const flags = helpFlags(help.out);
    const problems: string[] = [];

    // Every trainer flag: a knob, or not offered on purpose.
    const knobFlags = new Set(prof.params.map(flagOf));
    for (const f of flags.keys()) if (!knobFlags.has(f) && !(f in t.notOffered)) problems.push(`${f}: the trainer takes it, the profile neither offers it nor says why not`);

    const probes: Probe[] = [];
    for (const p of prof.params) {
      const flag = flagOf(p);
      const tf = flags.get(flag);
      if (!tf) {
        problems.push(`${p.name}: the trainer has no ${flag}`);
        continue;
      }
      if ((p.type === 'int' || p.type === 'number') && (p.min === undefined || p.max === undefined))
        problems.push(`${p.name}: the profile gives no ${p.min === undefined ? 'min' : 'max'}; the trainer has limits, the form must say them`);
      if (p.type === 'enum') {
        if (!tf.choices) problems.push(`${p.name}: an enum on the form, free text for the trainer`);
        else if ([...tf.choices].sort().join(',') !== [...p.values].sort().join(',')) problems.push(`${p.name}: the form offers {${p.values.join(',')}}, the trainer takes {${tf.choices.join(',')}}`);
      } else if (tf.choices) problems.push(`${p.name}: the trainer takes only {${tf.choices.join(',')}}, the form a ${p.type}`);
      if (p.type === 'bool' && p.falseFlag && !tf.negatable) problems.push(`${p.name}: the form can pass ${p.falseFlag}, the trainer has no such flag`);
      probes.push(...probesFor(p));
    }
    // The defaults, all at once: what a launch with an untouched form passes.
    const defaults = prof.params.flatMap((p) => (p.default === undefined ? [] : p.type === 'bool' ? (p.default ? [flagOf(p)] : p.falseFlag ? [p.falseFlag] : []) : [`${flagOf(p)}=${p.default}`]));
    probes.push({ knob: '(defaults)', args: defaults, expect: 'accept', why: "the profile's defaults" });

    const outcomes = await all(probes.map((pr) => () => run(t.command, [...pr.args, '--help'])));
    probes.forEach((pr, i) => {
      const o = outcomes[i];
      const shown = `${pr.args.join(' ')} (${pr.why})`;
      if (pr.expect === 'accept' && o.status !== 0) problems.push(`${pr.knob}: the form allows ${shown}, the trainer refuses it: ${o.error ?? `exit ${o.status}`}`);
      if (pr.expect === 'refuse') {
        if (o.status === 0) problems.push(`${pr.knob}: the form refuses ${shown}, the trainer accepts it`);
        else if (o.status !== 2 || !o.error?.includes(`argument ${pr.args[0].split('=')[0]}`))
          problems.push(`${pr.knob}: ${shown} refused, but not by argparse on that flag: ${o.error ?? o.out.slice(-300)}`);
      }
    });
    expect(problems).toEqual([]);
    expect(probes.length).toBeGreaterThan(prof.params.length * 2);
  }, 120_000);
});

describe('the probe itself', () => {
  it('catches a drifted knob: a form allowing --batch_size 65536 against the reference trainer', async () => {
    const [ref] = TRAINERS;
    const drifted: ParamSpec = { name: 'batch_size', type: 'int', min: 1, max: 65_536, optional: false };
    const probes = probesFor(drifted);
    const outcomes = await all(probes.map((pr) => () => run(ref.command, [...pr.args, '--help'])));
    const max = probes.findIndex((p) => p.why === 'its max');
    expect(outcomes[max].status).toBe(2);
    expect(outcomes[max].error).toBe('train.mjs: error: argument --batch_size: 65536 is not in range 1..4096');
  });
});
