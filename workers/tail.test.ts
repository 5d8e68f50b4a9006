/**
 * The live tail against a real file written the way CSVLogger writes it:
 * appends, then a whole-file rewrite with a wider header when a new metric
 * key appears (workers/reference-trainer/README.md, "What it writes").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MetricsCsvAccumulator } from '../lib/lightning/metrics-csv';
import { FileTail } from './tail';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-tail-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('FileTail', () => {
  it('reads only appended bytes, and starts over when CSVLogger rewrites the file with a new header', () => {
    const file = path.join(dir, 'metrics.csv');
    const tail = new FileTail(file);
    expect(tail.read()).toEqual({ text: '', reset: false }); // not there yet
    fs.writeFileSync(file, 'epoch,step,train_loss_step\r\n0,0,1.0\r\n');
    expect(tail.read()).toEqual({ text: 'epoch,step,train_loss_step\r\n0,0,1.0\r\n', reset: false });
    fs.appendFileSync(file, '0,1,0.9\r\n');
    expect(tail.read()).toEqual({ text: '0,1,0.9\r\n', reset: false });
    expect(tail.read().text).toBe('');
    // val_loss appears: the file is rewritten in place (same inode, longer, different first line).
    const rewritten = 'epoch,step,train_loss_step,val_loss\r\n0,0,1.0,\r\n0,1,0.9,\r\n0,1,,0.95\r\n';
    fs.writeFileSync(file, rewritten);
    expect(tail.read()).toEqual({ text: rewritten, reset: true });

    const acc = new MetricsCsvAccumulator();
    acc.push('epoch,step,train_loss_step\r\n0,0,1.0\r\n0,1,0.9\r\n');
    acc.reset();
    acc.push(rewritten);
    const r = acc.result();
    expect(r.columns).toContain('val_loss');
    expect(r.series.find((s) => s.metric === 'train_loss_step')?.length).toBe(2);
  });

  it('a truncated or replaced file starts over; a UTF-8 character split across reads is not mangled', () => {
    const file = path.join(dir, 'log.txt');
    const tail = new FileTail(file);
    fs.writeFileSync(file, 'first line\n');
    tail.read();
    fs.writeFileSync(file, 'x\n'); // shorter: truncated and rewritten
    expect(tail.read()).toEqual({ text: 'x\n', reset: true });
    const euro = Buffer.from('€', 'utf8'); // 3 bytes
    fs.appendFileSync(file, Buffer.concat([Buffer.from('cost '), euro.subarray(0, 1)]));
    expect(tail.read().text).toBe('cost ');
    fs.appendFileSync(file, Buffer.concat([euro.subarray(1), Buffer.from('5\n')]));
    expect(tail.read().text).toBe('€5\n');
    fs.rmSync(file);
    fs.writeFileSync(file, 'new file\n'); // a new inode
    expect(tail.read()).toEqual({ text: 'new file\n', reset: true });
  });
});
