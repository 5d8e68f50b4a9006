/**
 * Bundles written on the fly in the shape Lightning 2.x leaves them
 * (workers/reference-trainer/README.md, "What it writes"): a training log, a CSVLogger metrics.csv
 * with CRLF line ends, a command.txt. Sizes are parameters, so the same
 * writer makes the ordinary bundle and the oversized ones.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface BundleOptions {
  epochs?: number;
  /** Distinct UserWarning lines in the log. */
  warnings?: number;
  /** Empty `.ckpt` files written beside the log. */
  checkpoints?: number;
  /** Extra text appended to the log. */
  logExtra?: string;
}

export function logText(epochs: number, warnings = 0): string {
  const lines = ['Seed set to 42', 'GPU available: False, used: False', 'TPU available: False, using: 0 TPU cores', 'HPU available: False, using: 0 HPUs'];
  for (let i = 0; i < warnings; i++) lines.push(`/opt/trainer/data_${i}.py:${i + 1}: UserWarning: distinct warning number ${i}`);
  for (let e = 0; e < epochs; e++) lines.push(`Epoch ${e}: 100%|██████████| 8/8 [00:00<00:00, 40.00it/s, v_num=0, train_loss=${(1 / (e + 1)).toFixed(3)}]`);
  lines.push(`\`Trainer.fit\` stopped: \`max_epochs=${epochs}\` reached.`);
  lines.push('real 12.34', 'user 10.00', 'sys 1.00');
  return `${lines.join('\n')}\n`;
}

export function metricsCsv(epochs: number): string {
  const rows = ['epoch,step,train_loss,val_loss'];
  for (let e = 0; e < epochs; e++) rows.push(`${e},${e * 8 + 7},${(1 / (e + 1)).toFixed(4)},${(1.5 / (e + 1)).toFixed(4)}`);
  return `${rows.join('\r\n')}\r\n`;
}

export function commandText(epochs: number): string {
  return `python -m trainer.train --max_epochs ${epochs} --accelerator cpu --logger csv --output_dir /tmp/out\n`;
}

/** Writes a bundle into `dir` (created). */
export function writeBundle(dir: string, opts: BundleOptions = {}): void {
  const epochs = opts.epochs ?? 3;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'train.log'), logText(epochs, opts.warnings ?? 0) + (opts.logExtra ?? ''));
  fs.writeFileSync(path.join(dir, 'metrics.csv'), metricsCsv(epochs));
  fs.writeFileSync(path.join(dir, 'command.txt'), commandText(epochs));
  for (let i = 0; i < (opts.checkpoints ?? 0); i++) {
    fs.writeFileSync(path.join(dir, `epoch=${i}-step=${i * 8 + 8}-val_loss=${(1 + i / 1e5).toFixed(5)}.ckpt`), '');
  }
}

/** A plan file with `rows` rows in the team's table format. */
export function planText(rows: number, title = 'Attack plan'): string {
  const out = [`# ${title}`, '', '## Phase A', '', '| ID | Task Description | State | How/Why & Guidance |', '| --- | --- | --- | --- |'];
  for (let i = 0; i < rows; i++) out.push(`| AT${i}.A | Task number ${i} with a description | ${i % 3 === 0 ? '[x]' : '[ ]'} | guidance ${i} |`);
  return `${out.join('\n')}\n`;
}
