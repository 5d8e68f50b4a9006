/**
 * `npm run conformance`: Runproof's analysis against real Lightning's own end state.
 *
 * For every case of the corpus (fixtures/conformance, written by
 * conformance/generate.py with real Lightning) the bundle is read the way the
 * importer reads it (server/bundles.ts readBundle) and analysed
 * (lib/evidence/analyse.ts), and what the evidence says is compared with
 * truth.json:
 *
 * - facts: the checkpoints the replay expects vs the files Lightning left, the
 *   files read from the listing, the last epoch trained, how the run ended,
 *   succeeded/failed, where EarlyStopping stopped, the best monitored value,
 *   the monitored metric and its mode;
 * - false fails: a check that says `fail` on a healthy run (Lightning ended it
 *   normally: max_epochs, max_steps or early stopping);
 * - missed: a tampered copy (or a run that really crashed) whose named check
 *   does not say `fail`.
 *
 * Each by class (the issue's ten classes; a case is in every class it
 * exercises). Exit 0 only at 100 % / 0 / 0.
 *
 *   npm run conformance                        # the committed corpus
 *   npm run conformance -- --fresh [--n 330] [--seed S] [--jobs 2] [--keep]   # a fresh seeded sample, real Lightning (setup:lightning); --keep leaves its folder
 *   npm run conformance -- --verbose           # every disagreement, case by case
 *   npm run conformance -- --json out.json     # everything, for tools
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyseBundle } from '../lib/evidence/analyse';
import type { Evidence } from '../lib/evidence/types';
import { readBundle } from '../server/bundles';
import { defaultPython } from '../server/python';
import { compareCase, summarise, type CaseResult, type Truth } from './compare';

const ROOT = path.resolve(__dirname, '..');

interface Args {
  dir: string;
  fresh: boolean;
  keep: boolean;
  n: number;
  seed: number | null;
  jobs: number;
  verbose: boolean;
  json: string | null;
  only: string | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { dir: path.join(ROOT, 'fixtures', 'conformance'), fresh: false, keep: false, n: 330, seed: null, jobs: Math.min(2, os.cpus().length), verbose: false, json: null, only: null };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    const next = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${v} needs a value`);
      return x;
    };
    if (v === '--dir') a.dir = path.resolve(next());
    else if (v === '--fresh') a.fresh = true;
    else if (v === '--keep') a.keep = true;
    else if (v === '--n') a.n = Number(next());
    else if (v === '--seed') a.seed = Number(next());
    else if (v === '--jobs') a.jobs = Number(next());
    else if (v === '--verbose' || v === '-v') a.verbose = true;
    else if (v === '--json') a.json = next();
    else if (v === '--case') a.only = next();
    else if (v === '--help' || v === '-h') {
      console.log('usage: npm run conformance -- [--dir DIR] [--fresh [--n N] [--seed S] [--jobs J] [--keep]] [--case ID] [--verbose] [--json FILE]');
      process.exit(0);
    } else throw new Error(`unknown argument ${v}`);
  }
  if (!Number.isInteger(a.n) || a.n < 1) throw new Error('--n must be a positive integer');
  return a;
}

/** Regenerate a seeded sample into a temp folder with real Lightning (the setup:lightning venv). */
function generateFresh(args: Args): string {
  const python = defaultPython();
  const seed = args.seed ?? Math.floor(Date.now() / 1000) % 1_000_000_007;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-conformance-'));
  console.log(`conformance: generating ${args.n} fresh configurations with seed ${seed} (${python}, ${args.jobs} jobs) into ${out}`);
  const t0 = Date.now();
  const r = spawnSync(
    python,
    [
      path.join(ROOT, 'conformance', 'generate.py'),
      '--out',
      out,
      '--seed',
      String(seed),
      '--n',
      String(args.n),
      '--jobs',
      String(args.jobs),
      '--tamper-per-kind',
      String(Math.max(3, Math.round(args.n / 25))),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  if (r.error) throw new Error(`${python}: ${r.error.message} (run \`npm run setup:lightning\` first)`);
  const lastLine = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  if (r.status !== 0) throw new Error(`generate.py exited with ${r.status}: ${lastLine}\n(run \`npm run setup:lightning\` if torch or lightning is missing)`);
  console.log(`conformance: ${lastLine} (${((Date.now() - t0) / 1000).toFixed(1)} s with start-up)`);
  return out;
}

function analyseCase(dir: string): Evidence {
  const read = readBundle(dir);
  // truth.json is the answer key, never evidence.
  const files = read.files.filter((f) => f.path !== 'truth.json');
  return analyseBundle(files, { root: dir });
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  const dir = args.fresh ? generateFresh(args) : args.dir;
  const casesDir = path.join(dir, 'cases');
  if (!fs.existsSync(casesDir)) {
    console.error(`conformance: no corpus at ${casesDir} (generate one: python conformance/generate.py --out ${dir})`);
    return 2;
  }
  const t0 = Date.now();
  const results: CaseResult[] = [];
  for (const id of fs.readdirSync(casesDir).sort()) {
    if (args.only && id !== args.only && !id.startsWith(`${args.only}~`)) continue;
    const caseDir = path.join(casesDir, id);
    const truthPath = path.join(caseDir, 'truth.json');
    if (!fs.existsSync(truthPath)) continue;
    const truth = JSON.parse(fs.readFileSync(truthPath, 'utf8')) as Truth;
    let evidence: Evidence | null = null;
    let crash: string | null = null;
    try {
      evidence = analyseCase(caseDir);
    } catch (e) {
      crash = (e as Error).stack ?? String(e);
    }
    results.push(compareCase(truth, evidence, crash));
  }
  const s = summarise(results);
  const ms = Date.now() - t0;
  const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)} %` : '—');

  if (args.verbose) {
    for (const r of results) {
      const bad = r.facts.filter((f) => f.verdict !== 'agree');
      if (!bad.length && !r.falseFails.length && !r.missed.length && !r.crash) continue;
      console.log(`\n${r.id}  [classes ${r.classes.join(',') || '-'}]`);
      if (r.crash) console.log(`  analysis threw: ${r.crash.split('\n')[0]}`);
      for (const f of bad) console.log(`  ${f.verdict === 'wrong' ? 'WRONG   ' : 'UNSTATED'} ${f.fact}: Lightning ${f.truth}; Runproof ${f.said}`);
      for (const c of r.falseFails) console.log(`  FALSE FAIL ${c.id}: ${c.detail}`);
      for (const m of r.missed) console.log(`  MISSED ${m}`);
    }
    console.log('');
  }

  const w = (t: string, n: number) => t.padEnd(n);
  const rw = (t: string, n: number) => t.padStart(n);
  console.log(`conformance: ${s.cases} cases (${s.configurations} real Lightning configurations, ${s.tampered} tampered copies) from ${dir}; analysed in ${(ms / 1000).toFixed(1)} s`);
  console.log('');
  console.log(`${w('class', 62)}${rw('cases', 6)}${rw('facts agreeing / checked', 32)}${rw('unstated', 10)}${rw('false fails (runs)', 20)}${rw('missed', 10)}`);
  for (const row of [...s.byClass, s.all]) {
    const f = `${row.agree} / ${row.checked} (${pct(row.agree, row.checked)})`;
    console.log(
      `${w(row.label, 62)}${rw(String(row.cases), 6)}${rw(f, 32)}${rw(String(row.unstated), 10)}${rw(`${row.falseFails} (${row.falseFailRuns}/${row.healthyRuns})`, 20)}${rw(`${row.missed}/${row.mustFail}`, 10)}`,
    );
  }
  console.log('');
  console.log('by fact:');
  for (const [fact, v] of Object.entries(s.byFact)) console.log(`  ${w(fact, 22)} ${rw(`${v.agree} / ${v.checked}`, 12)} (${pct(v.agree, v.checked)})  wrong ${v.wrong}, unstated ${v.unstated}`);
  console.log('false fails on healthy runs, by check:');
  for (const [id, n] of Object.entries(s.falseFailsByCheck)) console.log(`  ${w(id, 22)} ${n}`);
  console.log('missed, by kind:');
  for (const [kind, v] of Object.entries(s.missedByKind)) console.log(`  ${w(kind, 22)} ${v.missed} of ${v.total}`);
  if (s.crashes) console.log(`analysis threw on ${s.crashes} case(s)`);
  console.log('');
  const ok = s.all.agree === s.all.checked && s.all.falseFails === 0 && s.all.missed === 0 && s.crashes === 0;
  console.log(
    `facts agreeing: ${s.all.agree} / ${s.all.checked} (${pct(s.all.agree, s.all.checked)}); false fails on healthy runs: ${s.all.falseFails}; tamperings and failures missed: ${s.all.missed} — ${ok ? 'conforms' : 'does not conform (goal: 100 %, 0, 0)'}`,
  );
  if (args.json) fs.writeFileSync(args.json, JSON.stringify({ dir, summary: s, results }, null, 1) + '\n');
  if (args.fresh && !args.keep) fs.rmSync(dir, { recursive: true, force: true });
  else if (args.fresh) console.log(`conformance: the fresh sample is kept in ${dir} (copy a case into fixtures/conformance-fresh/cases/s<seed>-<id> to hold it in the tests)`);
  return ok ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(`conformance: ${(e as Error).message}`);
  process.exitCode = 2;
}
