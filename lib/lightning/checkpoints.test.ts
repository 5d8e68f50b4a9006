import { describe, expect, it } from 'vitest';
import { checkpointsInTree, formatLsListing, inferTemplate, parseCheckpointName, parseHumanSize, parseLsListing, pythonFixed, renderTemplate } from './checkpoints';
import { RUNTIME_SMOKE, readFixture, PTYCHO } from '../../fixtures/test-helpers';

describe('checkpoint names', () => {
  it('parses Lightning doubled names', () => {
    const c = parseCheckpointName('epoch=epoch=05-poisson_val=poisson_val_loss=17732.7363.ckpt');
    expect(c).toMatchObject({ epoch: 5, step: null, score: 17732.7363, kind: 'top-k', version: null });
    expect(c.values).toEqual({ epoch: 5, poisson_val_loss: 17732.7363 });
  });

  it('parses the default name, -vN suffixes, last and negative/nan scores', () => {
    expect(parseCheckpointName('epoch=0-step=4.ckpt')).toMatchObject({ epoch: 0, step: 4, score: null, kind: 'top-k' });
    expect(parseCheckpointName('epoch=3-val_loss=0.12-v2.ckpt')).toMatchObject({ epoch: 3, score: 0.12, version: 2 });
    expect(parseCheckpointName('last.ckpt').kind).toBe('last');
    expect(parseCheckpointName('last-v1.ckpt')).toMatchObject({ kind: 'last', version: 1 });
    expect(parseCheckpointName('epoch=1-val_acc=-0.5.ckpt').score).toBe(-0.5);
    expect(parseCheckpointName('epoch=1-val_loss=nan.ckpt').score).toBeNaN();
    expect(parseCheckpointName('model.ckpt').kind).toBe('other');
  });

  it('reads ls -l listings with human sizes', () => {
    const { files, problems } = parseLsListing(readFixture(RUNTIME_SMOKE, 'checkpoints_ls.txt'));
    expect(problems).toEqual([]);
    expect(files).toEqual([
      { name: 'epoch=epoch=05-poisson_val=poisson_val_loss=17732.7363.ckpt', sizeBytes: 28311552 },
      { name: 'last.ckpt', sizeBytes: 28311552 },
    ]);
    expect(parseHumanSize('1.5K')).toBe(1536);
    expect(parseHumanSize('4096')).toBe(4096);
  });

  it('writes ls -l listings that parseLsListing reads back exactly', () => {
    const t = Date.UTC(2025, 9, 3, 21, 4);
    const entries = [
      { name: 'last.ckpt', sizeBytes: 28311552, mtimeMs: t },
      { name: 'epoch=05-val_loss=0.1234.ckpt', sizeBytes: 803231, mtimeMs: t + 60_000 },
      { name: 'epoch=05-val_loss=0.1234-v1.ckpt', sizeBytes: 0, mtimeMs: t },
      { name: 'epoch=epoch=04-poisson_val=poisson_val_loss=17771.8379.ckpt', sizeBytes: 7, mtimeMs: t },
      { name: 'a name with  spaces.ckpt', sizeBytes: 4097, mtimeMs: t },
      { name: 'last-v1.ckpt', sizeBytes: 1234567890123, mtimeMs: t },
    ];
    const text = formatLsListing(entries);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`total ${6912 * 4 + 197 * 4 + 0 + 4 + 8 + Math.ceil(1234567890123 / 4096) * 4}`);
    expect(lines[1]).toBe('-rw-r--r-- 1 runproof runproof          4097 Oct  3 21:04 a name with  spaces.ckpt');
    expect(text.endsWith('\n')).toBe(true);
    const { files, problems } = parseLsListing(text);
    expect(problems).toEqual([]);
    const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(files).toEqual(sorted.map((e) => ({ name: e.name, sizeBytes: e.sizeBytes })));
    expect(parseLsListing(formatLsListing([])).files).toEqual([]);
  });

  it('reports junk lines in a listing with their line number', () => {
    const { files, problems } = parseLsListing('total 1\n-rw-r--r-- 1 a b 10 Oct 23 21:24 last.ckpt\nthis is not ls\n');
    expect(files).toHaveLength(1);
    expect(problems).toEqual([{ line: 3, message: 'not an ls -l line: this is not ls' }]);
  });

  it('finds checkpoints in tree output', () => {
    const tree = readFixture(PTYCHO, 'plans/active/ADR-003-BACKEND-API/reports/2025-10-20T125500Z/phase_d_cli_wrappers_smoke/train_cli_tree.txt');
    expect(checkpointsInTree(tree)).toContain('epoch=0-step=4.ckpt');
  });
});

describe('filename templates', () => {
  it('infers the template from one name and renders the others exactly', () => {
    const t = inferTemplate('epoch=epoch=05-poisson_val=poisson_val_loss=17732.7363.ckpt')!;
    expect(t.pattern).toBe('epoch={epoch:02d}-poisson_val={poisson_val_loss:.4f}');
    expect(t.metrics).toEqual(['poisson_val_loss']);
    expect(renderTemplate(t, { epoch: 4, poisson_val_loss: 17771.837890625 })).toBe('epoch=epoch=04-poisson_val=poisson_val_loss=17771.8379.ckpt');
    expect(renderTemplate(t, { epoch: 12, poisson_val_loss: 1.5 })).toBe('epoch=epoch=12-poisson_val=poisson_val_loss=1.5000.ckpt');
  });

  it('formats like Python: ties to even on exact binary ties, nan spelled nan', () => {
    expect(pythonFixed(0.125, 2)).toBe('0.12'); // JS toFixed says 0.13
    expect(pythonFixed(0.375, 2)).toBe('0.38');
    expect(pythonFixed(2.5, 0)).toBe('2');
    expect(pythonFixed(17771.837890625, 4)).toBe('17771.8379');
    expect(pythonFixed(NaN, 4)).toBe('nan');
  });
});

