/**
 * The lightning-example profile's script. Compiling it needs only python3;
 * running it needs a python3 that can import torch and lightning, so those
 * tests are skipped, with the reason in their name, where it cannot.
 * The interpreter is the profile's: RUNPROOF_PYTHON, else the venv
 * `npm run setup:lightning` builds, else python3 (server/python.ts).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { analyseBundle, type InputFile } from '../../lib/evidence/analyse';
import { parseLog } from '../../lib/lightning/logs';
import { parseMetricsCsv } from '../../lib/lightning/metrics-csv';
import { defaultPython } from '../../server/python';

const SCRIPT = path.join(__dirname, 'train.py');
const PYTHON = defaultPython();

function runs(args: string[]): boolean {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: 60_000 });
  return !r.error && r.status === 0;
}
const hasPython = runs(['--version']);
const available = hasPython && runs(['-c', 'import torch, lightning']);
const whyNoPython = hasPython ? '' : ` (skipped here: no ${PYTHON})`;
const whyNoTorch = available ? '' : hasPython ? ` (skipped here: ${PYTHON} cannot import torch, lightning)` : ` (skipped here: no ${PYTHON})`;

const tmpDirs: string[] = [];
function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** The brief's knobs (the PtychoPINN EB4 smoke, with this script's gridsize). */
const BRIEF_ARGS = [
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

/** Run train.py with stdout and stderr into one log file, in order, as `| tee` would keep them. */
function train(args: string[], out: string): { status: number | null; log: string; logPath: string } {
  const logPath = path.join(out, 'train.log');
  const fd = fs.openSync(logPath, 'w');
  try {
    const r = spawnSync(PYTHON, [SCRIPT, ...args, '--output_dir', path.join(out, 'run')], {
      stdio: ['ignore', fd, fd],
      timeout: 540_000,
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONPYCACHEPREFIX: path.join(out, 'pycache') },
    });
    if (r.error) throw r.error;
    return { status: r.status, log: fs.readFileSync(logPath, 'utf8'), logPath };
  } finally {
    fs.closeSync(fd);
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `ls -l` of a folder, as a bundle's checkpoints_ls.txt holds it. */
function lsListing(dir: string): string {
  const names = fs.readdirSync(dir).sort();
  const lines = [`total ${names.length}`];
  for (const n of names) {
    const st = fs.statSync(path.join(dir, n));
    const t = st.mtime;
    const when = `${MONTHS[t.getMonth()]} ${String(t.getDate()).padStart(2, ' ')} ${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;
    lines.push(`${st.isDirectory() ? 'd' : '-'}rw-r--r-- 1 runproof runproof ${st.size} ${when} ${n}`);
  }
  return lines.join('\n') + '\n';
}

function textFile(p: string, text: string): InputFile {
  return { path: p, sizeBytes: Buffer.byteLength(text), text };
}

function findFile(root: string, name: string): string | null {
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    const p = path.join(root, e.name);
    if (e.isDirectory()) {
      const hit = findFile(p, name);
      if (hit) return hit;
    } else if (e.name === name) return p;
  }
  return null;
}

describe('workers/lightning-example/train.py', () => {
  test.skipIf(!hasPython)(`compiles with python3 -m py_compile${whyNoPython}`, () => {
    const cache = tmp('rp-lx-pyc-');
    for (const file of [SCRIPT, path.join(__dirname, 'fit.py')]) {
      const r = spawnSync(PYTHON, ['-m', 'py_compile', file], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PYTHONPYCACHEPREFIX: cache } });
      expect(r.error).toBeUndefined();
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });

  test.skipIf(!hasPython)(`refuses a bad argument with argparse's error line and exit 2, before importing torch${whyNoPython}`, () => {
    // -X importtime lists every module imported: torch must not be among them for a refused launch.
    const r = spawnSync(PYTHON, ['-X', 'importtime', SCRIPT, '--batch_size', '70000', '--output_dir', tmp('rp-lx-refused-')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split('\n').pop()).toBe('train.py: error: argument --batch_size: 70000 is not in range 1..65536');
    expect(r.stderr).not.toMatch(/\|\s+torch$/m);
  });

  test.skipIf(!available)(
    `trains with the brief's knobs: metrics.csv per epoch, top-k + last.ckpt, and Runproof's checks pass${whyNoTorch}`,
    () => {
      const out = tmp('rp-lx-run-');
      const { status, log } = train(BRIEF_ARGS, out);
      expect(status, log.slice(-4000)).toBe(0);
      expect(log).toMatch(/^✓ Execution config: accelerator=(cpu|gpu|mps|tpu), deterministic=True, learning_rate=0\.001$/m);
      expect(log).toMatch(/^✓ Training completed successfully\. Outputs saved to /m);

      // metrics.csv: val_loss for every epoch that ran
      const runDir = path.join(out, 'run');
      const metricsPath = path.join(runDir, 'lightning_logs', 'version_0', 'metrics.csv');
      expect(fs.existsSync(metricsPath)).toBe(true);
      const metricsText = fs.readFileSync(metricsPath, 'utf8');
      const metrics = parseMetricsCsv(metricsText);
      expect(metrics.kind).toBe('lightning');
      const epochs = metrics.epochs;
      expect(epochs.length).toBeGreaterThanOrEqual(1);
      expect(epochs.length).toBeLessThanOrEqual(6);
      expect(epochs.map((e) => e.epoch)).toEqual(epochs.map((_, i) => i));
      for (const e of epochs) expect(Number.isFinite(e.metrics.val_loss), `val_loss at epoch ${e.epoch}`).toBe(true);
      expect(metrics.columns).toEqual(expect.arrayContaining(['train_loss_step', 'train_loss_epoch', 'val_loss']));

      // checkpoints: min(2, epochs) top-k files named by the template, plus last.ckpt
      const ckDir = path.join(runDir, 'checkpoints');
      const ckpts = fs
        .readdirSync(ckDir)
        .filter((n) => n.endsWith('.ckpt'))
        .sort();
      expect(ckpts).toContain('last.ckpt');
      const topK = ckpts.filter((n) => n !== 'last.ckpt');
      expect(topK).toHaveLength(Math.min(2, epochs.length));
      for (const n of topK) expect(n).toMatch(/^epoch=\d{2}-val_loss=\d+\.\d{4}\.ckpt$/);

      // runproof.json from RunproofCallback: the exact settings, and Lightning's own top-k bookkeeping equals the files
      const rp = JSON.parse(fs.readFileSync(path.join(runDir, 'lightning_logs', 'version_0', 'runproof.json'), 'utf8'));
      expect(rp.versions.lightning).toMatch(/^2\./);
      expect(rp.model_checkpoint[0]).toMatchObject({ monitor: 'val_loss', mode: 'min', save_top_k: 2, save_last: true, filename: '{epoch:02d}-{val_loss:.4f}' });
      expect(rp.early_stopping[0]).toMatchObject({ monitor: 'val_loss', patience: 5, min_delta: 0 });
      expect(rp.validations).toHaveLength(epochs.length);
      expect(rp.end.how).toBe('train_end');
      expect(Object.keys(rp.end.model_checkpoint[0].best_k_models).sort()).toEqual(topK);

      // hparams.yaml from save_hyperparameters()
      const hparamsPath = findFile(path.join(runDir, 'lightning_logs'), 'hparams.yaml');
      expect(hparamsPath).not.toBeNull();
      const hparams = fs.readFileSync(hparamsPath!, 'utf8');
      expect(hparams).toMatch(/^gridsize: 3$/m);
      expect(hparams).toMatch(/^learning_rate: 0\.001$/m);

      // Runproof's own verdicts on the bundle
      const command = ['python3', 'workers/lightning-example/train.py', ...BRIEF_ARGS, '--output_dir', runDir].join(' ');
      const files: InputFile[] = [
        textFile('train.log', log),
        textFile('metrics.csv', metricsText),
        textFile('hparams.yaml', hparams),
        textFile('checkpoints_ls.txt', lsListing(ckDir)),
        textFile('command.txt', command + '\n'),
      ];
      const ev = analyseBundle(files, { root: out, requested: { text: command, source: 'test' } });
      const status_ = Object.fromEntries(ev.checks.map((c) => [c.id, `${c.status}: ${c.detail}`]));
      for (const id of ['exit', 'accelerator', 'metrics', 'epochs', 'early-stop', 'checkpoints', 'knobs']) {
        expect(status_[id], `${id} check`).toMatch(/^pass: /);
      }
      expect(ev.status).toBe('succeeded');
      expect(ev.monitor?.name).toBe('val_loss');
      expect(ev.checkpoints.missing).toEqual([]);
      expect(ev.checkpoints.unexpected).toEqual([]);
      // the echo was read and compared
      expect(ev.knobTable.filter((r) => r.echoed !== null).map((r) => r.knob)).toEqual(expect.arrayContaining(['n_images', 'gridsize', 'max_epochs', 'batch_size', 'deterministic', 'num-workers']));
    },
    600_000,
  );

  test.skipIf(!available)(
    `the deprecated --device warns with a DeprecationWarning the warnings check catches${whyNoTorch}`,
    () => {
      const out = tmp('rp-lx-dev-');
      const { status, log } = train(['--n_images', '16', '--gridsize', '2', '--max_epochs', '1', '--batch_size', '4', '--device', 'cpu', '--num-workers', '0'], out);
      expect(status, log.slice(-4000)).toBe(0);
      const parsed = parseLog(log);
      expect(parsed.warnings.some((w) => w.category === 'DeprecationWarning' && /--device is deprecated/.test(w.message))).toBe(true);
      expect(parsed.accelerator.resolved).toBe('cpu');
      expect(parsed.echo.accelerator).toBe('cpu');
      const ev = analyseBundle([textFile('train.log', log)], { root: out });
      expect(ev.checks.find((c) => c.id === 'warnings')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/deprecation warning.*--device is deprecated/) });
      expect(ev.checks.find((c) => c.id === 'exit')?.status).toBe('pass');
    },
    600_000,
  );
});
