/**
 * What proves a plan row, and whether a run does. Pure: texts in, a
 * requirement and a judgement out (server/plans.ts finds the brief and the
 * rules file on disk).
 *
 * A row says what proves it in one of three places, the first that has
 * something winning:
 *
 *  1. a `proves` rule in `runproof-proves.json` beside the plans (a profile,
 *     a command, required knobs), for rows named by ID;
 *  2. a command in the row's guidance (`python -m ptycho_torch.train --gridsize 3 …`
 *     in a code span or code block), or flags on their own (`--accelerator auto`);
 *  3. the command in the brief that asks for the row: an `input.md` above the
 *     plan that names the row (the team's "Do Now" briefs: `EB4.A @ plans/…/plan.md`)
 *     and has one training command (its "How-To Map").
 *
 * Pure and free of zod (the pages' client components reach this module
 * through provenance.ts; the rules file's schema is ./proves-config.ts).
 *
 * A run qualifies when it ran the program (and, for a rule, the profile) the
 * row asks for. The knobs are judged by the run's own `knobs` check, which is
 * given the row's command as the requested one (`requestedFor`): a run of the
 * right trainer with `--gridsize 2` where the row asks for 3 qualifies, and
 * fails its knobs check. A run that does not qualify is "linked, does not
 * qualify": it cannot clear a flag or flip the row.
 */
import { formatCommandLine, knobKey, knobsFromArgv, parseCommandLine, shellSplit, type Knobs, type ParsedCommand } from '../lightning/command';
import { namedRows } from './refs';

// --- the program a command runs ----------------------------------------------------------------------------

export interface Program {
  /** `module`: `python -m X`; `script`: an interpreter running a file; `binary`: anything else (a console script). */
  kind: 'module' | 'script' | 'binary';
  /** The module (`ptycho_torch.train`) or the path as written. */
  name: string;
  /** For matching: module or path segments without the extension (`ptycho_torch`, `train`). */
  key: string[];
  /** As a reader would say it: `python -m ptycho_torch.train`, `node …/reference-trainer/train.mjs`. */
  display: string;
}

const INTERPRETER = /^(python[\d.]*|pypy[\d.]*|node|nodejs|bun|deno|ruby|perl|Rscript|julia)$/;
/** Interpreter options that take a value (`python -W ignore`, `node --import x`). */
const OPTION_WITH_VALUE = /^(-W|-X|--import|--require|-r|--loader|--experimental-loader|--conditions|-C)$/;
const RUNNERS = new Set(['uv', 'poetry', 'pipenv', 'pdm', 'hatch', 'rye', 'conda', 'mamba', 'micromamba']);
const LAUNCHERS = new Set(['torchrun', 'srun', 'mpirun', 'mpiexec', 'deepspeed']);
const LAUNCHER_MODULES = new Set(['torch.distributed.run', 'torch.distributed.launch']);
/** Commands in a brief or guidance that are bookkeeping, not training. */
const NOT_TRAINING =
  /^(mkdir|cp|rm|ls|tree|cd|mv|cat|echo|git|pytest|tee|sed|grep|head|tail|find|export|source|pip|pip3|apt|apt-get|make|du|wc|diff|tar|zip|unzip|chmod|ln|touch|nvidia-smi|printf|test|sleep|wait|kill|npx|npm)$/;

function base(p: string): string {
  return p.split('/').pop() ?? p;
}

