/**
 * The web layer's boundaries, checked by reading the source:
 * - SQL and direct drizzle/better-sqlite3 use live in db/queries only (db/
 *   client.ts opens the database, schema.ts declares it);
 * - in app/, only the data module (app/_lib/data.ts) opens the database, so
 *   every page, route and action reads and writes through it;
 * - no page, layout or route handler can reach the lost-run sweep (which
 *   kills process groups and settles runs): rendering only reads, and
 *   `runproof serve`'s timer sweeps.
 * The checks are run on small texts first, so they cannot pass by finding
 * nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.(ts|tsx|mts)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) out.push(path.join(entry.parentPath, entry.name));
  }
  return out.sort();
}

/** Each line of `text` that talks to SQLite directly, with why. */
export function sqlUses(text: string): string[] {
  const rules: Array<[RegExp, string]> = [
    [/\.prepare\(\s*[`'"]/, 'prepares a statement'],
    [/\bsql`/, 'writes a drizzle sql`` fragment'],
    [/\b(db|tx)\s*\.\s*(select|insert|update|delete|run|all|get|values|transaction)\s*\(/, 'runs a query builder'],
    // The connection itself; its file name (the worker watches the WAL file beside it) is not SQL.
    [/\$client\b(?!\.name\b)/, 'uses the better-sqlite3 connection'],
    [/\bfrom\s+['"](drizzle-orm|better-sqlite3)(\/[^'"]*)?['"]/, 'imports drizzle or better-sqlite3'],
    // Upper case, as SQL is written here: 'Select run …' in a label is not a statement.
    [/['"`]\s*(SELECT\s+[\w*]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|PRAGMA\s)/, 'holds an SQL statement'],
  ];
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const [re, why] of rules) if (re.test(line)) found.push(`${i + 1}: ${why}`);
  });
  return found;
}

/** Module specifiers a source loads at run time (type-only imports are erased, so they load nothing). */
export function runtimeImports(text: string): string[] {
  const out: string[] = [];
  const noTypes = text.replace(/^\s*(import|export)\s+type\s[^;]*;/gm, '');
  for (const re of [/\bfrom\s*['"]([^'"]+)['"]/g, /^\s*import\s*['"]([^'"]+)['"]/gm, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g]) for (const m of noTypes.matchAll(re)) out.push(m[1]);
  return out;
}

function resolveLocal(from: string, spec: string): string | null {
  const base = spec.startsWith('@/') ? path.join(ROOT, spec.slice(2)) : spec.startsWith('.') ? path.resolve(path.dirname(from), spec) : null;
  if (!base) return null;
  for (const c of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), path.join(base, 'index.tsx')]) if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  return null;
}

/** The chain of imports from `entry` to a module `target` matches, or null when it cannot be reached. */
function importChain(entry: string, target: (file: string) => boolean): string[] | null {
  const seen = new Map<string, string | null>([[entry, null]]);
  const queue = [entry];
  while (queue.length) {
    const file = queue.shift()!;
    if (target(file)) {
      const chain = [];
      for (let f: string | null = file; f; f = seen.get(f) ?? null) chain.unshift(path.relative(ROOT, f));
      return chain;
    }
    if (!/\.(ts|tsx|mts)$/.test(file)) continue;
    for (const spec of runtimeImports(fs.readFileSync(file, 'utf8'))) {
      const next = resolveLocal(file, spec);
      if (next && !seen.has(next)) {
        seen.set(next, file);
        queue.push(next);
      }
    }
  }
  return null;
}

const isSweep = (f: string) => f === path.join(ROOT, 'workers/sweep.ts');

describe('the checks themselves', () => {
  it('find SQL and direct database use, and let ordinary code through', () => {
    expect(sqlUses("const row = db.$client.prepare('SELECT evidence_json FROM runs WHERE id = ?').pluck().get(id);")).toEqual(
      expect.arrayContaining([expect.stringContaining('prepares'), expect.stringContaining('connection'), expect.stringContaining('SQL statement')]),
    );
    expect(sqlUses('db.select().from(runs).where(eq(runs.id, id)).get();')).toHaveLength(1);
    expect(sqlUses("import { and, eq } from 'drizzle-orm';")).toHaveLength(1);
    expect(sqlUses('const n = sql`count(*)`;')).toHaveLength(1);
    expect(sqlUses("db.$client.pragma('integrity_check');")).toHaveLength(1);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the sample is source text holding a template literal
    expect(sqlUses('const wal = `${this.o.db.$client.name}-wal`;')).toEqual([]);
    expect(sqlUses("const s = 'SELECT id FROM runs';")).toHaveLength(1);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the sample is source text holding a template literal
    expect(sqlUses('aria-label={`Select run ${name}`}')).toEqual([]);
    expect(sqlUses('await app.prepare();\nreturn CHECKS.map((c) => c.run(facts));\n// select the runs to show')).toEqual([]);
  });

  it('follow runtime imports through files, and skip type-only ones', () => {
    expect(runtimeImports("import type { Db } from '@/db/client';\nimport { a } from './a';\nexport { b } from '../b';\nimport './x.css';")).toEqual(['./a', '../b', './x.css']);
    // A chain that exists: the worker reaches the sweep.
    expect(importChain(path.join(ROOT, 'workers/worker.ts'), isSweep)).toEqual(['workers/worker.ts', 'workers/sweep.ts']);
  });
});

describe('the source tree', () => {
  it('has SQL and direct drizzle/better-sqlite3 use only in db/', () => {
    const files = ['app', 'server', 'components', 'cli', 'workers', 'lib'].flatMap(sources);
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((f) => sqlUses(fs.readFileSync(f, 'utf8')).map((u) => `${path.relative(ROOT, f)}:${u}`));
    expect(found).toEqual([]);
  });

  it('opens the database in app/ only in the data module', () => {
    const files = sources('app');
    expect(files).toContain(path.join(ROOT, 'app/_lib/data.ts'));
    const opening = files.filter((f) => runtimeImports(fs.readFileSync(f, 'utf8')).some((s) => resolveLocal(f, s) === path.join(ROOT, 'db/client.ts')));
    expect(opening.map((f) => path.relative(ROOT, f))).toEqual(['app/_lib/data.ts']);
  });

  it('no page, layout or route handler can reach the lost-run sweep', () => {
    const entries = sources('app').filter((f) => /\/(page|layout|route)\.tsx?$/.test(f));
    expect(entries.length).toBeGreaterThan(10);
    const reaching = entries.flatMap((e) => {
      const chain = importChain(e, isSweep);
      return chain ? [chain.join(' → ')] : [];
    });
    expect(reaching).toEqual([]);
  });
});
