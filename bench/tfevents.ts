/**
 * `npx tsx bench/tfevents.ts`: TensorBoard events parse rate. Generates a
 * Lightning-shaped events file (per step: train_loss, train_mae_step and
 * `epoch`, as TensorBoardLogger writes a log_metrics call; per 1,000-step
 * epoch: val_loss + epoch and train_mae_epoch + epoch) with valid masked
 * CRC-32Cs, then times the TFRecord/protobuf read alone and the whole path
 * to the metrics.csv structures. BENCH_STEPS sets the size (default 500,000
 * steps ≈ 1.5M records). Writes the file to bench/out/ when BENCH_KEEP=1, so
 * tensorboard's own reader can check it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { maskedCrc32c, readTfEvents, tfEventsToMetrics } from '../lib/lightning/tfevents';

const STEPS = Number(process.env.BENCH_STEPS ?? 500_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

class Writer {
  buf = Buffer.alloc(1 << 20);
  n = 0;
  private ensure(k: number) {
    if (this.n + k <= this.buf.length) return;
    const b = Buffer.alloc(Math.max(this.buf.length * 2, this.n + k));
    this.buf.copy(b, 0, 0, this.n);
    this.buf = b;
  }
  /** One record holding Event{wall_time, step, summary{value{tag, simple_value}}}. */
  scalar(tag: Buffer, step: number, value: number, wall: number) {
    // step varint
    const sv: number[] = [];
    let s = step;
    while (s >= 0x80) {
      sv.push((s & 0x7f) | 0x80);
      s >>>= 7;
    }
    sv.push(s);
    const valueLen = 2 + tag.length + 5;
    const summaryLen = 2 + valueLen;
    const dataLen = 9 + 1 + sv.length + 2 + summaryLen;
    this.ensure(12 + dataLen + 4);
    const b = this.buf;
    const start = this.n;
    b.writeUInt32LE(dataLen, start);
    b.writeUInt32LE(0, start + 4);
    b.writeUInt32LE(maskedCrc32c(b, start, start + 8), start + 8);
    let p = start + 12;
    b[p++] = 0x09;
    b.writeDoubleLE(wall, p);
    p += 8;
    b[p++] = 0x10;
    for (const x of sv) b[p++] = x;
    b[p++] = 0x2a;
    b[p++] = summaryLen;
    b[p++] = 0x0a;
    b[p++] = valueLen;
    b[p++] = 0x0a;
    b[p++] = tag.length;
    tag.copy(b, p);
    p += tag.length;
    b[p++] = 0x15;
    b.writeFloatLE(value, p);
    p += 4;
    b.writeUInt32LE(maskedCrc32c(b, start + 12, p), p);
    this.n = p + 4;
  }
}

function generate(steps: number): Buffer {
  const w = new Writer();
  const [train, mae, epochT, val, maeE] = ['train_loss', 'train_mae_step', 'epoch', 'val_loss', 'train_mae_epoch'].map((t) => Buffer.from(t));
  let x = 1;
  let wall = 1_700_000_000;
  for (let step = 0; step < steps; step++) {
    const epoch = Math.floor(step / 1000);
    x = (x * 1103515245 + 12345) % 2147483648;
    const loss = 2 / (1 + step / 5000) + (x / 2147483648) * 0.05;
    wall += 0.001;
    w.scalar(train, step, loss, wall);
    w.scalar(mae, step, loss / 2, wall);
    w.scalar(epochT, step, epoch, wall);
    if ((step + 1) % 1000 === 0) {
      w.scalar(val, step, loss * 1.1, wall);
      w.scalar(epochT, step, epoch, wall);
      w.scalar(maeE, step, loss / 2.1, wall);
      w.scalar(epochT, step, epoch, wall);
    }
  }
  return w.buf.subarray(0, w.n);
}

function best(fn: () => void): { best: number; median: number } {
  const t: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return { best: t[0], median: t[Math.floor(t.length / 2)] };
}

const bytes = generate(STEPS);
const mb = bytes.length / 1024 / 1024;
if (process.env.BENCH_KEEP === '1') {
  fs.mkdirSync(path.join(__dirname, 'out'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'out', 'events.out.tfevents.1700000000.bench.0.0'), bytes);
}
let scalars = readTfEvents(bytes, 'bench');
if (scalars.problems.length) throw new Error(JSON.stringify(scalars.problems));
const read = best(() => {
  scalars = readTfEvents(bytes, 'bench');
});
let epochs = 0;
const whole = best(() => {
  const m = tfEventsToMetrics([readTfEvents(bytes, 'bench')]);
  epochs = m.epochs.length;
});
console.log(`events file: ${mb.toFixed(1)} MB, ${scalars.records.toLocaleString()} records, ${scalars.length.toLocaleString()} scalars, ${epochs} epochs`);
console.log(`read (TFRecord + CRC + protobuf):   best ${read.best.toFixed(0)} ms = ${(mb / (read.best / 1000)).toFixed(0)} MB/s (median ${read.median.toFixed(0)} ms)`);
console.log(`to metrics (rows + metrics.csv recipe): best ${whole.best.toFixed(0)} ms = ${(mb / (whole.best / 1000)).toFixed(0)} MB/s (median ${whole.median.toFixed(0)} ms)`);
