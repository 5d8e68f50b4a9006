/**
 * The layering the web layer keeps (docs/architecture.md, "Layers"), checked
 * by reading the source: components/ holds shared pieces that any route may
 * use, so it never reaches into app/ (a route's forms and actions live in the
 * route's folder); lib/ is pure logic the server, the workers, the CLI and
 * the browser all import, so it reaches nothing outside lib/ and imports no
 * React, no Next.js and no I/O (files, processes, network, the database).
 * And a document a comment cites by path is a file of this repository.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');

/** Every module a source text names: `from '…'`, `import '…'`, `import('…')`, `require('…')`. */
function importSpecifiers(text: string): string[] {
  const out: string[] = [];
  const patterns = [/\bfrom\s*['"]([^'"]+)['"]/g, /^\s*import\s*['"]([^'"]+)['"]/gm, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]);
  return out;
}

/** The repository path a specifier points at (`@/x` and relative ones), or null for a package. */
function resolveLocal(file: string, spec: string): string | null {
  if (spec.startsWith('@/')) return path.join(ROOT, spec.slice(2));
  if (spec.startsWith('.')) return path.resolve(path.dirname(file), spec);
  return null;
}

const inside = (dir: string, p: string) => p === dir || p.startsWith(dir + path.sep);

/** Packages lib/ must not import: UI frameworks and I/O. */
const LIB_FORBIDDEN_PACKAGES = /^(react|react-dom|next|recharts|fs|fs\/promises|child_process|net|http|https|worker_threads|better-sqlite3|drizzle-orm|drizzle-kit)(\/.*)?$|^node:(?!path$)/;

/** Why an import breaks lib/'s rules, or null. */
function libImportProblem(file: string, spec: string): string | null {
  const local = resolveLocal(file, spec);
  if (local) return inside(path.join(ROOT, 'lib'), local) ? null : `reaches outside lib/ (${path.relative(ROOT, local)})`;
  return LIB_FORBIDDEN_PACKAGES.test(spec) ? `imports ${spec} (lib/ is pure: no React, no Next.js, no I/O)` : null;
}

/** Why an import breaks components/' rule, or null. */
function componentImportProblem(file: string, spec: string): string | null {
  const local = resolveLocal(file, spec);
  return local && inside(path.join(ROOT, 'app'), local) ? `imports from app/ (${spec}): a route's pieces live in the route's folder` : null;
}

function sources(dir: string, keep: (name: string) => boolean, ext = /\.(ts|tsx|mts)$/): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })) {
    if (/(^|[\\/])(node_modules|\.venv|__pycache__)([\\/]|$)/.test(entry.parentPath)) continue;
    if (entry.isFile() && ext.test(entry.name) && keep(entry.name)) out.push(path.join(entry.parentPath, entry.name));
  }
  return out.sort();
}

/**
 * Paths to Markdown files a text cites (`docs/architecture.md`,
 * `workers/reference-trainer/README.md`, `../shared/docs/x.md`) that are not
 * files of this repository. Only paths that start at the repository's root
 * (a top-level folder, or `shared/`, `../`) count: `plans/…/plan.md` in a
 * parser's comment is an example, not a citation.
 */
function missingDocs(text: string, exists: (rel: string) => boolean, topLevel: (segment: string) => boolean): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?<![\w./-])((?:\.\.\/)*(?:[\w.-]+\/)+[\w.-]+\.md)\b/g)) {
    const cited = m[1];
    const first = cited.split('/')[0];
    if (first === '..' || first === 'shared' || topLevel(first)) if (first === '..' || !exists(cited)) out.push(cited);
  }
  return out;
}

function problems(files: string[], check: (file: string, spec: string) => string | null): string[] {
  const found: string[] = [];
  for (const file of files) {
    for (const spec of importSpecifiers(fs.readFileSync(file, 'utf8'))) {
      const why = check(file, spec);
      if (why) found.push(`${path.relative(ROOT, file)}: ${why}`);
    }
  }
  return found;
}

