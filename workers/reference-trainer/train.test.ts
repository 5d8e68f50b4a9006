/**
 * The reference trainer, run as a real child process and judged by Runproof's
 * own analysis: what it leaves behind must read as a faithful Lightning run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseBundle, type AnalyseOptions, type InputFile } from '../../lib/evidence/analyse';
import { formatLsListing } from '../../lib/lightning/checkpoints';
import type { Evidence } from '../../lib/evidence/types';

const TRAIN = path.join(__dirname, 'train.mjs');
const BRIEF = [
  '--n_images',
  '64',
  '--gridsize',
  '3',
  '--max_epochs',
  '6',
  '--batch_size',
  '4',
  '--accelerator',
  'auto',
  '--deterministic',
  '--num-workers',
  '0',
  '--logger',
  'csv',
  '--checkpoint-save-top-k',
  '2',
  '--early-stop-patience',
  '5',
];

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-reftrainer-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  log: string;
  outDir: string;
  argv: string[];
}

/** Run the trainer with stdout and stderr on one file descriptor, as `> train.log 2>&1` would. */
function train(args: string[], outDir = path.join(tmpDir(), 'out')): Run {
  const argv = [...args, '--output_dir', outDir];
  const logPath = path.join(path.dirname(outDir), `train-${tmpDirs.length}-${Date.now()}.log`);
  const fd = fs.openSync(logPath, 'w');
  let status: number | null;
  try {
    status = spawnSync(process.execPath, [TRAIN, ...argv], { stdio: ['ignore', fd, fd], timeout: 20_000 }).status;
  } finally {
    fs.closeSync(fd);
  }
  return { status, log: fs.readFileSync(logPath, 'utf8'), outDir, argv };
}

