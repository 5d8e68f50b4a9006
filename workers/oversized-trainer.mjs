#!/usr/bin/env node
// @ts-check
/**
 * A test trainer that leaves an oversized bundle: Lightning's layout
 * (`lightning_logs/version_0/metrics.csv`, its `checkpoints/` folder) with
 * --checkpoints empty `.ckpt` files and --warnings distinct Python-format
 * warnings on stderr, then Lightning's normal end line. It trains nothing: it
 * exists so tests can launch a run whose archive must stay bounded
 * (workers/archive-bounds.test.ts). Used by no profile of the product.
 *
 * node oversized-trainer.mjs --output_dir DIR [--max_epochs 3] [--checkpoints 10000] [--warnings 10000]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
/** @param {string} name @param {string | null} fallback */
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const outDir = arg('output_dir', null);
if (!outDir) {
  process.stderr.write('usage: oversized-trainer.mjs --output_dir DIR\n');
  process.exit(2);
}
const epochs = Number(arg('max_epochs', '3'));
const nCkpt = Number(arg('checkpoints', '10000'));
const nWarn = Number(arg('warnings', '10000'));

const version = path.join(outDir, 'lightning_logs', 'version_0');
const ckDir = path.join(version, 'checkpoints');
fs.mkdirSync(ckDir, { recursive: true });

process.stdout.write('GPU available: False, used: False\nTPU available: False, using: 0 TPU cores\n');
const warnings = [];
for (let i = 0; i < nWarn; i++) warnings.push(`${SELF}:${i + 1}: UserWarning: distinct warning number ${i}\n  warnings.warn(\n`);
fs.writeSync(2, warnings.join(''));

const rows = ['epoch,step,train_loss,val_loss'];
for (let e = 0; e < epochs; e++) rows.push(`${e},${(e + 1) * 10 - 1},${(1 / (e + 1)).toFixed(4)},${(2 / (e + 1)).toFixed(4)}`);
fs.writeFileSync(path.join(version, 'metrics.csv'), `${rows.join('\n')}\n`);

// The one file ModelCheckpoint's default (save_top_k=1 on the falling val_loss) keeps — epoch E-1 at step S+1,
// as Lightning names it — and the rest besides.
if (nCkpt > 0) fs.writeFileSync(path.join(ckDir, `epoch=${epochs - 1}-step=${epochs * 10}.ckpt`), '');
for (let i = 0; i < nCkpt - 1; i++) fs.writeFileSync(path.join(ckDir, `epoch=${i % epochs}-step=${i}.ckpt`), '');

process.stdout.write(`\`Trainer.fit\` stopped: \`max_epochs=${epochs}\` reached.\n`);
