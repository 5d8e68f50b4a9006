/**
 * The worker's rooms stay apart: each module has one reason to change, and
 * the import graph says so. The sweep settles a dead worker's run from what
 * is on disk and in the database, so it reaches the finalizer without the
 * job's lifecycle, its process or its live view; finalizing needs neither the
 * child nor the live view; following a run writes only through its LiveStore.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every repository module `file` reaches through relative imports (type-only ones too), itself included. */
function reach(file: string): Set<string> {
  const seen = new Set<string>();
  const walk = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    const text = fs.readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\b[^;]*? from '(\.{1,2}\/[^']+)'/gm)) {
      const base = path.resolve(path.dirname(f), m[1]);
      const found = [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), base].find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
      if (!found) throw new Error(`${path.relative(__dirname, f)}: cannot resolve '${m[1]}'`);
      walk(found);
    }
  };
  walk(path.join(__dirname, file));
  return new Set([...seen].map((f) => path.relative(path.join(__dirname, '..'), f)));
}

describe('the worker’s rooms', () => {
  it('the sweep reaches the finalizer and the process-group helpers, never the job’s lifecycle', () => {
    const r = reach('sweep.ts');
    expect(r.has('workers/finalize.ts')).toBe(true);
    expect(r.has('workers/run-process.ts')).toBe(true);
    expect(r.has('workers/job.ts')).toBe(false);
    expect(r.has('workers/live-follow.ts')).toBe(false);
  });

  it('finalizing needs neither the lifecycle, the child process nor the live view', () => {
    const r = reach('finalize.ts');
    expect(r.has('workers/launch-evidence.ts')).toBe(true);
    for (const room of ['workers/job.ts', 'workers/run-process.ts', 'workers/live-follow.ts', 'workers/process-group.ts']) expect(r.has(room), room).toBe(false);
  });

  it('following a run live neither finalizes it nor touches the database (it writes through its LiveStore)', () => {
    const r = reach('live-follow.ts');
    for (const room of ['workers/job.ts', 'workers/finalize.ts', 'workers/run-process.ts']) expect(r.has(room), room).toBe(false);
    // Type-only imports of db/queries/launches (LivePoints) and db/schema are fine; the client is not.
    const text = fs.readFileSync(path.join(__dirname, 'live-follow.ts'), 'utf8');
    expect(text).not.toMatch(/^import (?!type )[^;]*? from '\.\.\/db\//m);
  });

  it('the run’s process knows nothing of the database or the bundle', () => {
    const r = reach('run-process.ts');
    expect([...r].filter((f) => !f.startsWith('workers/'))).toEqual([]);
    expect([...r].sort()).toEqual(['workers/process-group.ts', 'workers/run-process.ts']);
  });

  it('the lifecycle is where the rooms meet', () => {
    const r = reach('job.ts');
    for (const room of ['workers/finalize.ts', 'workers/live-follow.ts', 'workers/run-process.ts', 'workers/launch-evidence.ts']) expect(r.has(room), room).toBe(true);
  });
});
