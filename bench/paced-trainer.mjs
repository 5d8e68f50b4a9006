#!/usr/bin/env node
// @ts-check
// A trainer stand-in for the latency bench: appends one validation row to a
// Lightning-shaped metrics.csv every --interval_ms and prints, for each, the
// wall-clock time (ms since the epoch) at which the row was on disk, so the
// bench can compare it with the time the browser drew the point.
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const rows = Number(opt('rows', '30'));
const interval = Number(opt('interval_ms', '200'));
const out = opt('output_dir', null);
if (!out) {
  process.stderr.write('paced-trainer.mjs: error: --output_dir is required\n');
  process.exit(2);
}
const dir = path.join(out, 'lightning_logs', 'version_0');
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, 'metrics.csv');
fs.writeFileSync(file, 'epoch,step,val_loss\r\n');
let i = 0;
const timer = setInterval(() => {
  const fd = fs.openSync(file, 'a');
  fs.writeSync(fd, `${i},${i * 10 + 9},${(1 / (i + 1)).toString()}\r\n`);
  fs.closeSync(fd);
  process.stdout.write(`ROW ${i} ${Date.now()}\n`);
  if (++i >= rows) {
    clearInterval(timer);
    process.stdout.write(`\`Trainer.fit\` stopped: \`max_epochs=${rows}\` reached.\n`);
  }
}, interval);
