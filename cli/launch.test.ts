/**
 * `runproof launch` and `runproof profiles` as a user types them: argv as the
 * brief asks for it, validation errors in words, and a launch that a worker
 * (the same command line, `runproof worker`) runs to the end.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '..', 'bin', 'runproof.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-launch-'));
// A stand-in PtychoPINN checkout: the profile needs ptycho_torch/ and the brief's data file to exist.
const checkout = path.join(tmp, 'PtychoPINN');
fs.mkdirSync(path.join(checkout, 'ptycho_torch'), { recursive: true });
fs.mkdirSync(path.join(checkout, 'tests/fixtures/pytorch_integration'), { recursive: true });
fs.writeFileSync(path.join(checkout, 'tests/fixtures/pytorch_integration/minimal_dataset_v1.npz'), '');
fs.writeFileSync(path.join(tmp, 'outside.npz'), '');
const env = {
  ...process.env,
  RUNPROOF_DB: path.join(tmp, 'launch.db'),
  RUNPROOF_BUNDLES_DIR: path.join(tmp, 'bundles'),
  RUNPROOF_WORK_DIR: path.join(tmp, 'work'),
  PTYCHOPINN_DIR: checkout,
  RUNPROOF_PLANS_DIR: path.resolve(__dirname, '..', 'fixtures', 'ptychopinn', 'plans'),
};
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function runproof(args: string[], extraEnv: Record<string, string | undefined> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 60_000 });
}

const BRIEF_SETS = [
  'n_images=64',
  'gridsize=3',
  'max_epochs=6',
  'batch_size=4',
  'accelerator=auto',
  'deterministic=true',
  'num-workers=0',
  'logger=csv',
  'checkpoint_save_top_k=2',
  'early-stop-patience=5',
].flatMap((s) => ['--set', s]);

describe('runproof launch', () => {
  it("ptycho-torch --dry-run with the brief's knobs gives the brief's argv, token for token", () => {
    const r = runproof([
      'launch',
      'ptycho-torch',
      '--dry-run',
      '--cpu-only',
      ...BRIEF_SETS,
      '--set',
      'train_data_file=tests/fixtures/pytorch_integration/minimal_dataset_v1.npz',
      '--set',
      'test_data_file=tests/fixtures/pytorch_integration/minimal_dataset_v1.npz',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { argv: string[]; cwd: string; env: Record<string, string> };
    const tmpOut = out.argv[out.argv.indexOf('--output_dir') + 1];
    expect(tmpOut).toMatch(/work\/[0-9a-f]{12}$/);
    const brief =
      'python -m ptycho_torch.train --train_data_file tests/fixtures/pytorch_integration/minimal_dataset_v1.npz --test_data_file tests/fixtures/pytorch_integration/minimal_dataset_v1.npz --output_dir <tmp> --n_images 64 --gridsize 3 --max_epochs 6 --batch_size 4 --accelerator auto --deterministic --num-workers 0 --logger csv --checkpoint-save-top-k 2 --early-stop-patience 5';
    expect(out.argv).toEqual(brief.split(' ').map((t) => (t === '<tmp>' ? tmpOut : t)));
    expect(out.cwd).toBe(checkout);
    expect(out.env).toEqual({ CUDA_VISIBLE_DEVICES: '' });
  });

  it('refuses bad knobs with what is wrong, and values that would be flags or paths outside the checkout', () => {
    const bad = runproof(['launch', 'reference', '--dry-run', '--set', 'gridsize=0', '--set', 'accelerator=tpu', '--set', 'nope=1']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/gridsize must be between 1 and 4/);
    expect(bad.stderr).toMatch(/accelerator must be one of auto, cpu, gpu, cuda, mps/);
    expect(bad.stderr).toMatch(/nope unknown knob for profile reference/);
    const flagInjection = runproof(['launch', 'ptycho-torch', '--dry-run', '--set', 'train_data_file=--help']);
    expect(flagInjection.stderr).toMatch(/train_data_file must not start with -/);
    const outside = runproof(['launch', 'ptycho-torch', '--dry-run', '--set', `train_data_file=../outside.npz`]);
    expect(outside.stderr).toMatch(/train_data_file must stay inside \./);
    const number = runproof(['launch', 'reference', '--dry-run', '--set', 'max_epochs=6; rm -rf /']);
    expect(number.stderr).toMatch(/max_epochs must be a whole number/);
  });

  it('refuses letters in a number knob, an empty --set and a value the trainer would refuse, instead of launching with a default', () => {
    const letters = runproof(['launch', 'reference', '--dry-run', '--set', 'n_images=12abc']);
    expect(letters.status).toBe(1);
    expect(letters.stderr).toMatch(/n_images must be a whole number, not “12abc”/);
    const empty = runproof(['launch', 'reference', '--dry-run', '--set', 'n_images=']);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/--set n_images= has no value/);
    // The reference trainer's own limit (train.mjs: --batch_size 1..4096), not the 65536 the form once allowed.
    const tooBig = runproof(['launch', 'reference', '--dry-run', '--set', 'batch_size=5000']);
    expect(tooBig.status).toBe(1);
    expect(tooBig.stderr).toMatch(/batch_size must be between 1 and 4096/);
  });

  it('a row the plans do not have is refused, and nothing is queued', () => {
    const r = runproof(['launch', 'reference', '--row', 'EB9.Z', '--json']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no indexed plan has a row EB9\.Z/);
  });

  it('an unconfigured ptycho-torch is refused with the reason', () => {
    const r = runproof(['launch', 'ptycho-torch', '--dry-run'], { PTYCHOPINN_DIR: undefined });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/PTYCHOPINN_DIR not set/);
    const list = JSON.parse(runproof(['profiles', '--json'], { PTYCHOPINN_DIR: undefined }).stdout) as Array<{ name: string; available: boolean; reason: string | null }>;
    expect(list.find((p) => p.name === 'reference')).toMatchObject({ available: true });
    expect(list.find((p) => p.name === 'ptycho-torch')).toMatchObject({ available: false, reason: expect.stringMatching(/PTYCHOPINN_DIR/) });
  });

  it('launch --wait --json follows a run a `runproof worker` executes and prints its evidence', async () => {
    const worker = spawn(process.execPath, [BIN, 'worker'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const p = spawn(process.execPath, [BIN, 'launch', 'reference', ...BRIEF_SETS, '--row', 'EB4.A', '--wait', '--json'], { env });
        let stdout = '',
          stderr = '';
        p.stdout.on('data', (d) => (stdout += d));
        p.stderr.on('data', (d) => (stderr += d));
        p.on('exit', (code) => resolve({ code, stdout, stderr }));
      });
      expect(r.code, r.stderr).toBe(0);
      const ev = JSON.parse(r.stdout);
      expect(ev.status).toBe('succeeded');
      expect(ev.launch.planRows).toEqual(['EB4.A']);
      // The reference demo passes its own checks but does not prove EB4.A, whose brief asks for python -m ptycho_torch.train.
      expect(ev.planRows).toEqual([
        {
          plan: 'plans/active/ADR-003-BACKEND-API/reports/2025-10-20T153300Z/phase_e_execution_knobs/plan.md',
          id: 'EB4.A',
          state: '[ ]',
          line: 46,
          source: 'launch',
          qualifies: false,
          why: 'ran node …/reference-trainer/train.mjs, profile reference; the row asks for python -m ptycho_torch.train (input.md:7)',
          requires: 'python -m ptycho_torch.train (input.md:7)',
          requiredCommand: expect.stringContaining('python -m ptycho_torch.train'),
        },
      ]);
      expect(ev.checks.every((c: { status: string }) => c.status === 'pass')).toBe(true);
      expect(r.stderr).toMatch(/queued run [0-9a-f]{12}/);
    } finally {
      worker.kill('SIGTERM');
      await new Promise((res) => worker.once('exit', res));
    }
  }, 60_000);
});