describe('the checks themselves', () => {
  it('find every form of import', () => {
    const text = "import a from 'x1';\nimport {\n  b,\n} from \"x2\";\nexport * from './x3';\nimport './x4.css';\nconst c = await import('x5');\nconst d = require('x6');\n";
    expect(importSpecifiers(text)).toEqual(expect.arrayContaining(['x1', 'x2', './x3', './x4.css', 'x5', 'x6']));
  });

  it('catch what they are meant to catch, and let the rest through', () => {
    const libFile = path.join(ROOT, 'lib/evidence/x.ts');
    expect(libImportProblem(libFile, 'react')).toMatch(/no React/);
    expect(libImportProblem(libFile, 'next/navigation')).toMatch(/no Next/);
    expect(libImportProblem(libFile, 'node:fs')).toMatch(/no I\/O/);
    expect(libImportProblem(libFile, 'fs/promises')).toMatch(/no I\/O/);
    expect(libImportProblem(libFile, 'node:child_process')).toMatch(/no I\/O/);
    expect(libImportProblem(libFile, '@/db/client')).toMatch(/outside lib/);
    expect(libImportProblem(libFile, '../../server/bundles')).toMatch(/outside lib/);
    expect(libImportProblem(libFile, '../lightning/logs')).toBeNull();
    expect(libImportProblem(libFile, 'node:path')).toBeNull();
    expect(libImportProblem(libFile, 'zod')).toBeNull();
    const component = path.join(ROOT, 'components/x.tsx');
    expect(componentImportProblem(component, '@/app/login/actions')).toMatch(/from app/);
    expect(componentImportProblem(component, '../app/runs/new/actions')).toMatch(/from app/);
    expect(componentImportProblem(component, '@/lib/evidence/types')).toBeNull();
    expect(componentImportProblem(component, './format')).toBeNull();
  });

  it('find cited documents that are not in the repository', () => {
    const exists = (rel: string) => rel === 'docs/architecture.md';
    const topLevel = (seg: string) => seg === 'docs' || seg === 'workers';
    const text = '// see docs/architecture.md, docs/targets.md §2, ../shared/docs/x.md, shared/docs/lightning-artifacts.md, workers/nope/README.md\n// plans/active/x/plan.md, summary.md';
    expect(missingDocs(text, exists, topLevel)).toEqual(['docs/targets.md', '../shared/docs/x.md', 'shared/docs/lightning-artifacts.md', 'workers/nope/README.md']);
  });
});

describe('the source tree', () => {
  it('components/ imports nothing from app/', () => {
    const files = sources('components', () => true);
    expect(files.length).toBeGreaterThan(5);
    expect(problems(files, componentImportProblem)).toEqual([]);
  });

  it('lib/ (its tests aside) imports no React, no Next.js, no I/O, nothing outside lib/', () => {
    const files = sources('lib', (name) => !/\.test\.ts$/.test(name));
    expect(files.length).toBeGreaterThan(30);
    expect(problems(files, libImportProblem)).toEqual([]);
  });

  it('documents cited by path in the source are files of this repository', () => {
    const dirs = ['app', 'components', 'lib', 'server', 'workers', 'cli', 'db', 'bench', 'attack', 'scripts', 'conformance', 'e2e'];
    const files = dirs.flatMap((d) => sources(d, (name) => !/\.test\.ts$/.test(name), /\.(ts|tsx|mts|mjs|js|py)$/));
    expect(files.length).toBeGreaterThan(100);
    const exists = (rel: string) => fs.existsSync(path.join(ROOT, rel));
    const topLevel = (seg: string) => seg !== '.' && seg !== '..' && exists(seg) && fs.statSync(path.join(ROOT, seg)).isDirectory();
    const found = files.flatMap((f) => missingDocs(fs.readFileSync(f, 'utf8'), exists, topLevel).map((cited) => `${path.relative(ROOT, f)}: ${cited}`));
    expect(found).toEqual([]);
  });
});
