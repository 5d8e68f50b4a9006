import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES } from './builtin';
import { buildCommand, findParam, recheckPathParams, validateParams } from './build';
import { profileSchema } from './schema';

const ptycho = BUILTIN_PROFILES.find((p) => p.name === 'ptycho-torch')!;
const reference = BUILTIN_PROFILES.find((p) => p.name === 'reference')!;
const ctx = { runproofRoot: '/opt/runproof', node: '/usr/bin/node', python: 'python3', env: { PTYCHOPINN_DIR: '/src/PtychoPINN' } };

describe('profiles', () => {
  it("ptycho-torch with its defaults is exactly the brief's command", () => {
    const v = validateParams(ptycho, {}, '/src/PtychoPINN');
    expect(v.errors).toEqual({});
    const c = buildCommand(ptycho, v.values, { ...ctx, outputDir: '/tmp/out', cpuOnly: true });
    expect(c.argv.join(' ')).toBe(
      'python -m ptycho_torch.train --train_data_file tests/fixtures/pytorch_integration/minimal_dataset_v1.npz --test_data_file tests/fixtures/pytorch_integration/minimal_dataset_v1.npz --output_dir /tmp/out --n_images 64 --gridsize 3 --max_epochs 6 --batch_size 4 --accelerator auto --deterministic --num-workers 0 --logger csv --checkpoint-save-top-k 2 --early-stop-patience 5',
    );
    expect(c.cwd).toBe('/src/PtychoPINN');
    expect(c.env).toEqual({ CUDA_VISIBLE_DEVICES: '' });
    expect(buildCommand(ptycho, v.values, { ...ctx, outputDir: '/tmp/out', cpuOnly: false }).env).toEqual({});
  });

  it('knob names match with - and _ interchangeable, and by flag', () => {
    expect(findParam(reference, 'checkpoint_save_top_k')?.name).toBe('checkpoint-save-top-k');
    expect(findParam(reference, '--num_workers')?.name).toBe('num-workers');
    const v = validateParams(reference, { checkpoint_save_top_k: '3', deterministic: 'false' }, '/opt/runproof');
    expect(v.ok).toBe(true);
    const argv = buildCommand(reference, v.values, { ...ctx, outputDir: '/o', cpuOnly: false }).argv;
    expect(argv.slice(0, 2)).toEqual(['/usr/bin/node', '/opt/runproof/workers/reference-trainer/train.mjs']);
    expect(argv).toContain('--no-deterministic');
    expect(argv[argv.indexOf('--checkpoint-save-top-k') + 1]).toBe('3');
    // Optional knobs without a value are not passed at all.
    expect(argv).not.toContain('--learning-rate');
  });

  it('every value is its own argv element: nothing a value holds becomes a flag, a word split or a path outside', () => {
    const exists = () => true;
    const realpath = (p: string) => p;
    const cases: Array<[string, string, RegExp]> = [
      ['max_epochs', '6 --help', /whole number/],
      ['max_epochs', '1e3', /whole number/],
      ['learning-rate', 'NaN', /must be a number/],
      ['accelerator', 'cpu;reboot', /one of/],
      ['gridsize', '5', /between 1 and 4/],
    ];
    for (const [k, v, err] of cases) expect(validateParams(reference, { [k]: v }, '/opt/runproof').errors[k], `${k}=${v}`).toMatch(err);
    const p = (v: string) => validateParams(ptycho, { train_data_file: v }, '/src/PtychoPINN', { exists, realpath }).errors.train_data_file;
    expect(p('--config=/etc/passwd')).toMatch(/must not start with -/);
    expect(p('../../etc/passwd')).toMatch(/must stay inside/);
    expect(p('/etc/passwd')).toMatch(/must stay inside/);
    expect(p('data/x.npz\n--help')).toMatch(/control characters/);
    expect(p('data/x.npz')).toBeUndefined();
    // A symlink inside the checkout that points outside it is refused too.
    const viaLink = validateParams(ptycho, { train_data_file: 'link.npz' }, '/src/PtychoPINN', { exists, realpath: (x) => (x.endsWith('link.npz') ? '/etc/shadow' : x) });
    expect(viaLink.errors.train_data_file).toMatch(/points outside/);
    expect(validateParams(ptycho, { train_data_file: 'missing.npz' }, '/src/PtychoPINN', { exists: () => false }).errors.train_data_file).toMatch(/does not exist/);
  });

  it('path knobs checked again at spawn: a link that now points outside, or a path gone, is named; one still inside passes', () => {
    const cwd = '/src/PtychoPINN';
    const v = validateParams(ptycho, { train_data_file: 'link.npz' }, cwd, { exists: () => true, realpath: (x) => x });
    expect(v.ok).toBe(true);
    // Between queue and start the link was swapped.
    const swapped = recheckPathParams(ptycho, v.values, cwd, { exists: () => true, realpath: (x) => (x.endsWith('link.npz') ? '/etc/shadow' : x) });
    expect(swapped).toEqual(['path knob train_data_file now resolves outside .: link.npz → /etc/shadow']);
    expect(recheckPathParams(ptycho, v.values, cwd, { exists: (x) => !x.endsWith('link.npz'), realpath: (x) => (x.endsWith('link.npz') ? null : x) })).toEqual([
      'path knob train_data_file: link.npz does not exist (relative to /src/PtychoPINN)',
    ]);
    expect(recheckPathParams(ptycho, v.values, cwd, { exists: () => true, realpath: (x) => x })).toEqual([]);
    // Knobs that are not paths are never looked at again.
    expect(recheckPathParams(reference, validateParams(reference, {}, '/opt/runproof').values, '/opt/runproof', { exists: () => false, realpath: () => '/elsewhere' })).toEqual([]);
  });

  it('unknown knobs are errors, not silently dropped', () => {
    expect(validateParams(reference, { nope: '1' }, '/').errors.nope).toMatch(/unknown knob for profile reference/);
    expect(validateParams(reference, { gridsize: '2', grid_size: '3' }, '/').errors).toHaveProperty('grid_size');
  });

  it('a config file profile is validated: duplicate parameters and argv placing unknown ones are refused', () => {
    const bad = profileSchema.safeParse({
      name: 'x',
      title: 'X',
      argv: ['echo', '{param:missing}'],
      params: [
        { name: 'a', type: 'int' },
        { name: 'a', type: 'int' },
      ],
    });
    expect(bad.success).toBe(false);
    const msgs = bad.error!.issues.map((i) => i.message);
    expect(msgs).toContain('duplicate parameter a');
    expect(msgs).toContain('argv places unknown parameter missing');
    expect(profileSchema.safeParse({ name: 'Bad Name', title: 'x', argv: ['x'] }).success).toBe(false);
    expect(profileSchema.safeParse({ name: 'ok', title: 'x', argv: ['x'], params: [{ name: 'f', type: 'int', flag: '--f; rm' }] }).success).toBe(false);
  });
});
