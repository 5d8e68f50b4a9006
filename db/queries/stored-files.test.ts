/**
 * Bundle files stored in a real database (SQLite, and PostgreSQL when the
 * tests have a server: chunks are bytea there) and read back: text gzipped per
 * chunk, binary as is, reads across chunk boundaries, the per-file cap cut
 * (text: head and tail; binary: left out) and reported, paths that are not
 * plain bundle-relative ones never stored, and a deleted run's files gone.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db, Dialect } from '../client';
import { backends } from '../testing/backends';
import { openTempDb, type TempDb } from './testing';
import { analyseBundle } from '../../lib/evidence/analyse';
import { STORED_CHUNK_BYTES } from '../../lib/stored-files';
import { packBundleFiles, storedFileSource } from '../../server/stored-files';
import { deleteRun, saveRun } from './runs';
import { deleteStoredFiles, getStoredFile, hasStoredFiles, listStoredFiles, readStoredChunks, replaceStoredFiles, settleWithStoredFiles, storedFileTotals, type StoredFileInput } from './stored-files';

let t: TempDb;
let dir: string;
let bundle: string;
let db: Db;

function open(backend: Dialect) {
  beforeEach(async () => {
    t = await openTempDb('rp-stored-', backend);
    db = t.db;
    dir = t.dir;
    bundle = path.join(dir, 'bundle');
    fs.mkdirSync(bundle);
    await saveRun({ db, id: 'r1', sourceKey: 'k1', origin: 'imported', bundleDir: bundle, contentHash: 'h', evidence: analyseBundle([], { root: bundle, title: 'r1' }), series: [] });
  });
  afterEach(() => t.close());
}

/** Text of `n` bytes in numbered lines (compressible, like a log). */
function logText(n: number): Buffer {
  const lines: string[] = [];
  let len = 0;
  for (let i = 1; len < n; i++) {
    const l = `Epoch ${i}: train_loss=${(1 / i).toFixed(6)} step=${i * 17}\n`;
    lines.push(l);
    len += l.length;
  }
  return Buffer.from(lines.join('')).subarray(0, n);
}

async function storeAll(paths: string[], cap = 64 * 1024 * 1024) {
  const packed = packBundleFiles({ dir: bundle, paths, cap });
  await replaceStoredFiles({ db, runId: 'r1', files: packed.files });
  return packed;
}

