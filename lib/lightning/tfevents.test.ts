import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMetricsCsv, type ParsedMetrics } from './metrics-csv';
import { crc32c, isTfEventsFile, maskedCrc32c, parseTfEvents, readTfEvents, tfEventsToMetrics } from './tfevents';

const TB = join(__dirname, '..', '..', 'fixtures', 'tensorboard');

/** The one events file in a fixture folder (names carry the writer's time, host and pid). */
function eventsIn(dir: string): { path: string; bytes: Uint8Array } {
  const name = readdirSync(dir).find(isTfEventsFile);
  if (!name) throw new Error(`no events file in ${dir}`);
  return { path: name, bytes: new Uint8Array(readFileSync(join(dir, name))) };
}

const run = (name: string) => eventsIn(join(TB, name, 'lightning_logs', 'version_0'));
const csvOf = (name: string) => parseMetricsCsv(readFileSync(join(TB, `${name}-csv`, 'lightning_logs', 'version_0', 'metrics.csv'), 'utf8'));

/** plain-data view for deep equality (typed arrays → arrays; NaN equals NaN under toEqual) */
function plain(p: ParsedMetrics) {
  return {
    kind: p.kind,
    reason: p.reason,
    columns: p.columns,
    rowCount: p.rowCount,
    epochLevel: p.epochLevel,
    epochs: p.epochs,
    series: p.series.map((s) => ({ metric: s.metric, length: s.length, steps: Array.from(s.steps), epochs: Array.from(s.epochs), values: Array.from(s.values) })),
  };
}

// --- a tiny writer for hand-made records ------------------------------------

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const field = (num: number, wire: number) => varint(num * 8 + wire);
const lenDelim = (num: number, body: number[]) => [...field(num, 2), ...varint(body.length), ...body];
const bytesOf = (s: string) => Array.from(new TextEncoder().encode(s));
function f32(v: number): number[] {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return Array.from(b);
}
function f64(v: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return Array.from(b);
}
/** An Event with one simple_value scalar. */
function scalarEvent(tag: string, step: number, value: number): number[] {
  const val = [...lenDelim(1, bytesOf(tag)), ...field(2, 5), ...f32(value)];
  return [...field(1, 1), ...f64(1_700_000_000), ...field(2, 0), ...varint(step), ...lenDelim(5, lenDelim(1, val))];
}
function record(data: number[]): number[] {
  const d = new Uint8Array(data);
  const head = new Uint8Array(8);
  new DataView(head.buffer).setUint32(0, d.length, true);
  const crcs = new Uint8Array(8);
  const dv = new DataView(crcs.buffer);
  dv.setUint32(0, maskedCrc32c(head), true);
  dv.setUint32(4, maskedCrc32c(d), true);
  return [...head, ...crcs.subarray(0, 4), ...d, ...crcs.subarray(4)];
}
const file = (...records: number[][]) => new Uint8Array(records.flat());

// ---------------------------------------------------------------------------

