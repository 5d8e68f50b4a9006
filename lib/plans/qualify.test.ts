import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlan } from './parse';
import { briefNamesRow, commandsIn, programOf, qualify, requestedFor, requirementFromBrief, requirementFromGuidance, rowRequirement, ruleFor, sameProgram } from './qualify';
import { jsonOffset, parseProvesConfig } from './proves-config';
import { PTYCHO } from '../../fixtures/test-helpers';

const REFERENCE_ARGV = ['/usr/local/bin/node', '/work/main/workers/reference-trainer/train.mjs', '--max-epochs', '3', '--gridsize', '3', '--output_dir', '/tmp/out'];
const PTYCHO_ARGV = ['python', '-m', 'ptycho_torch.train', '--train_data_file', 'a.npz', '--output_dir', '/tmp/o', '--gridsize', '2', '--max_epochs', '6'];

describe('programOf', () => {
  it.each([
    [PTYCHO_ARGV, 'module', 'python -m ptycho_torch.train'],
    [REFERENCE_ARGV, 'script', 'node …/reference-trainer/train.mjs'],
    [['python3', '-u', '-W', 'ignore', 'workers/lightning-example/train.py', '--x', '1'], 'script', 'python3 workers/lightning-example/train.py'],
    [['uv', 'run', '--with', 'torch', 'python', '-m', 'pkg.train'], 'module', 'python -m pkg.train'],
    [['torchrun', '--nproc_per_node', '2', 'ptycho_torch/train.py', '--gridsize', '3'], 'script', 'python ptycho_torch/train.py'],
    [['python', '-m', 'torch.distributed.run', '--nproc_per_node=2', 'train.py'], 'script', 'python train.py'],
    [['ptycho_train', '--gridsize', '3'], 'binary', 'ptycho_train'],
  ] as const)('%j → %s %s', (argv, kind, display) => expect(programOf(argv)).toMatchObject({ kind, display }));

  it('python -c runs no program file', () => expect(programOf(['python', '-c', 'print(1)'])).toBeNull());

  it('a module and the same file run as a script are one program; the reference trainer is not ptycho_torch.train', () => {
    const asked = programOf(['python', '-m', 'ptycho_torch.train'])!;
    expect(sameProgram(programOf(['python', '/home/u/PtychoPINN/ptycho_torch/train.py'])!, asked)).toBe(true);
    expect(sameProgram(programOf(PTYCHO_ARGV)!, asked)).toBe(true);
    expect(sameProgram(programOf(REFERENCE_ARGV)!, asked)).toBe(false);
    expect(sameProgram(programOf(['python', '-m', 'other.train'])!, asked)).toBe(false);
  });
});

