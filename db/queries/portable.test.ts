/**
 * db/queries/* is written once for SQLite and PostgreSQL (db/client.ts), so
 * it must not use what only the SQLite driver has: a builder's synchronous
 * `.run()`, `.all()`, `.get()` (on PostgreSQL drizzle has no such methods;
 * await the builder), the better-sqlite3 handle `$client`, or the tables of
 * db/schema.ts as values (on PostgreSQL the queries must use the derived
 * tables in `db.t`; the SQLite ones would build SQLite SQL). Types from
 * db/schema.ts and its other values (constants) are fine, and so is the raw
 * SQL API `db.all(sql…)` / `db.get(sql…)` / `db.run(sql…)`, which takes an
 * argument.
 */
import fs from 'node:fs';
import path from 'node:path';
import { is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as schema from '../schema';

const dir = path.dirname(new URL(import.meta.url).pathname);
const tableNames = new Set(
  Object.entries(schema)
    .filter(([, v]) => v && typeof v === 'object' && is(v, SQLiteTable))
    .map(([k]) => k),
);

const blank = (m: string) => m.replace(/[^\n]/g, ' ');
/** Comments, strings and template literals, in the order met (so a `//` inside a string, a URL, is not taken for a comment). */
const LEXEMES = /'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g;

/** The source with comments blanked, and with `strings` true quoted strings too (kept line for line, so findings keep their line numbers). */
function strip(src: string, strings: boolean): string {
  return src.replace(LEXEMES, (m) => (m.startsWith('/') || (strings && (m.startsWith("'") || m.startsWith('"'))) ? blank(m) : m));
}

/** What in `src` would not run on PostgreSQL, as `line N: why`. */
export function findNonPortable(src: string): string[] {
  // Calls are looked for outside strings; imports need their module string.
  const code = strip(src, true);
  const imports = strip(src, false);
  const out: string[] = [];
  const lineOf = (at: number) => code.slice(0, at).split('\n').length;
  for (const m of code.matchAll(/\.(run|all|get)\(\s*\)/g)) out.push(`line ${lineOf(m.index)}: .${m[1]}() on a builder is SQLite-only; await the builder (or db.${m[1]}(sql…))`);
  for (const m of code.matchAll(/\$client\b/g)) out.push(`line ${lineOf(m.index)}: $client is the better-sqlite3 handle; use db.orm, db.all/get/run or db.tx`);
  for (const m of imports.matchAll(/import\s+([^;]*?)\s+from\s+['"]\.\.\/schema(?:-pg)?['"]/g)) {
    const clause = m[1].trim();
    if (clause.startsWith('type ')) continue;
    const named = /\{([^}]*)\}/.exec(clause);
    const outside = clause
      .replace(/\{[^}]*\}/, '')
      .replace(/,/g, '')
      .trim();
    if (outside) out.push(`line ${lineOf(m.index)}: \`import ${outside}\` takes the SQLite tables whole; use db.t`);
    for (const spec of named?.[1].split(',') ?? []) {
      const s = spec.trim();
      if (!s || s.startsWith('type ')) continue;
      const name = s.split(/\s+as\s+/)[0].trim();
      if (tableNames.has(name)) out.push(`line ${lineOf(m.index)}: the table ${name} imported from ../schema; use db.t.${name} (or import type)`);
    }
  }
  return out;
}

describe('the db/queries code runs on either backend', () => {
  it('no query module uses the SQLite-only driver API or the SQLite tables', () => {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(files.length).toBeGreaterThan(5);
    const found = files.flatMap((f) => findNonPortable(fs.readFileSync(path.join(dir, f), 'utf8')).map((why) => `db/queries/${f} ${why}`));
    expect(found).toEqual([]);
  });

  it('the check finds each of those, and leaves the portable API, types and constants alone', () => {
    const bad = [
      'db.select().from(runs).where(eq(runs.id, id)).get();',
      'const rows = q.all( );',
      'db.update(runs).set({ a: 1 })\n  .run();',
      "db.$client.prepare('SELECT 1').get(1);",
      "import { runs, type Run } from '../schema';",
      "import { launches as l } from '../schema';",
      "import * as schema from '../schema';",
      "import { workers } from '../schema-pg';",
    ];
    for (const src of bad) expect(findNonPortable(src), src).toHaveLength(1);
    const good = [
      'const rows = await db.all<{ n: number }>(sql`SELECT count(*) AS n FROM runs`);',
      'await db.get(sql`SELECT 1`); await tx.run(sql`DELETE FROM runs`);',
      'const [r] = await db.orm.select().from(db.t.runs).limit(1);',
      "import type { Launch, runs } from '../schema';",
      "import { type checkpoints, VERDICT_RANK_SQL, type Run } from '../schema';",
      '// never .run() here, nor $client\n/* a builder .all() is SQLite-only */',
      "const url = 'postgres://x'; const q = '.get()';",
      'await Promise.all(jobs.map((j) => j.run(db)));',
    ];
    for (const src of good) expect(findNonPortable(src), src).toEqual([]);
  });
});