describe('CRC-32C', () => {
  it('matches the standard check value and TFRecord masking', () => {
    const digits = new TextEncoder().encode('123456789');
    expect(crc32c(digits)).toBe(0xe3069283);
    // slicing-by-8 and the byte loop agree on every length
    const data = new Uint8Array(100).map((_, i) => (i * 37 + 11) & 0xff);
    for (let n = 0; n <= 100; n++) {
      let c = 0xffffffff;
      for (let i = 0; i < n; i++) {
        c ^= data[i];
        for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      }
      expect(crc32c(data, 0, n)).toBe((c ^ 0xffffffff) >>> 0);
    }
    const c = crc32c(digits);
    expect(maskedCrc32c(digits)).toBe(((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0);
  });
});

describe('real Lightning runs: TensorBoardLogger reads back as the CSVLogger of the same fit', () => {
  for (const name of ['basic', 'nan', 'slash']) {
    it(`${name}: same epochs, series and values as metrics.csv`, () => {
      const tb = parseTfEvents([run(name)]);
      const csv = csvOf(name);
      expect(tb.problems).toEqual([]);
      expect(csv.problems).toEqual([]);
      expect(plain(tb)).toEqual(plain(csv));
      expect(tb.epochs.map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
    });
  }

  it('basic: the monitored val_loss per epoch, step = S_e, and the _step/_epoch fork', () => {
    const tb = parseTfEvents([run('basic')]);
    expect(tb.kind).toBe('lightning');
    expect(tb.columns).toEqual(['train_loss', 'train_mae_epoch', 'train_mae_step', 'val_loss']);
    expect(tb.epochs.map((e) => e.step)).toEqual([7, 15, 23, 31]);
    expect(tb.epochs.map((e) => e.metrics.val_loss)).toEqual([3.928579330444336, 1.1964211463928223, 0.3800402879714966, 0.1277647316455841]);
    expect(tb.epochLevel).toContain('val_loss');
    expect(tb.epochLevel).toContain('train_mae_epoch');
    expect(tb.epochLevel).not.toContain('train_loss');
    const train = tb.series.find((s) => s.metric === 'train_loss')!;
    expect(Array.from(train.steps)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]);
    expect(Array.from(train.epochs)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  });

  it('reads the raw scalars, hp_metric included, and leaves the hp_metric placeholder out of the metrics', () => {
    const s = readTfEvents(run('basic').bytes, 'x');
    expect(s.fileVersion).toBe('brain.Event:2');
    expect(s.records).toBe(69);
    expect(s.tags).toEqual(['hp_metric', 'train_loss', 'train_mae_step', 'epoch', 'val_loss', 'train_mae_epoch']);
    const hp = s.tags.indexOf('hp_metric');
    expect(Array.from(s.values).filter((_, i) => s.tag[i] === hp)).toEqual([-1]);
    expect(s.wallTimes[0]).toBeGreaterThan(1.6e9);
    expect(tfEventsToMetrics([s]).columns).not.toContain('hp_metric');
  });

  it('nan: a NaN train loss step and a NaN val loss epoch stay NaN', () => {
    const tb = parseTfEvents([run('nan')]);
    const train = tb.series.find((s) => s.metric === 'train_loss')!;
    expect(Number.isNaN(train.values[Array.from(train.steps).indexOf(5)])).toBe(true);
    expect(Number.isNaN(tb.epochs[2].metrics.val_loss)).toBe(true);
    expect(Number.isFinite(tb.epochs[3].metrics.val_loss)).toBe(true);
  });

  it('slash: metric names with "/" are columns as Lightning wrote them', () => {
    const tb = parseTfEvents([run('slash')]);
    expect(tb.columns).toEqual(['train/loss', 'train_mae_epoch', 'train_mae_step', 'val/loss']);
    expect(tb.epochs.every((e) => Number.isFinite(e.metrics['val/loss']))).toBe(true);
  });
});

describe('damaged files', () => {
  const basic = parseTfEvents([run('basic')]);

  it('a torn last record is reported with its byte offset; the records before it are kept', () => {
    const torn = eventsIn(join(TB, 'torn'));
    const s = readTfEvents(torn.bytes, torn.path);
    expect(s.records).toBe(68);
    expect(s.validBytes).toBe(3411);
    expect(s.problems).toHaveLength(1);
    expect(s.problems[0].file).toBe(torn.path);
    expect(s.problems[0].message).toMatch(/^torn last record at byte 3411: 19 of its 43 bytes/);
    expect(s.problems[0].message).toMatch(/the 68 records before it are kept/);
    const m = tfEventsToMetrics([s]);
    expect(m.problems).toEqual(s.problems);
    expect(m.epochs.map((e) => e.metrics.val_loss)).toEqual(basic.epochs.map((e) => e.metrics.val_loss));
    // the cut record was the `epoch` point closing the last train_mae_epoch row: that row has no epoch of its own
    expect(m.epochs[3].metrics.train_mae_epoch).toBeUndefined();
  });

  it('a record with a bad data CRC is reported and skipped; the records after it are read', () => {
    const bad = eventsIn(join(TB, 'badcrc'));
    const m = parseTfEvents([bad]);
    expect(m.problems).toEqual([{ file: bad.path, line: null, message: 'record at byte 1755 (30 bytes): data CRC mismatch; record skipped' }]);
    expect(m.scalars[0].records).toBe(69);
    expect(m.epochs.map((e) => e.metrics.val_loss)).toEqual([basic.epochs[0].metrics.val_loss, undefined, basic.epochs[2].metrics.val_loss, basic.epochs[3].metrics.val_loss]);
  });

  it('cut at every byte: never throws, keeps every whole record, reports one torn record', () => {
    const { bytes } = run('basic');
    const whole = readTfEvents(bytes);
    for (let n = 0; n < bytes.length; n++) {
      const s = readTfEvents(bytes.subarray(0, n), 'cut');
      expect(s.validBytes).toBeLessThanOrEqual(n);
      if (n === s.validBytes) expect(s.problems).toEqual([]);
      else {
        expect(s.problems).toHaveLength(1);
        expect(s.problems[0].message).toContain(`torn last record at byte ${s.validBytes}:`);
      }
      expect(Array.from(s.values)).toEqual(Array.from(whole.values).slice(0, s.length));
    }
  });

  it('a bad length CRC ends the file with a problem; earlier records are kept', () => {
    const a = record(scalarEvent('val_loss', 1, 0.5));
    const b = record(scalarEvent('val_loss', 2, 0.25));
    b[9] ^= 0xff;
    const s = readTfEvents(file(a, b, record(scalarEvent('val_loss', 3, 0.125))), 'f');
    expect(s.length).toBe(1);
    expect(s.problems.map((p) => p.message)).toEqual([
      `record at byte ${a.length}: length CRC mismatch, so no later record can be found; the last ${2 * b.length} bytes are ignored, the 1 record before are kept`,
    ]);
  });

  it('a record that frames and checks but is not an Event is reported; the rest go on', () => {
    const junk = record([0x0a, 0x50, 1, 2]); // field 1 as a length-delimited field running past the end
    const s = readTfEvents(file(record(scalarEvent('loss', 1, 1)), junk, record(scalarEvent('loss', 2, 2))), 'f');
    expect(Array.from(s.values)).toEqual([1, 2]);
    expect(s.problems).toHaveLength(1);
    expect(s.problems[0].message).toMatch(/^record at byte \d+ \(4 bytes\): not a readable Event/);
  });

  it('problems are capped at 50 plus a count of the rest', () => {
    const recs: number[][] = [];
    for (let i = 0; i < 60; i++) {
      const r = record(scalarEvent('loss', i, i));
      r[r.length - 1] ^= 1;
      recs.push(r);
    }
    const s = readTfEvents(file(...recs), 'f');
    expect(s.problems).toHaveLength(51);
    expect(s.problems[50].message).toBe('10 more problems');
  });
});

describe('scalar encodings and rows', () => {
  it('TF2-style tensors under the scalars plugin (float32 and float64), with `epoch` per step', () => {
    const m = parseTfEvents([eventsIn(join(TB, 'tensor-style'))]);
    expect(m.problems).toEqual([]);
    expect(m.columns).toEqual(['loss', 'precise']);
    const loss = m.series.find((s) => s.metric === 'loss')!;
    expect(Array.from(loss.values)).toEqual([1, 0.5, 1 / 3, 0.25, 0.2, 1 / 6].map(Math.fround));
    const precise = m.series.find((s) => s.metric === 'precise')!;
    expect(Array.from(precise.values)).toEqual([0, 1, 2, 3, 4, 5].map((k) => 1 / 3 + k));
    expect(m.epochs.map((e) => [e.epoch, e.step])).toEqual([
      [0, 1],
      [1, 3],
      [2, 5],
    ]);
  });

  it('tensors of other plugins (text, histograms) are not scalars', () => {
    const meta = (plugin: string) => lenDelim(9, lenDelim(1, lenDelim(1, bytesOf(plugin))));
    const tensor = lenDelim(8, [...field(1, 0), 1, ...lenDelim(5, f32(7))]);
    const ev = (tag: string, plugin: string) => [...field(2, 0), 1, ...lenDelim(5, lenDelim(1, [...lenDelim(1, bytesOf(tag)), ...meta(plugin), ...tensor]))];
    const s = readTfEvents(file(record(ev('note', 'text')), record(ev('acc', 'scalars'))), 'f');
    expect(s.tags).toEqual(['acc']);
    expect(Array.from(s.values)).toEqual([7]);
  });

  it('rows: a new step, a repeated tag or an `epoch` point ends a row; odd names are quoted', () => {
    const s = readTfEvents(
      file(
        record(scalarEvent('a,"b"', 0, 1)),
        record(scalarEvent('epoch', 0, 0)),
        record(scalarEvent('a,"b"', 0, 2)), // same step, after the epoch point: a new row
        record(scalarEvent('a,"b"', 0, 3)), // repeated tag: another row
        record(scalarEvent('step', 1, 9)), // never a metric
      ),
      'f',
    );
    const m = tfEventsToMetrics([s]);
    expect(m.columns).toEqual(['a,"b"']);
    expect(m.rowCount).toBe(3);
    expect(m.epochs).toEqual([{ epoch: 0, step: 0, metrics: { 'a,"b"': 1 } }]);
    expect(m.problems.map((p) => p.message)).toEqual(['scalar tag "step" cannot be a metric column; its points are left out']);
  });

  it('several files are read in name order as one run', () => {
    const one = file(record(scalarEvent('val_loss', 3, 0.5)), record(scalarEvent('epoch', 3, 0)));
    const two = file(record(scalarEvent('val_loss', 7, 0.25)), record(scalarEvent('epoch', 7, 1)));
    const m = parseTfEvents([
      { path: 'events.out.tfevents.1700000002.h.1.0', bytes: two },
      { path: 'events.out.tfevents.1700000001.h.1.0', bytes: one },
    ]);
    expect(m.epochs.map((e) => [e.epoch, e.step, e.metrics.val_loss])).toEqual([
      [0, 3, 0.5],
      [1, 7, 0.25],
    ]);
  });

  it('no scalars: empty with a reason', () => {
    const version = [...field(1, 1), ...f64(1), ...lenDelim(3, bytesOf('brain.Event:2'))];
    const m = parseTfEvents([{ path: 'e', bytes: file(record(version)) }]);
    expect(m.kind).toBe('empty');
    expect(m.reason).toBe('no scalar summaries in the events file');
    expect(m.scalars[0].fileVersion).toBe('brain.Event:2');
    expect(parseTfEvents([]).reason).toBe('no events files');
  });

  it('names events files the way writers do', () => {
    expect(isTfEventsFile('lightning_logs/version_0/events.out.tfevents.1796019463.vm.11929.0')).toBe(true);
    expect(isTfEventsFile('events.out.tfevents.1700000000.host')).toBe(true);
    expect(isTfEventsFile('metrics.csv')).toBe(false);
    expect(isTfEventsFile('my.events.out.tfevents.1')).toBe(false);
  });
});
