/**
 * What a trainer left in its output folder, found without knowing the
 * profile: the newest `version_N` folder holding a metrics.csv (CSVLogger's
 * layout) and every `*.ckpt` file wherever ModelCheckpoint put it (a dirpath,
 * or `version_N/checkpoints`): workers/lightning-example/README.md.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface CheckpointEntry {
  name: string;
  dir: string;
  sizeBytes: number;
  mtimeMs: number;
}

function versionNumber(name: string): number | null {
  const m = /^version_(\d+)$/.exec(name);
  return m ? Number(m[1]) : null;
}

function walk(dir: string, visit: (full: string, ent: fs.Dirent) => void, depth = 0): void {
  if (depth > 6) return;
  let ents: fs.Dirent[];
  try {
    ents = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of ents) {
    const full = path.join(dir, e.name);
    visit(full, e);
    if (e.isDirectory()) walk(full, visit, depth + 1);
  }
}

/** The logger folder of the run: the highest `version_N` under the output folder (the one this run created). */
export function findVersionDir(outputDir: string): string | null {
  let best: { dir: string; n: number } | null = null;
  walk(outputDir, (full, e) => {
    if (!e.isDirectory()) return;
    const n = versionNumber(e.name);
    if (n !== null && (!best || n > best.n)) best = { dir: full, n };
  });
  return (best as { dir: string } | null)?.dir ?? null;
}

export function findMetricsCsv(outputDir: string): string | null {
  const v = findVersionDir(outputDir);
  if (v && fs.existsSync(path.join(v, 'metrics.csv'))) return path.join(v, 'metrics.csv');
  let found: string | null = null;
  walk(outputDir, (full, e) => {
    if (!found && e.isFile() && e.name === 'metrics.csv') found = full;
  });
  return found;
}

/**
 * The logger files besides metrics.csv that the evidence reads: TensorBoardLogger's `events.out.tfevents.*` (the
 * newest version folder's, else the folder holding the newest events file) and the Runproof callback's
 * `runproof.json` (written in the logger's log_dir). Full paths; the bundle keeps their base names.
 */
export function findLoggerFiles(outputDir: string): { events: string[]; runproofJson: string | null } {
  const events: Array<{ full: string; mtimeMs: number }> = [];
  const jsons: Array<{ full: string; mtimeMs: number }> = [];
  walk(outputDir, (full, e) => {
    if (!e.isFile()) return;
    const isEvents = e.name.startsWith('events.out.tfevents.');
    if (!isEvents && e.name !== 'runproof.json') return;
    let mtimeMs = 0;
    try {
      mtimeMs = fs.statSync(full).mtimeMs;
    } catch {
      return;
    }
    (isEvents ? events : jsons).push({ full, mtimeMs });
  });
  const version = findVersionDir(outputDir);
  const newestDir = (xs: Array<{ full: string; mtimeMs: number }>) => {
    if (version && xs.some((x) => path.dirname(x.full) === version)) return version;
    const newest = xs.reduce<{ full: string; mtimeMs: number } | null>((a, x) => (!a || x.mtimeMs > a.mtimeMs ? x : a), null);
    return newest ? path.dirname(newest.full) : null;
  };
  const eventsDir = newestDir(events);
  const jsonDir = newestDir(jsons);
  return {
    events: events
      .filter((x) => path.dirname(x.full) === eventsDir)
      .map((x) => x.full)
      .sort(),
    runproofJson: jsonDir ? path.join(jsonDir, 'runproof.json') : null,
  };
}

export function listCheckpoints(outputDir: string): CheckpointEntry[] {
  const out: CheckpointEntry[] = [];
  walk(outputDir, (full, e) => {
    if (!e.isFile() || !e.name.endsWith('.ckpt')) return;
    try {
      const st = fs.statSync(full);
      out.push({ name: e.name, dir: path.dirname(full), sizeBytes: st.size, mtimeMs: st.mtimeMs });
    } catch {
      // deleted between readdir and stat (top-k eviction): not there any more
    }
  });
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Folder depth `renderTree` descends to (recursion bounded by this, not by what a trainer made). */
const TREE_DEPTH = 32;

/** `tree`'s output for a folder: the same shape as the hand-made `lightning_tree.txt` files. */
export function renderTree(dir: string, label: string = dir): string {
  const lines = [label];
  let dirs = 0,
    files = 0;
  const rec = (d: string, prefix: string, depth: number) => {
    if (depth > TREE_DEPTH) {
      lines.push(`${prefix}└── … (folders deeper than ${TREE_DEPTH} levels not listed)`);
      return;
    }
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    } catch {
      return;
    }
    ents.forEach((e, i) => {
      const last = i === ents.length - 1;
      lines.push(`${prefix}${last ? '└── ' : '├── '}${e.name}`);
      if (e.isDirectory()) {
        dirs++;
        rec(path.join(d, e.name), prefix + (last ? '    ' : '│   '), depth + 1);
      } else files++;
    });
  };
  rec(dir, '', 0);
  lines.push('', `${dirs} director${dirs === 1 ? 'y' : 'ies'}, ${files} file${files === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}