describe('commands in guidance and briefs', () => {
  it('finds the training command in the team’s real brief (its How-To Map), not the bookkeeping around it', () => {
    const brief = fs.readFileSync('/work/shared/fixtures/ptychopinn/input.md', 'utf8');
    const found = commandsIn(brief);
    expect(found).toHaveLength(1);
    expect(found[0].program.display).toBe('python -m ptycho_torch.train');
    expect(found[0].command.knobs).toMatchObject({ gridsize: '3', 'checkpoint-save-top-k': '2' });
    const req = requirementFromBrief(brief, 'input.md')!;
    expect(req.from).toEqual({ file: 'input.md', line: brief.split('\n').findIndex((l) => l.includes('python -m ptycho_torch.train')) + 1 });
    // Where the output goes proves nothing: it is not a knob the run must match.
    expect(req.knobs).not.toHaveProperty('output_dir');
    expect(req.knobs).toMatchObject({ gridsize: '3', n_images: '64', accelerator: 'auto' });
  });

  it('reads a command written in a plan row’s guidance (escaped pipe and all), and flags on their own', () => {
    const row =
      '| D1 | Run training CLI | [ ] | Capture one run:<br>• Command: `CUDA_VISIBLE_DEVICES=\\"\\" /usr/bin/time -p python -m ptycho_torch.train --n_images 64 --gridsize 2 --output_dir tmp/x \\| tee smoke/log`.<br>• After run: `cp tmp/x/metrics.csv smoke/` |';
    const plan = parsePlan(`| ID | Task | State | Guidance |\n| --- | --- | --- | --- |\n${row}\n`, 'plan.md');
    const req = requirementFromGuidance(plan.rows[0].guidance, { file: 'plan.md', line: 3 })!;
    expect(req).toMatchObject({ source: 'guidance', program: { display: 'python -m ptycho_torch.train' }, knobs: { n_images: '64', gridsize: '2' } });
    expect(req.command).toMatch(/^CUDA_VISIBLE_DEVICES=/);
    const flags = requirementFromGuidance('Run the training CLI with `--accelerator auto`, `--checkpoint-save-top-k 2`; store logs.', { file: 'plan.md', line: 46 })!;
    expect(flags).toMatchObject({ program: null, knobs: { accelerator: 'auto', 'checkpoint-save-top-k': '2' } });
    // A file named in passing is not a command to run; flags named as features to add are not settings.
    expect(requirementFromGuidance('`ptycho_torch/train.py` now exposes all checkpoint flags.', { file: 'plan.md', line: 28 })).toBeNull();
    expect(requirementFromGuidance('Add `--scheduler` and `--accumulate-grad-batches`.', { file: 'plan.md', line: 27 })).toBeNull();
  });

  it('a brief asks for the rows it names in the plan it names', () => {
    const brief = fs.readFileSync(path.join(PTYCHO, 'input.md'), 'utf8');
    const plan = 'plans/active/ADR-003-BACKEND-API/reports/2025-10-20T153300Z/phase_e_execution_knobs/plan.md';
    const ids = ['EB1.A', 'EB4.A', 'EB4.B'];
    expect(briefNamesRow(brief, 'EB4.A', ids, plan)).toBe(true);
    expect(briefNamesRow(brief, 'EB1.A', ids, plan)).toBe(false);
    expect(briefNamesRow(brief, 'EB4.A', ids, 'plans/active/OTHER/plan.md')).toBe(false);
    expect(briefNamesRow('Do Now: EB4.A — run it.', 'EB4.A', ids, 'plans/x.md')).toBe(true);
  });
});

describe('runproof-proves.json', () => {
  const FILE = 'plans/runproof-proves.json';
  it('good rules count; each bad one is a problem with its line, and the rest still count', () => {
    const text = `{
  "proves": [
    { "rows": ["EB4.A"], "profile": "ptycho-torch", "command": "python -m ptycho_torch.train --gridsize 3 --output_dir x" },
    { "rows": ["R1", "R2"], "profile": ["reference"], "knobs": { "max-epochs": 3, "--deterministic": true } },
    { "rows": [], "profile": "reference" },
    { "rows": ["R3"] },
    { "rows": ["R4"], "profile": "reference", "knobz": {} }
  ]
}
`;
    const { rules, problems } = parseProvesConfig(text, FILE);
    expect(rules.map((r) => r.rows)).toEqual([['EB4.A'], ['R1', 'R2']]);
    expect(rules[0]).toMatchObject({ profiles: ['ptycho-torch'], program: { display: 'python -m ptycho_torch.train' }, knobs: { gridsize: '3' }, from: { file: FILE, line: 3 } });
    expect(rules[1].knobs).toEqual({ 'max-epochs': '3', deterministic: true });
    expect(problems).toEqual([
      { file: FILE, line: 5, message: 'proves.2.rows: name at least one row; this rule is ignored' },
      { file: FILE, line: 6, message: 'proves.3: a rule needs a profile, a command, or both; this rule is ignored' },
      { file: FILE, line: 7, message: expect.stringMatching(/^proves\.4: .*knobz.*; this rule is ignored$/) },
    ]);
  });

  it('broken JSON is one problem at its line; a wrong top level says what is expected', () => {
    expect(parseProvesConfig('{\n  "proves": [\n    { "rows": ["A"] "profile": "x" }\n  ]\n}\n', FILE).problems).toEqual([
      { file: FILE, line: 3, message: expect.stringMatching(/^not valid JSON: /) },
    ]);
    expect(parseProvesConfig('[1]', FILE).problems).toEqual([{ file: FILE, line: 1, message: expect.stringMatching(/expected \{"proves": \[ … \]\}\)$/) }]);
  });

  it('jsonOffset finds a nested value, or the nearest ancestor it has', () => {
    const t = '{"a": [1, {"b": {"c": 2}}], "d": "x"}';
    expect(t.slice(jsonOffset(t, ['a', 1, 'b', 'c']))).toMatch(/^2/);
    expect(t.slice(jsonOffset(t, ['d']))).toMatch(/^"x"/);
    expect(t.slice(jsonOffset(t, ['a', 5]))).toMatch(/^\[1/);
  });

  it('the last rule naming a row (in its plan, when it names one) wins', () => {
    const { rules } = parseProvesConfig(
      JSON.stringify({
        proves: [
          { rows: ['A'], profile: 'one' },
          { rows: ['A'], plan: 'plans/x/plan.md', profile: 'two' },
        ],
      }),
      FILE,
    );
    expect(ruleFor(rules, 'plans/x/plan.md', 'A')?.profiles).toEqual(['two']);
    expect(ruleFor(rules, 'plans/y/plan.md', 'A')?.profiles).toEqual(['one']);
    expect(ruleFor(rules, 'plans/y/plan.md', 'B')).toBeNull();
  });
});

