/**
 * Bundle files kept in the database: the only code that touches
 * `stored_files` and `stored_file_chunks`. Bytes come in already split and
 * encoded (server/stored-files.ts); here they are only written and read. A
 * chunk is a blob on SQLite and `bytea` on PostgreSQL, a Buffer both ways,
 * 1 MiB of the file at most (lib/stored-files.ts STORED_CHUNK_BYTES).
 *
 * A run's stored files are replaced whole, like its other child rows: the
 * copy always matches the evidence stored with it. Deleting the run removes
 * them (foreign keys, ON DELETE CASCADE from runs to files to chunks).
 */
import { and, asc, between, eq, sql } from 'drizzle-orm';
import { affected, type Db } from '../client';
import type { storedFiles } from '../schema';
import { storedPathError, type StoredCut, type StoredEncoding } from '../../lib/stored-files';

export type StoredFile = typeof storedFiles.$inferSelect;

export interface StoredFileInput {
  path: string;
  encoding: StoredEncoding;
  cut: StoredCut;
  sizeBytes: number;
  storedBytes: number;
  sha256: string;
  chunkBytes: number;
  /** Encoded chunk contents in order (seq 0, 1, …); empty for an omitted or empty file. */
  chunks: Buffer[];
}

/**
 * Store a run's files in place of what was stored for it before. A path that
 * is not a plain bundle-relative one (absolute, `..`, `\`, NUL) is refused
 * with an error and nothing is written: the callers check paths first and
 * report them, so reaching this is a bug, never a file to serve. Runs inside
 * the caller's transaction when `db` is one (the worker's settle).
 */
export async function replaceStoredFiles({ db, runId, files, now = Date.now() }: { db: Db; runId: string; files: StoredFileInput[]; now?: number }): Promise<void> {
  for (const f of files) {
    const bad = storedPathError(f.path);
    if (bad) throw new Error(`refusing to store ${JSON.stringify(f.path)} for run ${runId}: ${bad}`);
  }
  const { storedFiles, storedFileChunks } = db.t;
  await db.tx(async (tx) => {
    await tx.orm.delete(storedFiles).where(eq(storedFiles.runId, runId));
    for (const f of files) {
      const encodedBytes = f.chunks.reduce((n, c) => n + c.length, 0);
      await tx.orm.insert(storedFiles).values({
        runId,
        path: f.path,
        encoding: f.encoding,
        cut: f.cut,
        sizeBytes: f.sizeBytes,
        storedBytes: f.storedBytes,
        encodedBytes,
        sha256: f.sha256,
        chunkBytes: f.chunkBytes,
        chunks: f.chunks.length,
        storedAt: now,
      });
      // One row per chunk: a few parameters each, a megabyte at most.
      for (const [seq, bytes] of f.chunks.entries()) await tx.orm.insert(storedFileChunks).values({ runId, path: f.path, seq, bytes });
    }
  });
}

/**
 * Settle a run and store its files in one transaction: `settle` is the
 * token-guarded write (finishLaunchedRun, saveRun) and must write through the
 * `tx` it is given (a write through the outer Db would be a transaction of
 * its own: on SQLite it waits for this one, forever). The files are stored
 * only when it says it wrote, and a failure in either leaves neither.
 */
export async function settleWithStoredFiles({ db, runId, files, settle }: { db: Db; runId: string; files: StoredFileInput[]; settle: (tx: Db) => Promise<boolean> }): Promise<boolean> {
  return db.tx(async (tx) => {
    if (!(await settle(tx))) return false;
    await replaceStoredFiles({ db: tx, runId, files });
    return true;
  });
}

/** Forget a run's stored files (a re-import without --archive: the folder is the truth again). */
export async function deleteStoredFiles({ db, runId }: { db: Db; runId: string }): Promise<number> {
  const { storedFiles } = db.t;
  return affected(await db.orm.delete(storedFiles).where(eq(storedFiles.runId, runId)));
}

/** Does the run keep its files in the database? Then they are served from here. */
export async function hasStoredFiles({ db, runId }: { db: Db; runId: string }): Promise<boolean> {
  const { storedFiles } = db.t;
  return (await db.orm.select({ one: sql`1` }).from(storedFiles).where(eq(storedFiles.runId, runId)).limit(1)).length > 0;
}

/** A run's stored files, by path. */
export async function listStoredFiles({ db, runId }: { db: Db; runId: string }): Promise<StoredFile[]> {
  const { storedFiles } = db.t;
  return db.orm.select().from(storedFiles).where(eq(storedFiles.runId, runId)).orderBy(asc(storedFiles.path));
}

/** One stored file by its exact bundle-relative path; a path that could never be stored is not looked up. */
export async function getStoredFile({ db, runId, path }: { db: Db; runId: string; path: string }): Promise<StoredFile | undefined> {
  if (storedPathError(path)) return undefined;
  const { storedFiles } = db.t;
  const [f] = await db.orm
    .select()
    .from(storedFiles)
    .where(and(eq(storedFiles.runId, runId), eq(storedFiles.path, path)))
    .limit(1);
  return f;
}

/** Chunks `first`…`last` (inclusive) of a stored file, in order, as encoded. */
export async function readStoredChunks({ db, runId, path, first, last }: { db: Db; runId: string; path: string; first: number; last: number }): Promise<Array<{ seq: number; bytes: Buffer }>> {
  const { storedFileChunks } = db.t;
  return db.orm
    .select({ seq: storedFileChunks.seq, bytes: storedFileChunks.bytes })
    .from(storedFileChunks)
    .where(and(eq(storedFileChunks.runId, runId), eq(storedFileChunks.path, path), between(storedFileChunks.seq, first, last)))
    .orderBy(asc(storedFileChunks.seq));
}

/** Bytes on disk vs bytes held, over one run or all (measurements, `runproof import --archive`'s last line). */
export async function storedFileTotals({ db, runId }: { db: Db; runId?: string }): Promise<{ files: number; sizeBytes: number; storedBytes: number; encodedBytes: number }> {
  const { storedFiles } = db.t;
  const [r] = await db.orm
    .select({
      files: sql<number>`count(*)`,
      sizeBytes: sql<number>`coalesce(sum(${storedFiles.sizeBytes}), 0)`,
      storedBytes: sql<number>`coalesce(sum(${storedFiles.storedBytes}), 0)`,
      encodedBytes: sql<number>`coalesce(sum(${storedFiles.encodedBytes}), 0)`,
    })
    .from(storedFiles)
    .where(runId === undefined ? undefined : eq(storedFiles.runId, runId));
  return { files: Number(r?.files ?? 0), sizeBytes: Number(r?.sizeBytes ?? 0), storedBytes: Number(r?.storedBytes ?? 0), encodedBytes: Number(r?.encodedBytes ?? 0) };
}
