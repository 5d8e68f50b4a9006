import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../fixtures/test-helpers';
import { parseLog } from '../../lightning/logs';
import { deriveSettings, hparamsOf, scanLogConfig } from './config';
import { parseRunproofJson } from './runproof-json';
import { endsWithException, logCutEvidence } from './log-end';

const CASES = path.join(FIXTURES, 'conformance', 'cases');
const read = (id: string, f: string) => fs.readFileSync(path.join(CASES, id, f), 'utf8');
const settings = (p: { knobs?: Record<string, string>; log?: string; rp?: string }) => {
  const log = p.log != null ? parseLog(p.log) : null;
  return deriveSettings({
    knobs: p.knobs ?? {},
    knobSource: (k) => `command.txt: --${k}`,
    hparams: null,
    rp: p.rp ? { value: parseRunproofJson(p.rp).value!, file: 'runproof.json' } : null,
    log,
    logName: 'train.log',
    logConfig: scanLogConfig(p.log ?? null),
  });
};

describe('settings: known with their source, or unknown saying why', () => {
  it("takes runproof.json's exact ModelCheckpoint, EarlyStopping and Trainer settings first (a real one, c070)", () => {
    const s = settings({ rp: read('c070-early-stop', 'runproof.json') });
    expect(s.checkpoint.saveTopK).toEqual({ state: 'known', value: 3, source: 'runproof.json: model_checkpoint.save_top_k' });
    expect(s.checkpoint.template).toMatchObject({ state: 'known', value: { pattern: '{epoch}-{step}-{val_loss:.3f}' } });
    expect(s.earlyStop.patience).toMatchObject({ state: 'known', value: 1 });
    expect(s.trainer.maxEpochs).toMatchObject({ state: 'known', source: 'runproof.json: trainer.max_epochs' });
  });

  it("reads the command's knobs, and leaves what it does not name unknown (no default taken here)", () => {
    const s = settings({ knobs: { 'checkpoint-monitor': 'val_acc', 'early-stop-patience': '3', max_epochs: '8', 'checkpoint-filename': '{epoch}', 'checkpoint-auto-insert-metric-name': 'false' } });
    expect(s.checkpoint.monitor).toEqual({ state: 'known', value: 'val_acc', source: 'command.txt: --checkpoint-monitor' });
    expect(s.checkpoint.template.value?.pattern).toBe('{epoch}');
    expect(s.checkpoint.saveTopK).toMatchObject({ state: 'unknown', unknown: 'no save_top_k in runproof.json or the command' });
    expect(s.checkpoint.mode.state).toBe('unknown');
    expect(s.earlyStop.configured).toEqual({ state: 'known', value: true, source: 'command.txt: --early-stop-patience' });
    expect(s.earlyStop.minDelta.state).toBe('unknown');
  });

  it("reads what Lightning's own lines state: min_epochs, min_delta, thresholds, save_top_k from ModelCheckpoint's lines", () => {
    const log = [
      'Trainer was signaled to stop but the required `min_epochs=4` or `min_steps=None` has not been met. Training will continue...',
      'Metric val_loss improved by 0.213 >= min_delta = 0.05. New best score: 0.904',
      'Stopping threshold reached: val_loss = 0.6299999952316284 < 0.6885. Signaling Trainer to stop.',
      "Epoch 0, global step 4: 'val_loss' reached 1.20000 (best 1.20000), saving model to '/c/model-step=4.ckpt' as top 3",
      "Epoch 1, global step 8: 'val_loss' was not in top 3",
    ].join('\n');
    const s = settings({ log });
    expect(s.trainer.minEpochs).toEqual({ state: 'known', value: 4, source: 'train.log:1: "required min_epochs" line' });
    expect(s.earlyStop.minDelta).toMatchObject({ state: 'known', value: 0.05 });
    expect(s.earlyStop.stoppingThreshold).toMatchObject({ state: 'known', value: 0.6885 });
    expect(s.earlyStop.mode).toMatchObject({ state: 'known', value: 'min' });
    expect(s.checkpoint.saveTopK).toMatchObject({ state: 'known', value: 3 });
    expect(scanLogConfig(log).saves).toEqual([{ epoch: 0, globalStep: 4, monitor: 'val_loss', value: 1.2, path: '/c/model-step=4.ckpt', topK: 3, line: 4 }]);
  });

  it("reads hparams.yaml's top-level keys", () => {
    expect(hparamsOf('lr: 0.05\nsave_top_k: 2\nname: "x"\n# c\n')).toEqual({ lr: '0.05', save_top_k: '2', name: 'x' });
  });
});

describe('runproof.json', () => {
  it("parses the callback's document, non-finite numbers spelt as strings", () => {
    const rp = parseRunproofJson(read('c010-resume', 'runproof.json')).value!;
    expect(rp.lightning).toBe('2.6.6');
    expect(rp.checkpoints[0]).toMatchObject({ filename: 'best-{epoch:03d}', saveTopK: 0, saveLast: true });
    expect(rp.end).toMatchObject({ how: 'train_end', globalStep: 9 });
    expect(rp.end!.checkpoints[0].kthValue).toBe(-Infinity);
    expect(rp.start).toEqual({ epoch: 2, globalStep: 6 });
  });

  it('says why a file is not one', () => {
    expect(parseRunproofJson('{').problem).toMatch(/^not JSON/);
    expect(parseRunproofJson('{"schema": 2}').problem).toBe('not a runproof.json of schema 1 (written by runproof_lightning)');
  });
});

describe('is the log cut short', () => {
  const base = { logName: 'train.log', lightningSeen: true, hasEndLine: false, lastEpochElsewhere: null, rpRanToLimit: null };
  it('a model summary broken off, a progress bar behind the metrics or part-way with nothing after it', () => {
    expect(logCutEvidence({ ...base, text: read('c082-nan~cut-log', 'train.log') })?.evidence).toMatch(/ends inside the model summary/);
    const bar = 'GPU available: False, used: False\nEpoch 1: 100%|██| 4/4 [00:00<00:00]\n';
    expect(logCutEvidence({ ...base, text: bar, lastEpochElsewhere: { epoch: 3, validated: true, from: "metrics.csv's rows" } })?.evidence).toBe(
      "train.log's progress bar stops in epoch 1 (line 2); metrics.csv's rows go on to epoch 3",
    );
    expect(logCutEvidence({ ...base, text: 'GPU available: False, used: False\nEpoch 0:  50%|█| 1/2 [00:00<00:00]\n' })?.evidence).toMatch(/part-way through epoch 0 \(batch 1 of 2\)/);
  });

  it('nothing when the log is complete, has an end line, or nothing else shows the fit went further', () => {
    expect(logCutEvidence({ ...base, text: read('c009-rerun', 'train.log') })).toBeNull();
    expect(logCutEvidence({ ...base, text: read('c044-ties', 'train.log'), hasEndLine: true })).toBeNull();
  });

  it('a bare exception as the last line is a crash', () => {
    expect(endsWithException(read('c083-exception', 'train.log'))).toMatchObject({ message: 'RuntimeError: scripted failure in training_step at epoch 2, batch 3' });
    expect(endsWithException('all good\n')).toBeNull();
    // an exception raised with no message prints its bare name and a colon-less or empty tail
    expect(endsWithException('Epoch 3\nRuntimeError:\n\n')).toMatchObject({ message: 'RuntimeError:', line: 2 });
    expect(endsWithException('Epoch 3\ntorch.OutOfMemoryError\n')).toMatchObject({ message: 'torch.OutOfMemoryError', line: 2 });
  });
});
