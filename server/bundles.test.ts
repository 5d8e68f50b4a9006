import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db, Dialect } from '../db/client';
import { openTempDb, type TempDb } from '../db/queries/testing';
import { backends } from '../db/testing/backends';
import { getRunEvidence, getRunSeries, listRuns } from '../db/queries/runs';
import { discoverBundles, importBundles, readBundle, showBundle } from './bundles';
import { getJudgedRunEvidence } from './plans';
import { PTYCHO, RUNTIME_SMOKE } from '../fixtures/test-helpers';

let tmp: string;
const opened: TempDb[] = [];

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-import-'));
});
afterEach(async () => {
  for (const t of opened.splice(0)) await t.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A fresh database of `backend`, closed and removed after the test. */
async function openTestDb(backend: Dialect): Promise<Db> {
  const t = await openTempDb('rp-import-db-', backend);
  opened.push(t);
  return t.db;
}

describe.each(backends())('runproof import (%s)', (backend) => {
  it('imports every bundle of the PtychoPINN tree, crashes on none, and a second import adds nothing', async () => {
    const db = await openTestDb(backend);
    const lines: string[] = [];
    const first = await importBundles({ db, roots: [PTYCHO], onProgress: (l) => lines.push(l) });
    const bundles = discoverBundles([PTYCHO]);
    expect(bundles.length).toBeGreaterThanOrEqual(14);
    expect(first.added).toBe(bundles.length);
    expect(first.runs.every((r) => r.action === 'added')).toBe(true);
    expect(lines).toHaveLength(bundles.length);
    expect(lines[0]).toMatch(/^\[1\/\d+\] added/);
    // folders with several logs become one run per log
    expect(
      first.runs
        .filter((r) => r.dir.endsWith('pytorch_cli_smoke_training'))
        .map((r) => r.logFile)
        .sort(),
    ).toEqual(['train.log', 'train_clean.log', 'train_cuda_default.log']);

    const second = await importBundles({ db, roots: [PTYCHO] });
    expect(second).toMatchObject({ added: 0, updated: 0, unchanged: bundles.length });
    expect((await listRuns({ db })).total).toBe(bundles.length);
  });

  it('stores the evidence document, per-step series and summary columns', async () => {
    const db = await openTestDb(backend);
    const r = await importBundles({ db, roots: [RUNTIME_SMOKE] });
    const id = r.runs[0].id;
    // As the page and the API serve it (plan rows judged) = what `runproof show <folder>` prints.
    const stored = (await getJudgedRunEvidence({ db, id }))!;
    expect(stored.evidence).toEqual(showBundle(RUNTIME_SMOKE));
    expect(stored.run).toMatchObject({
      status: 'succeeded',
      epochsRun: 6,
      maxEpochs: 6,
      monitor: 'poisson_val_loss',
      bestEpoch: 5,
      checksFail: 2,
      acceleratorResolved: 'cpu',
      initiative: 'ADR-003-BACKEND-API',
      durationMs: 14750,
    });
    // Two: checkpoints, and knobs against the brief that asks for EB4.A (--gridsize 3; the run used 2).
    expect(stored.evidence.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['checkpoints', 'knobs']);
    expect(stored.run.startedAt).toBe(Date.UTC(2025, 9, 24, 6, 15, 0));
    const series = await getRunSeries({ db, runId: id });
    const step = series.find((s) => s.metric === 'poisson_train_loss_step')!;
    expect(step.steps.length).toBe(96);
    expect(step.values[0]).toBeCloseTo(60269.254, 3);
  });

  it('updates a changed bundle, and reports a bad file with path and line while keeping the rest', async () => {
    const bundle = path.join(tmp, 'plans', 'active', 'DEMO', 'reports', '2026-01-01T000000Z', 'smoke');
    fs.mkdirSync(bundle, { recursive: true });
    for (const f of ['metrics.csv', 'train_cli_runtime_smoke.log', 'checkpoints_ls.txt', 'summary.md']) fs.copyFileSync(path.join(RUNTIME_SMOKE, f), path.join(bundle, f));
    const db = await openTestDb(backend);
    expect((await importBundles({ db, roots: [tmp] })).added).toBe(1);

    // Damage metrics.csv: a junk record in the middle and a truncated last line.
    const csv = fs.readFileSync(path.join(bundle, 'metrics.csv'), 'utf8').split('\r\n');
    csv.splice(10, 0, 'garbage,,,');
    fs.writeFileSync(path.join(bundle, 'metrics.csv'), csv.join('\r\n').replace(/\r\n$/, '') + '\r\n5,0.001,0.');
    const again = await importBundles({ db, roots: [tmp] });
    expect(again).toMatchObject({ added: 0, updated: 1, unchanged: 0 });
    const p = again.problems.find((x) => x.file.endsWith('metrics.csv') && x.line === 11);
    expect(p, JSON.stringify(again.problems)).toBeTruthy();
    const ev = (await getRunEvidence({ db, id: again.runs[0].id }))!.evidence;
    expect(ev.epochs).toHaveLength(6); // nothing else lost
    expect(ev.checks.find((c) => c.id === 'checkpoints')!.status).toBe('fail');
  });

  it('reports an unreadable log as a problem with its path, and goes on', async () => {
    const good = path.join(tmp, 'a');
    const bad = path.join(tmp, 'b');
    fs.mkdirSync(good);
    fs.mkdirSync(bad);
    fs.copyFileSync(path.join(RUNTIME_SMOKE, 'train_cli_runtime_smoke.log'), path.join(good, 'train.log'));
    fs.writeFileSync(path.join(bad, 'train.log'), Buffer.from([0x47, 0x50, 0x55, 0x0a, 0xff, 0xfe, 0x00, 0x0a]));
    const db = await openTestDb(backend);
    const r = await importBundles({ db, roots: [tmp] });
    expect(r.added).toBe(2);
    expect(r.problems).toContainEqual(expect.objectContaining({ file: expect.stringMatching(/b\/train\.log$/), line: 2, message: expect.stringContaining('invalid UTF-8') }));
  });
});

describe.each(backends())('listing runs (%s)', (backend) => {
  it('filters, searches and pages in SQL', async () => {
    const db = await openTestDb(backend);
    await importBundles({ db, roots: [PTYCHO] });
    const all = await listRuns({ db, pageSize: 5 });
    expect(all.rows).toHaveLength(5);
    const page2 = await listRuns({ db, pageSize: 5, page: 2 });
    expect(page2.rows[0].id).not.toBe(all.rows[0].id);
    expect((await listRuns({ db, status: 'failed' })).rows.every((r) => r.status === 'failed')).toBe(true);
    expect((await listRuns({ db, verdict: 'fail' })).rows.every((r) => r.verdict === 'fail')).toBe(true);
    const hit = await listRuns({ db, q: 'runtime_smoke' });
    expect(hit.total).toBe(1);
    expect((await listRuns({ db, q: '100%_' })).total).toBe(0);
    expect((await listRuns({ db, initiative: 'ADR-003-BACKEND-API' })).rows.every((r) => r.initiative === 'ADR-003-BACKEND-API')).toBe(true);
  });
});

describe.each(backends())('import stays inside the bundle (%s)', (backend) => {
  /** A bundle with a real log, and a secret beside it that links point at. */
  function bundleWithSecret() {
    const bundle = path.join(tmp, 'tree', 'run1');
    fs.mkdirSync(bundle, { recursive: true });
    fs.copyFileSync(path.join(RUNTIME_SMOKE, 'train_cli_runtime_smoke.log'), path.join(bundle, 'train.log'));
    const secret = path.join(tmp, 'secret');
    fs.mkdirSync(secret);
    fs.writeFileSync(path.join(secret, 'id_rsa'), 'SECRET-KEY-MATERIAL python -m evil --token SECRET\n');
    fs.writeFileSync(path.join(secret, 'metrics.csv'), 'epoch,step,SECRET_val_loss\n0,1,0.5\n');
    return { bundle, secret: path.join(secret, 'id_rsa'), secretDir: secret };
  }

  it.each(['command.txt', 'train_extra.log', 'metrics.csv', 'checkpoints_ls.txt', 'summary.md', 'notes.txt', 'model.ckpt'])(
    'reports %s linking out of the bundle and reads nothing from it',
    async (name) => {
      const { bundle, secret, secretDir } = bundleWithSecret();
      fs.symlinkSync(name === 'metrics.csv' ? path.join(secretDir, 'metrics.csv') : secret, path.join(bundle, name));
      const db = await openTestDb(backend);
      const r = await importBundles({ db, roots: [path.join(tmp, 'tree')] });
      expect(r.failed).toBe(0);
      expect(r.problems).toContainEqual(
        expect.objectContaining({ file: expect.stringMatching(new RegExp(`run1/${name.replace('.', '\\.')}$`)), message: 'symbolic link to a file outside the bundle, not read' }),
      );
      const stored = (await getRunEvidence({ db, id: r.runs[0].id }))!;
      const doc = JSON.stringify(stored.evidence);
      expect(doc).not.toContain('SECRET');
      // Not listed as a bundle file either: it is not part of the bundle.
      expect(stored.evidence.files.map((f) => f.path)).not.toContain(name);
      expect(stored.evidence.problems).toContainEqual({ file: name, line: null, message: 'symbolic link to a file outside the bundle, not read' });
    },
  );

  it('reads a symlink that stays inside the bundle, and reports links to outside folders and to nothing', async () => {
    const { bundle } = bundleWithSecret();
    fs.mkdirSync(path.join(bundle, 'cmd'));
    fs.writeFileSync(path.join(bundle, 'cmd', 'real-command.txt'), 'python -m ptycho_torch.train --max_epochs 6 --gridsize 2\n');
    fs.symlinkSync('cmd/real-command.txt', path.join(bundle, 'command.txt'));
    fs.symlinkSync(os.tmpdir(), path.join(bundle, 'outside-dir'));
    fs.symlinkSync(path.join(bundle, 'nowhere'), path.join(bundle, 'dangling.txt'));
    const read = readBundle(bundle);
    expect(read.files.find((f) => f.path === 'command.txt')?.text).toContain('--gridsize 2');
    expect(read.problems).toContainEqual({ file: 'outside-dir', line: null, message: 'symbolic link to a folder outside the bundle, not read' });
    expect(read.problems).toContainEqual(expect.objectContaining({ file: 'dangling.txt', message: expect.stringContaining('cannot read') }));
    expect(showBundle(bundle).command?.argv).toContain('--gridsize');
  });

  it('refuses a link through a linked folder that leads outside (a parent swapped for a link)', async () => {
    const { bundle, secretDir } = bundleWithSecret();
    // sub -> outside; metrics.csv -> sub/metrics.csv: the link's text stays "inside", its target does not.
    fs.symlinkSync(secretDir, path.join(bundle, 'sub'));
    fs.symlinkSync('sub/metrics.csv', path.join(bundle, 'metrics.csv'));
    const read = readBundle(bundle);
    expect(read.files.map((f) => f.path)).toEqual(['train.log']);
    expect(read.problems).toContainEqual({ file: 'metrics.csv', line: null, message: 'symbolic link to a file outside the bundle, not read' });
  });

  it('reads a log too big to read whole as its head and tail, with true line numbers for the cut', async () => {
    const bundle = path.join(tmp, 'big');
    fs.mkdirSync(bundle);
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i + 1} ${'x'.repeat(40)}`);
    lines[10] = 'GPU available: True (cuda), used: True';
    lines[4990] = '`Trainer.fit` stopped: `max_epochs=6` reached.';
    fs.writeFileSync(path.join(bundle, 'train.log'), `${lines.join('\n')}\n`);
    const limits = { logWholeBytes: 64 * 1024, logPartBytes: 16 * 1024 };
    const read = readBundle(bundle, limits);
    const { text, tail } = read.files[0];
    expect(text!.length + tail!.text.length).toBeLessThanOrEqual(32 * 1024);
    expect(text!.startsWith('line 1 ')).toBe(true);
    expect(text).toContain('GPU available: True (cuda), used: True');
    // Whole lines at both cuts, and the tail numbered as in the file.
    expect(text!.endsWith('\n')).toBe(true);
    const headLines = text!.split('\n').length - 1;
    expect(text!.split('\n')[headLines - 1]).toBe(lines[headLines - 1]);
    expect(tail!.text.split('\n')[0]).toBe(lines[tail!.firstLine - 1]);
    expect(tail!.text.endsWith(`${lines[4999]}\n`)).toBe(true);
    expect(tail!.firstLine).toBeGreaterThan(headLines + 1);
    // The analysis sees both ends (the accelerator near the top, the normal end near the bottom) and names the cut.
    const db = await openTestDb(backend);
    const r = await importBundles({ db, roots: [bundle], limits });
    const ev = (await getRunEvidence({ db, id: r.runs[0].id }))!.evidence;
    expect(ev.accelerator.resolved).toBe('gpu');
    expect(ev.stop.reason).toBe('max_epochs');
    expect(ev.problems).toContainEqual(
      expect.objectContaining({
        file: 'train.log',
        line: headLines + 1,
        message: expect.stringContaining(`lines ${(headLines + 1).toLocaleString('en')}–${(tail!.firstLine - 1).toLocaleString('en')} not parsed`),
      }),
    );
  });

  it('reads a 600 MB log as its ends only, never the whole file', async () => {
    const bundle = path.join(tmp, 'huge');
    fs.mkdirSync(bundle);
    const file = path.join(bundle, 'train.log');
    fs.writeFileSync(file, 'GPU available: False, used: False\nstarting\n');
    // Sparse middle: 600 MB on paper, no disk, no newline.
    fs.truncateSync(file, 600 * 1024 * 1024);
    fs.appendFileSync(file, '\nepoch 5 done\n`Trainer.fit` stopped: `max_epochs=6` reached.\n');
    const before = process.memoryUsage().rss;
    const read = readBundle(bundle);
    const f = read.files[0];
    expect(f.sizeBytes).toBeGreaterThan(600 * 1024 * 1024);
    expect(f.text).toBe('GPU available: False, used: False\nstarting\n');
    expect(f.tail).toEqual({ text: 'epoch 5 done\n`Trainer.fit` stopped: `max_epochs=6` reached.\n', firstLine: 4 });
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
    const ev = showBundle(bundle);
    expect(ev.stop.reason).toBe('max_epochs');
    expect(ev.problems).toContainEqual(expect.objectContaining({ file: 'train.log', line: 3, message: expect.stringContaining('lines 3–3 not parsed') }));
  });

  it('lists and reports a text file too big to read, without reading it', async () => {
    const { bundle } = bundleWithSecret();
    fs.writeFileSync(path.join(bundle, 'metrics.csv'), 'epoch,step,val_loss\n'.padEnd(4096, '0'));
    const read = readBundle(bundle, { maxTextBytes: 1024 });
    expect(read.files.find((f) => f.path === 'metrics.csv')).toEqual({ path: 'metrics.csv', sizeBytes: 4096, text: null });
    expect(read.problems).toContainEqual({ file: 'metrics.csv', line: null, message: '4096 bytes, over the 1024 bytes read for a text file: listed, not read' });
  });
});

describe.each(backends())('import never skips silently (%s)', (backend) => {
  it('imports a folder whose only log is a link out (reported), and says which linked folders it did not follow', async () => {
    const tree = path.join(tmp, 'tree');
    fs.mkdirSync(path.join(tree, 'only-link'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'elsewhere.log'), 'ERROR: SECRET\n');
    fs.symlinkSync(path.join(tmp, 'elsewhere.log'), path.join(tree, 'only-link', 'train.log'));
    fs.mkdirSync(path.join(tmp, 'outside-bundle'));
    fs.copyFileSync(path.join(RUNTIME_SMOKE, 'train_cli_runtime_smoke.log'), path.join(tmp, 'outside-bundle', 'train.log'));
    fs.symlinkSync(path.join(tmp, 'outside-bundle'), path.join(tree, 'linked-folder'));
    const db = await openTestDb(backend);
    const r = await importBundles({ db, roots: [tree] });
    expect(r.runs.map((x) => [path.basename(x.dir), x.action])).toEqual([['only-link', 'added']]);
    expect(r.problems).toContainEqual({ file: expect.stringMatching(/only-link\/train\.log$/), line: null, message: 'symbolic link to a file outside the bundle, not read' });
    expect(r.problems).toContainEqual({
      file: expect.stringMatching(/tree\/linked-folder$/),
      line: null,
      message: 'symbolic link to a folder, not followed: import the folder it points to by its own path',
    });
    expect(JSON.stringify(await getRunEvidence({ db, id: r.runs[0].id }))).not.toContain('SECRET');
  });

  it('reports a bundle that cannot be imported with its path and the error, counts it, and imports the rest', async () => {
    for (const n of ['a', 'b', 'c']) {
      fs.mkdirSync(path.join(tmp, 'tree', n), { recursive: true });
      fs.copyFileSync(path.join(RUNTIME_SMOKE, 'train_cli_runtime_smoke.log'), path.join(tmp, 'tree', n, 'train.log'));
    }
    const db = await openTestDb(backend);
    const lines: string[] = [];
    // The folder of b vanishes after discovery, while a is imported.
    const r = await importBundles({
      db,
      roots: [path.join(tmp, 'tree')],
      onProgress: (l) => {
        lines.push(l);
        if (lines.length === 1) fs.rmSync(path.join(tmp, 'tree', 'b'), { recursive: true });
      },
    });
    expect(r).toMatchObject({ added: 2, failed: 1 });
    expect(r.runs.map((x) => x.action)).toEqual(['added', 'failed', 'added']);
    expect(r.runs[1].error).toMatch(/ENOENT/);
    expect(r.problems).toContainEqual({ file: expect.stringMatching(/tree\/b$/), line: null, message: expect.stringMatching(/^bundle not imported: .*ENOENT/) });
    expect(lines[1]).toMatch(/^\[2\/3\] FAILED +.*tree\/b: .*ENOENT/);
  });
});