function keyOf(name: string, kind: Program['kind']): string[] {
  if (kind === 'module') return name.split('.').filter(Boolean);
  const parts = name
    .replace(/^\.\//, '')
    .split('/')
    .filter((s) => s && s !== '.');
  if (parts.length) parts[parts.length - 1] = parts[parts.length - 1].replace(/\.(py|mjs|cjs|js|ts|sh)$/, '');
  return parts.flatMap((p, i) => (i === parts.length - 1 ? p.split('.') : [p]));
}

function shortPath(p: string): string {
  const parts = p.split('/').filter(Boolean);
  return parts.length > 3 ? `…/${parts.slice(-2).join('/')}` : p;
}

/** The program an argv runs, through interpreters, runners (`uv run`) and launchers (`torchrun`); null for `python -c`. */
export function programOf(argv: readonly string[]): Program | null {
  let i = 0;
  let interp: string | null = null;
  while (i < argv.length) {
    const name = base(argv[i]);
    if (RUNNERS.has(name) && argv[i + 1] === 'run') {
      i += 2;
      while (i < argv.length && argv[i].startsWith('-')) i += /^-(n|p)$|^--(name|prefix|with|python)$/.test(argv[i]) ? 2 : 1;
      continue;
    }
    if (LAUNCHERS.has(name) || (name === 'accelerate' && argv[i + 1] === 'launch')) {
      i += name === 'accelerate' ? 2 : 1;
      while (i < argv.length && argv[i].startsWith('-')) i += argv[i].includes('=') || argv[i + 1] === undefined || argv[i + 1].startsWith('-') || /\.py$/.test(argv[i + 1]) ? 1 : 2;
      if (i < argv.length && /\.py$/.test(argv[i])) interp = interp ?? 'python';
      continue;
    }
    if (INTERPRETER.test(name)) {
      interp = name;
      i++;
      while (i < argv.length && argv[i].startsWith('-') && argv[i] !== '-') {
        if (argv[i] === '-c' || argv[i] === '-e' || argv[i] === '--eval') return null;
        if (argv[i] === '-m') {
          const mod = argv[i + 1];
          if (!mod) return null;
          if (LAUNCHER_MODULES.has(mod)) {
            i += 2;
            while (i < argv.length && argv[i].startsWith('-')) i += argv[i].includes('=') || argv[i + 1] === undefined || argv[i + 1].startsWith('-') || /\.py$/.test(argv[i + 1]) ? 1 : 2;
            break;
          }
          return { kind: 'module', name: mod, key: keyOf(mod, 'module'), display: `${name} -m ${mod}` };
        }
        i += OPTION_WITH_VALUE.test(argv[i]) ? 2 : 1;
      }
      const script = argv[i];
      if (script === undefined) return null;
      return { kind: 'script', name: script, key: keyOf(script, 'script'), display: `${name} ${shortPath(script)}` };
    }
    break;
  }
  const bin = argv[i];
  if (bin === undefined) return null;
  if (interp) return { kind: 'script', name: bin, key: keyOf(bin, 'script'), display: `${interp} ${shortPath(bin)}` };
  return { kind: 'binary', name: bin, key: keyOf(bin, 'binary'), display: shortPath(bin) };
}

/**
 * The run's program is the one asked for: the asked-for segments end the
 * run's (`ptycho_torch.train` is `…/PtychoPINN/ptycho_torch/train.py` run as
 * a script, or `python -m ptycho_torch.train`).
 */
export function sameProgram(ran: Program, asked: Program): boolean {
  if (!asked.key.length || asked.key.length > ran.key.length) return false;
  const off = ran.key.length - asked.key.length;
  return asked.key.every((s, k) => s === ran.key[off + k]);
}

// --- commands in text --------------------------------------------------------------------------------------

export interface FoundCommand {
  command: ParsedCommand;
  program: Program;
  /** 0-based line in the text. */
  line: number;
}

/** Code spans and code-block lines of markdown text, each with its 0-based line. */
function codeBits(text: string): Array<{ code: string; line: number; block: boolean }> {
  const out: Array<{ code: string; line: number; block: boolean }> = [];
  const lines = text.split(/\r?\n/);
  let fence: string | null = null;
  for (let n = 0; n < lines.length; n++) {
    const l = lines[n];
    const f = /^\s*(`{3,}|~{3,})/.exec(l);
    if (f) {
      if (fence === null) fence = f[1];
      else if (f[1].startsWith(fence)) fence = null;
      continue;
    }
    if (fence !== null) {
      let body = l.replace(/^\s*\$\s+/, '').trim();
      // Continuation lines belong to the command they continue.
      let end = n;
      while (/\\$/.test(body) && end + 1 < lines.length) body = `${body.slice(0, -1)} ${lines[++end].trim()}`;
      if (body) out.push({ code: body, line: n, block: true });
      n = end;
      continue;
    }
    for (const m of l.matchAll(/(`+)([^`]+?)\1(?!`)/g)) out.push({ code: m[2].trim(), line: n, block: false });
  }
  return out;
}

/** A training command in one piece of code: a program with flags (or `python -m X`), not bookkeeping. */
function trainingCommand(code: string): { command: ParsedCommand; program: Program } | null {
  // A plan cell escapes the pipe of `… | tee log` as `\|`; the command ends there either way.
  const command = parseCommandLine(code.replace(/\\\|/g, '|'));
  if (!command) return null;
  const first = base(command.argv[0]);
  if (NOT_TRAINING.test(first) || first.startsWith('-')) return null;
  const program = programOf(command.argv);
  if (!program) return null;
  const hasFlags = Object.keys(command.knobs).length > 0;
  if (!hasFlags && program.kind !== 'module') return null;
  if (program.kind === 'binary' && !/[/._]/.test(program.name)) return null;
  return { command, program };
}