/** Separate pipes, for what goes where. */
function trainPiped(args: string[]) {
  const r = spawnSync(process.execPath, [TRAIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function shellQuote(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

function commandText(argv: string[]): string {
  return ['node', 'workers/reference-trainer/train.mjs', ...argv].map(shellQuote).join(' ');
}

const text = (p: string, t: string): InputFile => ({ path: p, sizeBytes: Buffer.byteLength(t), text: t });

/** The bundle the worker will archive: log, command, metrics.csv, hparams.yaml, checkpoint listing. */
function bundleOf(run: Run): InputFile[] {
  const files = [text('train.log', run.log), text('command.txt', commandText(run.argv) + '\n')];
  const logs = path.join(run.outDir, 'lightning_logs');
  if (fs.existsSync(logs)) {
    for (const v of fs.readdirSync(logs).sort()) {
      for (const f of ['metrics.csv', 'hparams.yaml']) {
        const p = path.join(logs, v, f);
        if (fs.existsSync(p)) files.push(text(`lightning_logs/${v}/${f}`, fs.readFileSync(p, 'utf8')));
      }
    }
  }
  const ck = path.join(run.outDir, 'checkpoints');
  if (fs.existsSync(ck)) {
    const entries = fs.readdirSync(ck).map((name) => {
      const st = fs.statSync(path.join(ck, name));
      return { name, sizeBytes: st.size, mtimeMs: st.mtimeMs };
    });
    files.push(text('checkpoints_ls.txt', formatLsListing(entries)));
  }
  return files;
}

function analyse(run: Run): Evidence {
  const cmd = commandText(run.argv);
  const launch: AnalyseOptions['launch'] = { exitCode: run.status, signal: null, cleanedUp: true, status: run.status === 0 ? 'succeeded' : 'failed' };
  return analyseBundle(bundleOf(run), { root: run.outDir, requested: { text: cmd, source: 'launch form' }, launch });
}

const checkOf = (ev: Evidence, id: string) => ev.checks.find((c) => c.id === id)!;

function expectAllPass(ev: Evidence) {
  for (const c of ev.checks) expect(c.status, `${c.id}: ${c.detail}`).toBe('pass');
}

const ckptNames = (run: Run) => fs.readdirSync(path.join(run.outDir, 'checkpoints')).sort();

describe('reference trainer', () => {
  let brief: Run;
  beforeAll(() => {
    brief = train(BRIEF);
  });

  it("passes every check with the brief's knobs", () => {
    expect(brief.status, brief.log).toBe(0);
    const ev = analyse(brief);
    expectAllPass(ev);
    expect(ev.accelerator).toMatchObject({ requested: 'auto', resolved: 'cpu' });
    expect(ev.epochs).toHaveLength(6);
    expect(ev.stop.reason).toBe('max_epochs');
    expect(ev.seed).toBe(42);
    expect(ev.params.total).toMatch(/ K$/);
    const names = ckptNames(brief);
    expect(names.filter((n) => n.startsWith('epoch='))).toHaveLength(2);
    expect(names).toContain('last.ckpt');
    expect(names).toHaveLength(3);
    for (const n of names.filter((x) => x.startsWith('epoch='))) expect(n).toMatch(/^epoch=\d\d-val_loss=\d+\.\d{4}\.ckpt$/);
    // The kept files are the two best epochs by val_loss.
    const best = [...ev.epochs]
      .sort((a, b) => (a.metrics.val_loss as number) - (b.metrics.val_loss as number))
      .slice(0, 2)
      .map((e) => e.epoch);
    expect(
      names
        .filter((n) => n.startsWith('epoch='))
        .map((n) => Number(/^epoch=(\d+)/.exec(n)![1]))
        .sort(),
    ).toEqual(best.sort());
    // Checkpoints hold real model state: header + JSON + float32 arrays.
    const bytes = fs.readFileSync(path.join(brief.outDir, 'checkpoints', 'last.ckpt'));
    expect(bytes.subarray(0, 23).toString()).toBe('RUNPROOF-REFERENCE-CKPT');
    expect(bytes.length).toBeGreaterThan(3 * 4 * 100_000);
    const hp = fs.readFileSync(path.join(brief.outDir, 'lightning_logs/version_0/hparams.yaml'), 'utf8');
    expect(hp).toContain('gridsize: 3\n');
    expect(hp).toContain('learning_rate: 0.001\n');
    // The trainer's config echo agrees with argv (the knobs check compares them).
    expect(brief.log).toContain('✓ Execution config: accelerator=cpu, deterministic=True, learning_rate=0.001');
    expect(brief.log).toContain('gridsize=(3, 3), epochs=6');
  });

  it('stops early on a plateau (learning rate 0) and the replays agree', () => {
    const run = train(['--n_images', '64', '--gridsize', '3', '--batch_size', '4', '--max_epochs', '10', '--learning-rate', '0', '--early-stop-patience', '1']);
    expect(run.status, run.log).toBe(0);
    const ev = analyse(run);
    expect(ev.epochs.length).toBeLessThan(10);
    expect(ev.epochs).toHaveLength(2);
    expect(ev.stop.reason).toBe('early_stopping');
    expect(run.log).toMatch(/Monitored metric val_loss did not improve in the last 1 records\. Best score: \d+\.\d{3}\. Signaling Trainer to stop\./);
    expect(run.log).not.toContain('Trainer.fit` stopped');
    expect(checkOf(ev, 'early-stop').status, checkOf(ev, 'early-stop').detail).toBe('pass');
    expect(checkOf(ev, 'epochs').status, checkOf(ev, 'epochs').detail).toBe('pass');
    expectAllPass(ev);
  });

  it('keeps exactly save_top_k files plus last.ckpt, and -vN names in a reused folder', () => {
    const run = train(BRIEF.map((a, i) => (BRIEF[i - 1] === '--checkpoint-save-top-k' ? '3' : a)));
    expect(run.status, run.log).toBe(0);
    const names = ckptNames(run);
    expect(names.filter((n) => n.startsWith('epoch='))).toHaveLength(3);
    expect(names.filter((n) => n.startsWith('last'))).toEqual(['last.ckpt']);
    const ev = analyse(run);
    expect(checkOf(ev, 'checkpoints').status, checkOf(ev, 'checkpoints').detail).toBe('pass');
    expect(ev.checkpoints.saveTopK).toBe(3);

    // Same run again into the same folder: ModelCheckpoint never deletes the old
    // files and versions the new names; the logger moves on to version_1.
    const small = ['--n_images', '32', '--max_epochs', '2', '--batch_size', '8', '--gridsize', '1'];
    const dir = path.join(tmpDir(), 'reused');
    expect(train(small, dir).status).toBe(0);
    const first = fs.readdirSync(path.join(dir, 'checkpoints')).sort();
    expect(train(small, dir).status).toBe(0);
    const second = fs.readdirSync(path.join(dir, 'checkpoints')).sort();
    const added = second.filter((n) => !first.includes(n));
    expect(first.every((n) => second.includes(n))).toBe(true);
    expect(added.sort()).toEqual(first.map((n) => n.replace(/\.ckpt$/, '-v1.ckpt')).sort());
    expect(fs.readdirSync(path.join(dir, 'lightning_logs')).sort()).toEqual(['version_0', 'version_1']);

    // top-k 0: only last.ckpt.
    const none = train(['--n_images', '32', '--max_epochs', '2', '--gridsize', '1', '--checkpoint-save-top-k', '0']);
    expect(ckptNames(none)).toEqual(['last.ckpt']);
  });

  it('writes metrics.csv as CSVLogger does: CRLF, one sorted header, rewritten when new keys appear', () => {
    const csv = fs.readFileSync(path.join(brief.outDir, 'lightning_logs/version_0/metrics.csv'), 'utf8');
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const lines = csv.split('\r\n').slice(0, -1);
    const header = lines[0].split(',');
    expect(header).toEqual(['epoch', 'step', 'train_loss_epoch', 'train_loss_step', 'val_loss']);
    expect([...header].sort()).toEqual(header);
    expect(lines.filter((l) => l === lines[0])).toHaveLength(1);
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v])));
    // The first row was written when only epoch, step and train_loss_step existed; it now
    // has cells for val_loss and train_loss_epoch, so the whole file was rewritten when those appeared.
    expect(lines[1].split(',')).toHaveLength(5);
    expect(rows[0]).toMatchObject({ epoch: '0', step: '0', val_loss: '', train_loss_epoch: '' });
    expect(rows[0].train_loss_step).toMatch(/^\d/);
    // 13 batches an epoch, a step row each (log_every_n_steps=1), then the validation row and
    // after it the train-epoch row, both at the epoch's last step.
    for (let e = 0; e < 6; e++) {
      const mine = rows.filter((r) => r.epoch === String(e));
      expect(mine).toHaveLength(15);
      expect(mine.slice(0, 13).map((r) => r.step)).toEqual(Array.from({ length: 13 }, (_, i) => String(e * 13 + i)));
      expect(mine[13]).toMatchObject({ step: String(e * 13 + 12), train_loss_step: '', train_loss_epoch: '' });
      expect(mine[13].val_loss).not.toBe('');
      expect(mine[14]).toMatchObject({ step: String(e * 13 + 12), train_loss_step: '', val_loss: '' });
      expect(mine[14].train_loss_epoch).not.toBe('');
    }
    // Values are Python str(float) of float32 numbers.
    for (const r of rows)
      for (const k of ['train_loss_step', 'train_loss_epoch', 'val_loss']) {
        if (r[k] === '') continue;
        expect(r[k]).toMatch(/^-?\d+\.\d+(e-\d\d)?$|^-?\d(\.\d+)?e[-+]\d\d$/);
        expect(Math.fround(Number(r[k]))).toBe(Number(r[k]));
      }
  });

  it('--logger none writes no lightning_logs', () => {
    const run = train(['--n_images', '32', '--max_epochs', '1', '--gridsize', '1', '--logger', 'none']);
    expect(run.status, run.log).toBe(0);
    expect(fs.existsSync(path.join(run.outDir, 'lightning_logs'))).toBe(false);
    expect(ckptNames(run)).toContain('last.ckpt');
    expect(run.log).not.toContain('v_num=');
  });

  it('fails the warnings check on --device, exits 2 on a bad flag and 1 on a missing GPU', () => {
    const dep = train(['--n_images', '32', '--max_epochs', '1', '--gridsize', '1', '--device', 'cpu']);
    expect(dep.status, dep.log).toBe(0);
    expect(dep.log).toMatch(/^\S+train\.mjs:\d+: DeprecationWarning: --device is deprecated, use --accelerator instead$/m);
    const ev = analyse(dep);
    const w = checkOf(ev, 'warnings');
    expect(w.status).toBe('fail');
    expect(w.detail).toContain('--device is deprecated');
    expect(ev.warnings).toEqual([expect.objectContaining({ category: 'DeprecationWarning', file: TRAIN })]);
    expect(ev.accelerator).toMatchObject({ requested: 'cpu', resolved: 'cpu' });

    const bad = trainPiped(['--output_dir', path.join(tmpDir(), 'x'), '--n_images', '64', '--bogus', '3']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^usage: train\.mjs /);
    expect(bad.stderr).toContain('train.mjs: error: unrecognized arguments: --bogus 3');
    expect(bad.stdout).toBe('');
    const badValue = trainPiped(['--output_dir', path.join(tmpDir(), 'x'), '--accelerator', 'tpu']);
    expect(badValue.status).toBe(2);
    expect(badValue.stderr).toContain("train.mjs: error: argument --accelerator: invalid choice: 'tpu'");

    const gpu = train(['--n_images', '32', '--max_epochs', '1', '--accelerator', 'gpu']);
    expect(gpu.status).toBe(1);
    expect(gpu.log).toContain('Traceback (most recent call last):');
    const gev = analyse(gpu);
    expect(checkOf(gev, 'exit').status).toBe('fail');
    expect(gev.errors.at(-1)?.message).toMatch(/^lightning\.fabric\.utilities\.exceptions\.MisconfigurationException: `CUDAAccelerator` can not run on your system/);
    expect(fs.existsSync(path.join(gpu.outDir, 'checkpoints'))).toBe(false);
  });

  it('is deterministic: the same seed gives the same metrics.csv, another seed does not', () => {
    const again = train(BRIEF);
    const read = (r: Run) => fs.readFileSync(path.join(r.outDir, 'lightning_logs/version_0/metrics.csv'), 'utf8');
    expect(read(again)).toBe(read(brief));
    expect(ckptNames(again)).toEqual(ckptNames(brief));
    const other = train([...BRIEF, '--seed', '7']);
    expect(read(other)).not.toBe(read(brief));
    expect(other.log).toContain('Seed set to 7');
  });
});
