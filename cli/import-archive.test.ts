/**
 * `runproof import --archive` in a real child process: the run's files go
 * into the database, so after the bundle folder is deleted the real file
 * route still serves them (and only them), the run page does not call the
 * folder missing, a file over the cap is a problem of the run, and the same
 * bundle imported without --archive loses its files with its folder. On
 * SQLite, and on PostgreSQL when RUNPROOF_TEST_DATABASE_URL is set (the
 * child gets the database's URL through the environment makeTestEnv sets).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { NextRequest } from 'next/server';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Dialect } from '../db/client';
import { backends } from '../db/testing/backends';
import { getRunEvidence } from '../db/queries/runs';
import { getStoredFile, listStoredFiles } from '../db/queries/stored-files';
import { RUNTIME_SMOKE } from '../fixtures/test-helpers';
import { makeTestEnv, type TestEnv } from '../workers/testing';
import { GET as getFile } from '../app/api/runs/[id]/files/[...path]/route';
import { loadFilesStored } from '../app/_lib/data';

const BIN = path.resolve(__dirname, '..', 'bin', 'runproof.mjs');
const LOG = 'train_cli_runtime_smoke.log';

let env: TestEnv | null = null;
afterEach(async () => {
  await env?.cleanup();
  env = null;
});

function runproof(e: TestEnv, args: string[], extra: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, RUNPROOF_DB: e.dbPath, ...extra }, encoding: 'utf8', timeout: 60_000 });
}

/** A copy of the runtime smoke bundle that the test may delete, with one text file over a 1 MiB cap. */
function copyBundle(e: TestEnv, name: string): string {
  const dir = path.join(e.dir, name, 'runtime_smoke');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(RUNTIME_SMOKE)) fs.copyFileSync(path.join(RUNTIME_SMOKE, f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'x'.repeat(99) + '\n'.repeat(1) + 'line\n'.repeat(300_000));
  return dir;
}

const file = (id: string, ...p: string[]) => getFile(new NextRequest(`http://127.0.0.1/api/runs/${id}/files/${p.join('/')}`), { params: Promise.resolve({ id, path: p }) });

describe.each(backends())('runproof import --archive (%s)', (backend: Dialect) => {
  it('stores the files in the database: after the folder is deleted the route serves them byte for byte, and only them', async () => {
    env = await makeTestEnv({}, backend);
    const dir = copyBundle(env, 'a');
    const onDisk = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f))]));
    const r = runproof(env, ['import', dir, '--archive', '--json'], { RUNPROOF_STORED_FILE_MAX_BYTES: String(1024 * 1024) });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.added).toBe(1);
    expect(out.runs[0]).toMatchObject({ action: 'added', archived: true });
    expect(out.archived).toMatchObject({ runs: 1, files: 6 });
    const id: string = out.runs[0].id;
    // The cap: notes.txt (1.4 MiB) is kept as head and tail, and the run says so.
    const cut = out.problems.find((p: { file: string }) => p.file.endsWith('notes.txt'));
    expect(cut?.message).toMatch(/over the 1 MiB per-file cap .*only its first and last 512 KiB are stored/);
    expect((await getRunEvidence({ db: env.db, id }))!.evidence.problems.map((p) => p.file)).toContain('notes.txt');
    expect((await listStoredFiles({ db: env.db, runId: id })).map((f) => `${f.path} ${f.encoding} ${f.cut}`)).toEqual([
      'checkpoints_ls.txt gzip whole',
      'lightning_tree.txt gzip whole',
      'metrics.csv gzip whole',
      'notes.txt gzip head-tail',
      'summary.md gzip whole',
      `${LOG} gzip whole`,
    ]);

    fs.rmSync(dir, { recursive: true });
    expect(await loadFilesStored(id)).toBe(true);
    for (const name of [LOG, 'metrics.csv', 'summary.md']) {
      const res = await file(id, name);
      expect(res.status, name).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(onDisk[name]), name).toBe(true);
      expect(res.headers.get('content-length')).toBe(String(onDisk[name].length));
    }
    const notes = await file(id, 'notes.txt');
    expect(await notes.text()).toMatch(/^x{99}\nline\n[\s\S]*\[runproof: [\d,]+ bytes of this file were not stored[\s\S]*line\n$/);
    expect((await getStoredFile({ db: env.db, runId: id, path: 'notes.txt' }))!.sizeBytes).toBe(onDisk['notes.txt'].length);
    // Nothing outside the stored bundle: a path it does not hold, or one that climbs out, is refused.
    expect((await file(id, 'evidence.json')).status).toBe(404);
    for (const p of [['..', 'a', 'runtime_smoke', LOG], ['%2e%2e', LOG], ['/etc/passwd'], ['%252e%252e', '%252e%252e', 'etc', 'passwd']]) {
      const res = await file(id, ...p);
      expect([400, 404], p.join('/')).toContain(res.status);
    }
  });

  it('without --archive the files stay on disk only: a deleted folder takes them along', async () => {
    env = await makeTestEnv({}, backend);
    const dir = copyBundle(env, 'b');
    const r = runproof(env, ['import', dir, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const id: string = out.runs[0].id;
    expect(out.archived.runs).toBe(0);
    expect((await file(id, LOG)).status).toBe(200);
    fs.rmSync(dir, { recursive: true });
    expect(await loadFilesStored(id)).toBe(false);
    const gone = await file(id, LOG);
    expect(gone.status).toBe(404);
    expect((await gone.json()).error).toMatch(/bundle folder missing/);

    // Archiving it later needs the folder back; an unchanged bundle is then stored all the same.
    const again = copyBundle(env, 'b');
    const r2 = runproof(env, ['import', again, '--archive']);
    expect(r2.status, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/stored in the database: 6 files of 1 run, [\d.]+ MiB on disk as [\d.]+ MiB \(\d+ ms\)/);
    fs.rmSync(again, { recursive: true });
    expect((await file(id, LOG)).status).toBe(200);
  });

  it('refuses a cap it cannot use, naming the variable, before importing anything', async () => {
    env = await makeTestEnv({}, backend);
    const dir = copyBundle(env, 'c');
    const r = runproof(env, ['import', dir, '--archive'], { RUNPROOF_STORED_FILE_MAX_BYTES: '1000' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/RUNPROOF_STORED_FILE_MAX_BYTES: must be a whole number of bytes, at least 1048576/);
    expect(Number((await env.db.get<{ n: number }>(sql`SELECT count(*) AS n FROM runs`))?.n)).toBe(0);
  });
});