async function readBack(p: string): Promise<Buffer> {
  const meta = (await getStoredFile({ db, runId: 'r1', path: p }))!;
  return storedFileSource(db, meta).read(0, meta.storedBytes);
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe.each(backends())('stored bundle files (%s)', (backend) => {
  open(backend);

  it('stores text gzipped per chunk and binary as read, and reads both back byte for byte', async () => {
    const log = logText(2.5 * STORED_CHUNK_BYTES);
    const bin = crypto.randomBytes(300_000);
    bin[10] = 0;
    fs.writeFileSync(path.join(bundle, 'train.log'), log);
    fs.writeFileSync(path.join(bundle, 'model.ckpt'), bin);
    fs.writeFileSync(path.join(bundle, 'empty.txt'), '');
    fs.mkdirSync(path.join(bundle, 'lightning_logs/version_0'), { recursive: true });
    fs.writeFileSync(path.join(bundle, 'lightning_logs/version_0/events.out.tfevents.1.host.1.0'), bin);
    const { problems } = await storeAll(['train.log', 'model.ckpt', 'empty.txt', 'lightning_logs/version_0/events.out.tfevents.1.host.1.0']);
    expect(problems).toEqual([]);

    const meta = (await getStoredFile({ db, runId: 'r1', path: 'train.log' }))!;
    expect(meta).toMatchObject({ encoding: 'gzip', cut: 'whole', sizeBytes: log.length, storedBytes: log.length, chunks: 3, sha256: sha(log) });
    expect(meta.encodedBytes).toBeLessThan(log.length / 3);
    // Each chunk is a gzip stream of its own: 1 MiB of the file each, the last the rest.
    const rows = await readStoredChunks({ db, runId: 'r1', path: 'train.log', first: 0, last: 9 });
    expect(rows.every((r) => Buffer.isBuffer(r.bytes))).toBe(true);
    expect(rows.map((r) => zlib.gunzipSync(r.bytes).length)).toEqual([STORED_CHUNK_BYTES, STORED_CHUNK_BYTES, log.length - 2 * STORED_CHUNK_BYTES]);
    expect((await readBack('train.log')).equals(log)).toBe(true);

    const ckpt = (await getStoredFile({ db, runId: 'r1', path: 'model.ckpt' }))!;
    expect(ckpt).toMatchObject({ encoding: 'identity', cut: 'whole', sizeBytes: bin.length, encodedBytes: bin.length, sha256: sha(bin) });
    expect((await readBack('model.ckpt')).equals(bin)).toBe(true);
    expect(await getStoredFile({ db, runId: 'r1', path: 'lightning_logs/version_0/events.out.tfevents.1.host.1.0' })).toMatchObject({ encoding: 'identity' });
    expect(await getStoredFile({ db, runId: 'r1', path: 'empty.txt' })).toMatchObject({ chunks: 0, storedBytes: 0, sha256: sha(Buffer.alloc(0)) });
    expect((await readBack('empty.txt')).length).toBe(0);
    expect((await listStoredFiles({ db, runId: 'r1' })).map((f) => f.path)).toEqual(['empty.txt', 'lightning_logs/version_0/events.out.tfevents.1.host.1.0', 'model.ckpt', 'train.log']);
    expect(await storedFileTotals({ db, runId: 'r1' })).toMatchObject({ files: 4, sizeBytes: log.length + 2 * bin.length });
  });

  it('reads any range across chunk boundaries as the file has it', async () => {
    const log = logText(3 * STORED_CHUNK_BYTES + 123);
    fs.writeFileSync(path.join(bundle, 'train.log'), log);
    await storeAll(['train.log']);
    const src = storedFileSource(db, (await getStoredFile({ db, runId: 'r1', path: 'train.log' }))!);
    const C = STORED_CHUNK_BYTES;
    for (const [start, len] of [
      [0, 10],
      [C - 5, 10],
      [C, 1],
      [C - 1, 1],
      [2 * C - 3, C + 6],
      [0, 3 * C + 123],
      [3 * C + 100, 1000],
      [3 * C + 123, 5],
    ]) {
      expect((await src.read(start, len)).equals(log.subarray(start, Math.min(log.length, start + len))), `range ${start}+${len}`).toBe(true);
    }
  });

  it('keeps the head and tail of a text file over the cap, leaves out a binary one, and reports both', async () => {
    const cap = 1024 * 1024;
    const log = logText(3 * cap);
    const bin = crypto.randomBytes(2 * cap);
    fs.writeFileSync(path.join(bundle, 'train.log'), log);
    fs.writeFileSync(path.join(bundle, 'weights.pt'), bin);
    const { problems } = await storeAll(['train.log', 'weights.pt'], cap);
    expect(problems.map((p) => p.file)).toEqual(['train.log', 'weights.pt']);
    expect(problems[0].message).toMatch(/3 MiB, over the 1 MiB per-file cap .*only its first and last 512 KiB are stored/);
    expect(problems[1].message).toMatch(/2 MiB, over the 1 MiB per-file cap .*not stored in the database/);

    const meta = (await getStoredFile({ db, runId: 'r1', path: 'train.log' }))!;
    expect(meta).toMatchObject({ cut: 'head-tail', sizeBytes: log.length, sha256: sha(log) });
    const text = (await readBack('train.log')).toString('utf8');
    const [head, tail] = text.split(/\n\[runproof: [\d,]+ bytes of this file were not stored in the database[^\n]*\n/);
    expect(log.toString('utf8').startsWith(head)).toBe(true);
    expect(log.toString('utf8').endsWith(tail)).toBe(true);
    expect(head.length).toBeGreaterThan(cap / 2 - 200);
    expect(tail.length).toBeGreaterThan(cap / 2 - 200);
    // Cut at line ends: the head ends a line, the tail starts one.
    expect(tail.startsWith('Epoch ')).toBe(true);
    expect(await getStoredFile({ db, runId: 'r1', path: 'weights.pt' })).toMatchObject({ cut: 'omitted', chunks: 0, sizeBytes: bin.length, sha256: sha(bin) });
  });

  it('never stores a path that is absolute, climbs out with .., or leads outside through a symbolic link', async () => {
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside');
    fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(bundle, 'link.txt'));
    fs.writeFileSync(path.join(bundle, 'ok.txt'), 'inside');
    const { files, problems } = packBundleFiles({ dir: bundle, paths: ['../secret.txt', path.join(dir, 'secret.txt'), 'a/../../secret.txt', 'link.txt', 'ok.txt', 'x\\..\\y'], cap: 1 << 20 });
    expect(files.map((f) => f.path)).toEqual(['ok.txt']);
    expect(problems.map((p) => p.file).sort()).toEqual([path.join(dir, 'secret.txt'), '../secret.txt', 'a/../../secret.txt', 'link.txt', 'x\\..\\y'].sort());
    expect(problems.find((p) => p.file === 'link.txt')!.message).toMatch(/outside the bundle/);
    // The query module refuses one that reaches it anyway, and writes nothing.
    const bad: StoredFileInput = { path: '../x', encoding: 'identity', cut: 'whole', sizeBytes: 1, storedBytes: 1, sha256: 'x', chunkBytes: STORED_CHUNK_BYTES, chunks: [Buffer.from('x')] };
    for (const p of ['../x', '/etc/passwd', 'a/./b', 'C:/x', 'a\0b'])
      await expect(replaceStoredFiles({ db, runId: 'r1', files: [...files, { ...bad, path: p }] })).rejects.toThrow(/refusing to store/);
    expect(await hasStoredFiles({ db, runId: 'r1' })).toBe(false);
    await replaceStoredFiles({ db, runId: 'r1', files });
    expect(await getStoredFile({ db, runId: 'r1', path: '../secret.txt' })).toBeUndefined();
    expect((await readBack('ok.txt')).toString()).toBe('inside');
  });

  it('settles and stores in one transaction: nothing stored when the settle declines, neither kept when either fails', async () => {
    fs.writeFileSync(path.join(bundle, 'a.txt'), 'a');
    const { files } = packBundleFiles({ dir: bundle, paths: ['a.txt'], cap: 1 << 20 });
    const rename = async (tx: Db, name: string) => (await tx.run(sql`UPDATE runs SET name = ${name} WHERE id = 'r1'`)) === 1;
    const name = async () => (await db.get<{ name: string | null }>(sql`SELECT name FROM runs WHERE id = 'r1'`))!.name;
    expect(await settleWithStoredFiles({ db, runId: 'r1', files, settle: async () => false })).toBe(false);
    expect(await hasStoredFiles({ db, runId: 'r1' })).toBe(false);
    await expect(
      settleWithStoredFiles({
        db,
        runId: 'r1',
        files,
        settle: async (tx) => {
          await rename(tx, 'half');
          throw new Error('settle failed');
        },
      }),
    ).rejects.toThrow('settle failed');
    const badFiles = [...files, { ...files[0], path: '../x' }];
    await expect(settleWithStoredFiles({ db, runId: 'r1', files: badFiles, settle: (tx) => rename(tx, 'half') })).rejects.toThrow(/refusing to store/);
    expect(await name()).toBeNull();
    expect(await hasStoredFiles({ db, runId: 'r1' })).toBe(false);
    expect(await settleWithStoredFiles({ db, runId: 'r1', files, settle: (tx) => rename(tx, 'done') })).toBe(true);
    expect(await name()).toBe('done');
    expect((await readBack('a.txt')).toString()).toBe('a');
  });

  it('replaces a run\u2019s files whole, and deleting the run deletes them and their chunks', async () => {
    fs.writeFileSync(path.join(bundle, 'a.txt'), 'a');
    fs.writeFileSync(path.join(bundle, 'b.txt'), 'b');
    await storeAll(['a.txt', 'b.txt']);
    await storeAll(['b.txt']);
    expect((await listStoredFiles({ db, runId: 'r1' })).map((f) => f.path)).toEqual(['b.txt']);
    expect((await deleteRun({ db, id: 'r1' })).ok).toBe(true);
    expect(await hasStoredFiles({ db, runId: 'r1' })).toBe(false);
    expect(await db.get(sql`SELECT count(*) AS n FROM stored_file_chunks`)).toEqual({ n: 0 });
    expect(await deleteStoredFiles({ db, runId: 'r1' })).toBe(0);
  });
});

describe.each(backends().filter((b) => b === 'postgres'))('stored bundle files on PostgreSQL (%s)', (backend) => {
  open(backend);

  it('keeps chunks as bytea, 1 MiB of a binary file each, read back as Buffers byte for byte', async () => {
    const [col] = await db.all<{ type: string }>(sql`SELECT data_type AS type FROM information_schema.columns WHERE table_name = 'stored_file_chunks' AND column_name = 'bytes'`);
    expect(col.type).toBe('bytea');
    // Every byte value, NUL and high bytes included, over two full chunks and a part.
    const bin = Buffer.alloc(2 * STORED_CHUNK_BYTES + 7, 0);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 131) % 256;
    fs.writeFileSync(path.join(bundle, 'weights.bin'), bin);
    await storeAll(['weights.bin']);
    const rows = await readStoredChunks({ db, runId: 'r1', path: 'weights.bin', first: 0, last: 9 });
    expect(rows.map((r) => [r.seq, Buffer.isBuffer(r.bytes), r.bytes.length])).toEqual([
      [0, true, STORED_CHUNK_BYTES],
      [1, true, STORED_CHUNK_BYTES],
      [2, true, 7],
    ]);
    expect((await readBack('weights.bin')).equals(bin)).toBe(true);
  });
});
