import { describe, expect, it } from 'vitest';
import {
  checkpointsInTree,
  formatLsListing,
  inferTemplate,
  matchName,
  mergeShapes,
  nameShape,
  parseCheckpointName,
  parseHumanSize,
  parseLsListing,
  pythonFixed,
  pythonFormat,
  pythonRepr,
  renderName,
  renderTemplate,
  resolveShape,
  templateFromLightning,
} from './checkpoints';
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

describe("Lightning's names: _format_checkpoint_name and Python's format()", () => {
  const name = (filename: string | null, values: Record<string, number>, autoInsert = true, ver?: number) => renderName(templateFromLightning(filename, autoInsert)!, values, ver);

  it("renders the examples of ModelCheckpoint.format_checkpoint_name's docstring (Lightning 2.6.6)", () => {
    expect(name('{epoch}', { epoch: 0 })).toBe('epoch=0.ckpt');
    expect(name('{epoch:03d}', { epoch: 5 })).toBe('epoch=005.ckpt');
    expect(name('{epoch}-{val_loss:.2f}', { epoch: 2, val_loss: 0.123456 })).toBe('epoch=2-val_loss=0.12.ckpt');
    expect(name('epoch={epoch}-validation_loss={val_loss:.2f}', { epoch: 2, val_loss: 0.123456 }, false)).toBe('epoch=2-validation_loss=0.12.ckpt');
    expect(name('{missing:d}', {})).toBe('missing=0.ckpt');
    expect(name('{step}', { step: 0 })).toBe('step=0.ckpt');
    expect(name(null, { epoch: 1, step: 8 })).toBe('epoch=1-step=8.ckpt');
    expect(name(null, { epoch: 1, step: 8 }, true, 1)).toBe('epoch=1-step=8-v1.ckpt');
  });

  it('inserts `name=` again before a literal `name=` (the doubled names), and keeps `/` (sub-folders)', () => {
    expect(name('epoch={epoch:02d}-val={val_loss:.4f}', { epoch: 5, val_loss: 0.4510000050067902 })).toBe('epoch=epoch=05-val=val_loss=0.4510.ckpt');
    expect(name('{epoch}-{step}-{val/loss:.3f}', { epoch: 3, step: 14, 'val/loss': 0.5720000267028809 })).toBe('epoch=3-step=14-val/loss=0.572.ckpt');
    expect(name('ep{epoch:02d}_score{val_acc:.3f}', { epoch: 5, val_acc: 0.736 }, false)).toBe('ep05_score0.736.ckpt');
    expect(name('{val_loss}', { val_loss: 0.7990000247955322 }, false)).toBe('0.7990000247955322.ckpt');
  });

  it('formats like Python: repr, fixed, exponent, general, grouping, width; null where Python raises', () => {
    expect([pythonRepr(1e-5), pythonRepr(2), pythonRepr(1e16), pythonRepr(NaN), pythonRepr(-Infinity)]).toEqual(['1e-05', '2.0', '1e+16', 'nan', '-inf']);
    expect(pythonFormat(3.14159, '08.3f', false)).toBe('0003.142');
    expect(pythonFormat(1234.5, 'e', false)).toBe('1.234500e+03');
    expect(pythonFormat(0.0001234, 'g', false)).toBe('0.0001234');
    expect(pythonFormat(123456, ',', true)).toBe('123,456');
    expect(pythonFormat(7, '>4', true)).toBe('   7');
    expect(pythonFormat(NaN, '.3f', false)).toBe('nan');
    expect(pythonFormat(0.5, 'd', false)).toBeNull();
  });
});

describe('reading names back', () => {
  it('reads keyed and unkeyed fields, with the spec the digits show', () => {
    expect(nameShape('ep05_score0.736.ckpt')!.parts).toEqual([
      { literal: 'ep' },
      { key: null, spec: '02d', text: '05', int: true },
      { literal: '_score' },
      { key: null, spec: '.3f', text: '0.736', int: false },
    ]);
    expect(nameShape('model-step=12-v1.ckpt')!.parts).toEqual([{ literal: 'model-step=' }, { key: 'step', spec: '' }]);
    expect(nameShape('last.ckpt')).toBeNull();
    const t = resolveShape(mergeShapes([nameShape('ep05_score0.736.ckpt')!, nameShape('ep12_score0.800.ckpt')!]), ['epoch', 'val_acc']);
    expect(renderName(t, { epoch: 7, val_acc: 0.8125 })).toBe('ep07_score0.812.ckpt');
    expect(matchName(t, 'ep07_score0.812-v2.ckpt')).toEqual({ epoch: 7, val_acc: 0.812 });
  });

  it('a `nan` in one name does not decide the spec of the others', () => {
    const t = resolveShape(mergeShapes([nameShape('epoch=epoch=01-val=val_loss=nan.ckpt')!, nameShape('epoch=epoch=00-val=val_loss=1.3910.ckpt')!]), []);
    expect(t.pattern).toBe('epoch={epoch:02d}-val={val_loss:.4f}');
  });

  it('reads an `ls -lR` listing, naming the files in sub-folders by their path', () => {
    const lr =
      '.:\ntotal 8\ndrwxr-xr-x 2 root root 4096 Nov 30 06:35 epoch=3-step=14-val\n-rw-r--r-- 1 root root 5525 Nov 30 06:35 last.ckpt\n\n./epoch=3-step=14-val:\ntotal 8\n-rw-r--r-- 1 root root 5525 Nov 30 06:35 loss=0.572.ckpt\n';
    expect(parseLsListing(lr)).toEqual({
      files: [
        { name: 'last.ckpt', sizeBytes: 5525 },
        { name: 'epoch=3-step=14-val/loss=0.572.ckpt', sizeBytes: 5525 },
      ],
      problems: [],
    });
    expect(parseCheckpointName('epoch=3-step=14-val/loss=0.572.ckpt').values).toEqual({ epoch: 3, step: 14, 'val/loss': 0.572 });
  });
});