describe('qualifying a run for a row', () => {
  const brief = requirementFromBrief('- `python -m ptycho_torch.train --gridsize 3 --max_epochs 6 --output_dir tmp/s`', 'input.md')!;

  it('the demo profile never qualifies for a row that names another command, and says why', () => {
    const q = qualify({ profile: 'reference', argv: REFERENCE_ARGV }, brief);
    expect(q).toEqual({ qualifies: false, why: 'ran node …/reference-trainer/train.mjs, profile reference; the row asks for python -m ptycho_torch.train (input.md:1)' });
    expect(requestedFor('EB4.A', brief, { profile: 'reference', argv: REFERENCE_ARGV })).toBeNull();
  });

  it('the right trainer qualifies, and its knobs check is handed the row’s knobs: --gridsize 2 against 3 then fails on its own', () => {
    const run = { profile: 'ptycho-torch', argv: PTYCHO_ARGV };
    expect(qualify(run, brief)).toEqual({ qualifies: true, why: null });
    expect(requestedFor('EB4.A', brief, run)).toEqual({ text: 'python -m ptycho_torch.train --gridsize 3 --max_epochs 6', source: 'EB4.A (brief input.md:1)' });
  });

  it('a rule asks for a profile; a row with no requirement takes any run; guidance flags borrow the brief’s program', () => {
    const { rules } = parseProvesConfig(JSON.stringify({ proves: [{ rows: ['R1'], profile: 'reference', knobs: { 'max-epochs': 3 } }] }), 'p.json');
    const rule = rowRequirement({ rule: ruleFor(rules, 'plan.md', 'R1'), brief })!;
    expect(qualify({ profile: 'reference', argv: REFERENCE_ARGV }, rule).qualifies).toBe(true);
    expect(qualify({ profile: null, argv: REFERENCE_ARGV }, rule)).toMatchObject({ qualifies: false, why: expect.stringContaining('the row asks for profile reference (p.json:1)') });
    expect(requestedFor('R1', rule, { profile: 'reference', argv: REFERENCE_ARGV })?.text).toBe('/usr/local/bin/node /work/main/workers/reference-trainer/train.mjs --max-epochs 3');
    expect(qualify({ profile: null, argv: null }, null)).toEqual({ qualifies: true, why: null });
    const merged = rowRequirement({ guidance: requirementFromGuidance('with `--gridsize 4`', { file: 'plan.md', line: 9 }), brief })!;
    expect(merged).toMatchObject({ source: 'brief', program: { display: 'python -m ptycho_torch.train' }, knobs: { gridsize: '4', max_epochs: '6' } });
  });
});
