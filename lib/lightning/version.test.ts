import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { atLeast, describeVersion, detectLightningVersion, parseVer, printsFitEndLine } from './version';

const fixture = (p: string) => readFileSync(new URL(`../../fixtures/lightning-logs/${p}`, import.meta.url), 'utf8');
const date = (text: string) => detectLightningVersion({ text, logName: 'train.log' });

describe('which Lightning wrote a log', () => {
  it('dates a real Lightning 2.6.6 log 2.x, which prints the fit end line', () => {
    // fixtures/lightning-logs/checkpoint_verbose: a real 2.6.6 run (make.py), `💡 Tip … litlogger`, quoted ModelCheckpoint lines.
    const v = date(fixture('checkpoint_verbose/train.log'));
    expect(v.state).toBe('range');
    expect(v.min).toEqual([2, 0]);
    expect(v.max).toBeNull();
    expect(v.package).toBe('lightning');
    expect(printsFitEndLine(v)).toBe('yes');
  });

  it('dates a 1.5 log by its device lines: `IPU available` (1.4 on) with no `HPU available` after it (1.6 on)', () => {
    // Lightning-AI/pytorch-lightning pytorch_lightning/trainer/trainer.py `_log_device_info` (1.5):
    //   rank_zero_info(f"IPU available: {_IPU_AVAILABLE}, using: {num_ipus} IPUs")  — the HPU line follows from 1.6.
    const v = date(fixture('versions/pl-1.5-max-epochs/train.log'));
    expect(v).toMatchObject({ state: 'range', min: [1, 4], max: [1, 5], package: 'pytorch_lightning' });
    expect(printsFitEndLine(v)).toBe('no');
    expect(describeVersion(v)).toMatch(/^Lightning 1\.4–1\.5 \(train\.log:4: /);
  });

  it('a 1.9 log with every device line and the quoted ModelCheckpoint form prints the end line', () => {
    const v = date(fixture('versions/pl-1.9-max-epochs/train.log'));
    expect(v.min).toEqual([1, 7]); // `GPU available: True (cuda)` (1.7 on)
    expect(v.max).toEqual([2, 0]); // `Global seed set to` (up to 2.0)
    expect(printsFitEndLine(v)).toBe('yes');
  });

  it('the ModelCheckpoint line dates the log: `Epoch 3:` with no step is 1.0, `Epoch 00003:` 0.x', () => {
    // pytorch_lightning/callbacks/model_checkpoint.py (1.0): f"Epoch {epoch:d}: {self.monitor} reached" f" {current:0.5f} (best …),"
    //   f" saving model to {filepath} as top {k}"; (0.7): f'\nEpoch {epoch:05d}: {self.monitor} reached …'
    expect(date(fixture('versions/pl-1.0-checkpoint-verbose/train.log')).max).toEqual([1, 0]);
    expect(date('\nEpoch 00003: val_loss reached 0.70200 (best 0.70200), saving model to /tmp/x/_ckpt_epoch_3.ckpt as top 1\n').max).toEqual([0, 10]);
    // 1.1–1.6: the monitor bare, the path in double quotes; 1.1–1.2 `Epoch N, step S: m was not in top k`.
    expect(date('Epoch 2, global step 23: val_loss reached 0.80900 (best 0.76100), saving model to "/tmp/x/epoch=2-step=23.ckpt" as top 2\n')).toMatchObject({ min: [1, 1], max: [1, 6] });
    expect(date('Epoch 2, step 23: val_loss was not in top 1\n')).toMatchObject({ min: [1, 1], max: [1, 2] });
    expect(printsFitEndLine(date('Epoch 2, global step 23: val_loss was not in top 1\n'))).toBe('unknown');
  });

  it('a version the log prints (pip freeze / pip list) or runproof.json states is known exactly', () => {
    expect(date('torch==1.13.1\npytorch-lightning==1.5.10\nGPU available: True, used: True\n')).toMatchObject({ state: 'known', version: '1.5.10', min: [1, 5], max: [1, 5] });
    expect(date('lightning                 2.2.1\n')).toMatchObject({ state: 'known', version: '2.2.1' });
    const rp = detectLightningVersion({ text: 'Epoch 2, step 23: val_loss was not in top 1\n', logName: 'train.log', runproof: { version: '2.6.6', file: 'runproof.json' } });
    expect(rp).toMatchObject({ state: 'known', version: '2.6.6', evidence: ['runproof.json: versions.lightning 2.6.6'] });
    // Prose naming a checkpoint's version is not the running package's.
    expect(date('The loaded checkpoint was produced with Lightning v2.0.0, which is newer than your current Lightning version: v1.9.4\n').state).toBe('unknown');
  });

  it('a script’s own `Seed set to N` dates nothing; Lightning’s rank-prefixed one is 2.1 on', () => {
    // lightning_fabric/utilities/seed.py (2.1 on): log.info(rank_prefixed_message(f"Seed set to {seed}", _get_rank())).
    expect(date('Seed set to 42\nGPU available: False, used: False\n').state).toBe('unknown');
    expect(date('[rank: 0] Seed set to 42\n').min).toEqual([2, 1]);
  });

  it('formats that disagree (a hand-merged log) date nothing and say so', () => {
    const v = date('Epoch 3: val_loss was not in top 1\n`Trainer.fit` stopped: `max_epochs=5` reached.\n');
    expect(v.state).toBe('unknown');
    expect(v.conflict).toMatch(/disagree/);
    expect(printsFitEndLine(v)).toBe('unknown');
  });

  it('reads versions and compares them', () => {
    expect(parseVer('1.9.0rc1')).toEqual([1, 9]);
    expect(parseVer('2.1.0.dev0')).toEqual([2, 1]);
    expect(parseVer('x')).toBeNull();
    const v = date('IPU available: False, using: 0 IPUs\nHPU available: False, using: 0 HPUs\n');
    expect(atLeast(v, [1, 4])).toBe('yes');
    expect(atLeast(v, [1, 6])).toBe('unknown');
  });
});

describe('GPU lines of 2.x', () => {
  it('the Tensor Cores hint dates a GPU log 1.9 or later', () => {
    // lightning_fabric/accelerators/cuda.py `_check_cuda_matmul_precision`: rank_zero_info(f"You are using a CUDA device ({torch.cuda.get_device_name(device)!r}) that has Tensor Cores. …")
    const v = detectLightningVersion({
      text: "GPU available: True (cuda), used: True\nYou are using a CUDA device ('NVIDIA A100-SXM4-40GB') that has Tensor Cores. To properly utilize them, you should set `torch.set_float32_matmul_precision('medium' | 'high')`\n",
      logName: 'train.log',
    });
    expect(v.min).toEqual([1, 9]);
    expect(printsFitEndLine(v)).toBe('yes');
  });
});

describe('weak bounds', () => {
  it('a script’s own `Global seed set to N` does not contradict a Lightning-only 2.x line', () => {
    // Lightning 2.1+'s own `[rank: 0] Seed set to 5`, and the script printing its own line the 1.x way.
    const v = detectLightningVersion({ text: 'Global seed set to 42\n[rank: 0] Seed set to 5\n', logName: 'train.log' });
    expect(v).toMatchObject({ state: 'range', min: [2, 1], max: null, conflict: null });
    expect(detectLightningVersion({ text: 'Global seed set to 42\n', logName: 'train.log' }).max).toEqual([2, 0]);
  });
});