/** Training commands in markdown text (code spans and code blocks), in order. */
export function commandsIn(text: string): FoundCommand[] {
  const out: FoundCommand[] = [];
  for (const bit of codeBits(text)) {
    const found = trainingCommand(bit.code);
    if (found) out.push({ ...found, line: bit.line });
  }
  return out;
}

/**
 * Flags with values written on their own in code spans (`--accelerator auto`,
 * `--checkpoint-save-top-k 2`). A bare flag (`Add \`--scheduler\``) names a
 * feature, not a setting, and is not a knob the row asks for.
 */
export function flagsIn(text: string): Knobs {
  const knobs: Knobs = {};
  for (const bit of codeBits(text)) {
    if (!/^--[A-Za-z]/.test(bit.code)) continue;
    for (const [k, v] of Object.entries(knobsFromArgv(shellSplit(bit.code)))) if (typeof v === 'string') knobs[k] = v;
  }
  return knobs;
}

// --- the requirement -----------------------------------------------------------------------------------------

export interface Where {
  /** Display path of the file (`plans/…/plan.md`, `input.md`, `plans/runproof-proves.json`). */
  file: string;
  /** 1-based line, when known. */
  line: number | null;
}

export function whereText(w: Where): string {
  return w.line ? `${w.file}:${w.line}` : w.file;
}

export type RequirementSource = 'rule' | 'guidance' | 'brief';

export interface RowRequirement {
  source: RequirementSource;
  from: Where;
  /** The command as written (guidance, brief, or a rule's `command`), for display and for the knobs check. */
  command: string | null;
  program: Program | null;
  /** A rule's profiles: the run must be launched with one of them. */
  profiles: string[] | null;
  /** Knobs the row asks for (the command's, without output locations; a rule's `knobs`; guidance flags). */
  knobs: Knobs;
}

/** Knobs that name where output goes: they differ between any two runs and prove nothing. */
const LOCATION_KNOB = /^(output|out|log|logs|save|ckpt|checkpoint|default-root|work|results?|run)-?(dir|path|root|folder)$/;

export function withoutLocations(knobs: Knobs): Knobs {
  return Object.fromEntries(Object.entries(knobs).filter(([k]) => !LOCATION_KNOB.test(knobKey(k))));
}

/** What a row's guidance asks for: its first training command, else its flags; null when it asks for neither. */
export function requirementFromGuidance(guidance: string, from: Where): RowRequirement | null {
  const cmd = commandsIn(guidance)[0];
  if (cmd) return { source: 'guidance', from, command: cmd.command.text, program: cmd.program, profiles: null, knobs: withoutLocations(cmd.command.knobs) };
  const knobs = withoutLocations(flagsIn(guidance));
  return Object.keys(knobs).length ? { source: 'guidance', from, command: null, program: null, profiles: null, knobs } : null;
}

/**
 * Does a brief ask for this row: it names the row, and either names no plan
 * file at all or names this one (`EB4.A @ plans/…/plan.md`).
 */
export function briefNamesRow(brief: string, rowId: string, planRowIds: Iterable<string>, planDisplay: string): boolean {
  if (!namedRows(brief, planRowIds).found.includes(rowId)) return false;
  const plansNamed = brief.match(/(?:^|[\s@(`'"])((?:[\w.-]+\/)*plans\/[^\s`'"()]*?\.md)\b/g);
  if (!plansNamed) return true;
  return plansNamed.some((m) => planDisplay.endsWith(m.replace(/^[\s@(`'"]/, '')) || m.replace(/^[\s@(`'"]/, '').endsWith(planDisplay));
}

/** What a brief asks for: its first training command. `file` is the brief's display path. */
export function requirementFromBrief(brief: string, file: string): RowRequirement | null {
  const cmd = commandsIn(brief)[0];
  if (!cmd) return null;
  return { source: 'brief', from: { file, line: cmd.line + 1 }, command: cmd.command.text, program: cmd.program, profiles: null, knobs: withoutLocations(cmd.command.knobs) };
}

// --- rules (runproof-proves.json is read by ./proves-config.ts, which holds the zod schema) ----------------------

/** A `proves` rule of runproof-proves.json, checked (./proves-config.ts). */
export interface ProvesRule {
  rows: string[];
  plan: string | null;
  profiles: string[] | null;
  command: string | null;
  program: Program | null;
  knobs: Knobs;
  from: Where;
}

/** The rule for a row: the last rule naming it (and its plan, when the rule names one) wins. */
export function ruleFor(rules: ProvesRule[], planDisplay: string, rowId: string): ProvesRule | null {
  let found: ProvesRule | null = null;
  for (const r of rules) {
    if (!r.rows.includes(rowId)) continue;
    if (r.plan && !(planDisplay === r.plan || planDisplay.endsWith(`/${r.plan.replace(/^\.?\//, '')}`) || r.plan.endsWith(planDisplay))) continue;
    found = r;
  }
  return found;
}

export function requirementFromRule(rule: ProvesRule): RowRequirement {
  return { source: 'rule', from: rule.from, command: rule.command, program: rule.program, profiles: rule.profiles, knobs: rule.knobs };
}

/** The row's requirement: its rule, else its guidance, else the brief that asks for it. */
export function rowRequirement(sources: { rule?: ProvesRule | null; guidance?: RowRequirement | null; brief?: RowRequirement | null }): RowRequirement | null {
  if (sources.rule) return requirementFromRule(sources.rule);
  const g = sources.guidance ?? null;
  const b = sources.brief ?? null;
  // Guidance with flags but no command takes the brief's program, its own flags winning.
  if (g && !g.program && b?.program) return { ...b, knobs: { ...b.knobs, ...g.knobs } };
  return g ?? b;
}

// --- a run against a requirement -----------------------------------------------------------------------------

/** What a run is, for qualifying it: its profile (launched runs) and the argv it ran. */
export interface RunIdentity {
  profile: string | null;
  argv: readonly string[] | null;
}

export interface Qualification {
  qualifies: boolean;
  /** Why not, as a sentence; null when it qualifies. */
  why: string | null;
}

/** `ptycho-torch` profile, `python -m ptycho_torch.train`: how a run is named in a reason. */
export function runIdentityText(run: RunIdentity): string {
  const prog = run.argv ? programOf(run.argv) : null;
  return [prog ? prog.display : null, run.profile ? `profile ${run.profile}` : null].filter(Boolean).join(', ') || 'a command the evidence does not record';
}

export function requirementText(req: RowRequirement): string {
  const what = [req.profiles ? `profile ${req.profiles.join(' or ')}` : null, req.program ? req.program.display : null].filter(Boolean).join(', ');
  return `${what || 'its knobs'} (${whereText(req.from)})`;
}

/** Does the run prove the row as far as what it ran goes (program, profile)? Knobs are the knobs check's. */
export function qualify(run: RunIdentity, req: RowRequirement | null): Qualification {
  if (!req) return { qualifies: true, why: null };
  const wrong: string[] = [];
  if (req.profiles && !(run.profile && req.profiles.includes(run.profile))) wrong.push('profile');
  if (req.program) {
    const prog = run.argv ? programOf(run.argv) : null;
    if (!prog || !sameProgram(prog, req.program)) wrong.push('program');
  }
  if (!wrong.length) return { qualifies: true, why: null };
  return { qualifies: false, why: `ran ${runIdentityText(run)}; the row asks for ${requirementText(req)}` };
}

/**
 * The command to hand the analysis as the requested one for a run that
 * qualifies for the row, so its `knobs` check compares the run with what the
 * row asks for; null when the row asks for no knobs or the run does not
 * qualify (it is then judged against its own launch request).
 */
export function requestedFor(rowId: string, req: RowRequirement | null, run: RunIdentity): { text: string; source: string } | null {
  if (!req || !run.argv || !Object.keys(req.knobs).length || !qualify(run, req).qualifies) return null;
  const prog = programOf(run.argv);
  // The run's own program words, then the row's knobs: only knobs are compared.
  const head = prog ? run.argv.slice(0, Math.max(1, run.argv.indexOf(prog.name) + 1)) : run.argv.slice(0, 1);
  const flags = Object.entries(req.knobs).flatMap(([k, v]) => (v === true ? [`--${k}`] : v === false ? [] : [`--${k}`, String(v)]));
  return { text: formatCommandLine([...head, ...flags]), source: `${rowId} (${req.source} ${whereText(req.from)})` };
}
