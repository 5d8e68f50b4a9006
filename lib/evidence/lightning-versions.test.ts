/**
 * Verdicts across Lightning versions (pytorch_lightning 1.0–1.9, lightning 2.x): a line a version
 * does not print is never missing, a format a version prints differently is read. One block per
 * class. The 1.x texts are in fixtures/lightning-logs/versions (composed from the format strings of
 * Lightning's source, quoted beside each test; see that folder's README), the 2.x ones are the real
 * 2.6.6 runs of fixtures/lightning-logs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyseBundle, type InputFile } from './analyse';
import { deriveFacts } from './facts';
import { shiftCheckpointStep } from './facts/checkpoint-steps';
import { scanLogConfig } from './facts/config';
import { parseLog } from '../lightning/logs';
import { parseMetricsCsv } from '../lightning/metrics-csv';
import type { Evidence } from './types';
import { FIXTURES } from '../../fixtures/test-helpers';

const DIR = path.join(FIXTURES, 'lightning-logs');
const read = (rel: string) => fs.readFileSync(path.join(DIR, rel), 'utf8');
const file = (p: string, text: string): InputFile => ({ path: p, sizeBytes: Buffer.byteLength(text), text });

/** A fixtures/lightning-logs/versions folder as the importer hands it over, with `edit` applied to a file's text. */
function versionFiles(name: string, edit: Record<string, (t: string) => string> = {}): InputFile[] {
  const dir = path.join(DIR, 'versions', name);
  return fs
    .readdirSync(dir)
    .sort()
    .map((f) => file(f, (edit[f] ?? ((t: string) => t))(fs.readFileSync(path.join(dir, f), 'utf8'))));
}
const byId = (ev: Evidence, id: string) => ev.checks.find((c) => c.id === id)!;
const run = (files: InputFile[]) => analyseBundle(files, { root: '/tmp/versions' });
/** The 1.5 log without its IPU line: nothing then dates it before 1.6. */
const undate = (t: string) => t.replace(/^IPU available.*\n/m, '');

describe('the fit’s end line (`Trainer.fit` stopped: `max_epochs=N` reached.), printed from 1.6 on', () => {
  // Lightning-AI/pytorch-lightning pytorch_lightning/loops/fit_loop.py (1.5, which deprecates `max_steps=None` "in v1.5"):
  //   `done` returns `stop_steps or should_stop or stop_epochs …` without a word; 1.6 on (src/pytorch_lightning/loops/fit_loop.py,
  //   commit 0262e28b4984cf14a05162aa6524d5b63977f941): rank_zero_info(f"`Trainer.fit` stopped: `max_epochs={self.max_epochs!r}` reached.")
  it('a 1.5 run that reached max_epochs passes exit and is succeeded, though its log has no end line', () => {
    const ev = run(versionFiles('pl-1.5-max-epochs'));
    expect(byId(ev, 'exit')).toMatchObject({ status: 'pass', detail: expect.stringContaining('which Lightning 1.4–1.5') });
    expect(ev.status).toBe('succeeded');
    expect(ev.stop.reason).toBe('max_epochs');
  });

  it('the evidence says which Lightning the bundle shows, and what dated it; nothing when nothing dates it', () => {
    expect(run(versionFiles('pl-1.5-max-epochs')).lightning).toMatch(/^Lightning 1\.4–1\.5 \(train\.log:\d+: /);
    // Without its IPU line the log still shows a range (a 1.1–1.6 ModelCheckpoint line, the pytorch_lightning path).
    expect(run(versionFiles('pl-1.5-max-epochs', { 'train.log': undate })).lightning).toMatch(/^Lightning 1\.1–1\.6 \(/);
    expect(run([]).lightning).toBeUndefined();
  });

  it('undated, the same run warns (before 1.6 no end line is printed), never fails', () => {
    const ev = run(versionFiles('pl-1.5-max-epochs', { 'train.log': undate }));
    expect(byId(ev, 'exit')).toMatchObject({ status: 'warn', detail: expect.stringContaining('may be one before 1.6, which prints none') });
    expect(ev.status).toBe('unknown');
  });

  it('dated 1.6 or later, the log without its end line is cut: exit fails', () => {
    const ev = run(versionFiles('pl-1.9-max-epochs', { 'train.log': (t) => t.replace(/^`Trainer\.fit` stopped.*\n/m, '') }));
    expect(byId(ev, 'exit')).toMatchObject({ status: 'fail', detail: expect.stringContaining('where Lightning prints `Trainer.fit` stopped') });
    expect(byId(run(versionFiles('pl-1.9-max-epochs')), 'exit').status).toBe('pass');
  });

  it('a real 2.6.6 log cut before its end line still fails', () => {
    const log = read('checkpoint_verbose/train.log').replace(/^`Trainer\.fit` stopped.*\n/m, '');
    const ev = run([file('train.log', log), file('metrics.csv', read('checkpoint_verbose/lightning_logs/version_0/metrics.csv')), file('command.txt', 'python train.py --max_epochs 5\n')]);
    expect(byId(ev, 'exit').status).toBe('fail');
  });

  it('a progress bar part-way through an epoch is a cut only where a max_steps stop would have printed its line', () => {
    const bar = 'GPU available: False, used: False\nEpoch 3:  40%|████      | 40/100 [00:01<00:02, 30.1it/s, loss=0.1, v_num=0]\n';
    expect(byId(run([file('train.log', bar)]), 'exit').status).toBe('warn');
    const dated = bar.replace('GPU available: False', 'GPU available: True (cuda), used: True\nTPU available: False, using: 0 TPU cores\nGPU available: False');
    expect(byId(run([file('train.log', dated)]), 'exit').status).toBe('fail');
  });
});

describe('ModelCheckpoint(verbose=True) lines, 0.x to 2.x', () => {
  // pytorch_lightning/callbacks/model_checkpoint.py, `_update_best_and_save` / `_save_top_k_checkpoint`:
  //   1.0:      f"Epoch {epoch:d}: {self.monitor} reached" f" {current:0.5f} (best {self.best_model_score:0.5f})," f" saving model to {filepath} as top {k}"
  //   1.1–1.2:  f"Epoch {epoch:d}, step {step:d}: {self.monitor} was not in top {self.save_top_k}"
  //   1.1–1.6:  f"Epoch {epoch:d}, global step {step:d}: {self.monitor} reached {current:0.5f}" f' (best …), saving model to "{filepath}" as top {k}'
  //   1.7–2.x:  f"Epoch {epoch:d}, global step {step:d}: {self.monitor!r} reached {current:0.5f}" f" (best …), saving model to {filepath!r} as top {k}"
  it('reads every form: epoch, monitor, value, path, k', () => {
    const log = parseLog(
      [
        'Epoch 0: val_loss reached 1.01800 (best 1.01800), saving model to /tmp/r/epoch=0.ckpt as top 1',
        'Epoch 1, step 15: val_loss was not in top 1',
        'Epoch 2, global step 23: val_loss reached 0.70200 (best 0.70200), saving model to "/tmp/r/epoch=2-step=23.ckpt" as top 1',
        "Epoch 3, global step 32: 'val_loss' was not in top 1",
        '',
      ].join('\n'),
    );
    expect(log.epochs.checkpoints.map((c) => [c.epoch, c.monitor, c.value, c.path, c.topK, c.saved])).toEqual([
      [0, 'val_loss', 1.018, '/tmp/r/epoch=0.ckpt', 1, true],
      [1, 'val_loss', null, null, 1, false],
      [2, 'val_loss', 0.702, '/tmp/r/epoch=2-step=23.ckpt', 1, true],
      [3, 'val_loss', null, null, 1, false],
    ]);
    // A step is the epoch's only in the 1.7+ form (up to 1.5 the save ran before global_step counted the batch).
    expect(log.epochs.checkpoints.map((c) => c.stepAfterBatch)).toEqual([false, false, false, true]);
    expect(log.epochs.epochs.find((r) => r.epoch === 2)!.step).toBeNaN();
  });

  it('a 1.0 log-only bundle is never failed for lines it could not date or steps it does not print', () => {
    const ev = run(versionFiles('pl-1.0-checkpoint-verbose'));
    for (const c of ev.checks) expect(c.status, `${c.id}: ${c.detail}`).not.toBe('fail');
    expect(byId(ev, 'epochs').status).toBe('pass');
  });
});

describe('checkpoint names: the step is one less before 1.6', () => {
  // 1.5 pytorch_lightning/loops/epoch/training_epoch_loop.py `on_advance_end`: `self._run_validation()` (where ModelCheckpoint
  // saves) runs before `self.global_step += 1`: 8 batches an epoch name epoch 3's file `epoch=3-step=31.ckpt`; 1.6 on `epoch=3-step=32.ckpt`.
  it('a 1.5 listing passes, the names read with their step', () => {
    const ev = run(versionFiles('pl-1.5-max-epochs'));
    expect(byId(ev, 'checkpoints')).toMatchObject({ status: 'pass', detail: expect.stringContaining('the steps in the names read as Lightning before 1.6 writes them') });
    expect(ev.checkpoints.found.map((c) => c.name)).toEqual(['epoch=3-step=31.ckpt']);
  });

  it('undated, the same listing warns, never fails', () => {
    const ev = run(versionFiles('pl-1.5-max-epochs', { 'train.log': undate }));
    expect(byId(ev, 'checkpoints').status).toBe('warn');
  });

  it('a 1.5 listing with a file Lightning deleted still fails', () => {
    const ev = run(versionFiles('pl-1.5-max-epochs', { 'checkpoints_ls.txt': (t) => `${t}-rw-r--r-- 1 root root 1391 Mar  3 10:12 epoch=1-step=15.ckpt\n` }));
    expect(byId(ev, 'checkpoints')).toMatchObject({ status: 'fail', detail: expect.stringContaining('unexpected: epoch=1-step=15.ckpt') });
  });

  it('a 1.6+ listing is read as named', () => {
    const ev = run(versionFiles('pl-1.9-max-epochs'));
    expect(byId(ev, 'checkpoints').status).toBe('pass');
    expect(byId(ev, 'checkpoints').detail).not.toMatch(/before 1\.6/);
  });

  it('shifts only the step field', () => {
    expect(shiftCheckpointStep('epoch=3-step=31.ckpt', 1)).toBe('epoch=3-step=32.ckpt');
    expect(shiftCheckpointStep('model-epoch=3-step=31-val_loss=0.70.ckpt', 1)).toBe('model-epoch=3-step=32-val_loss=0.70.ckpt');
    expect(shiftCheckpointStep('last.ckpt', 1)).toBe('last.ckpt');
    expect(shiftCheckpointStep('epoch=3-val_step=31.ckpt', 1)).toBe('epoch=3-val_step=31.ckpt');
  });
});

describe('device lines', () => {
  // 1.0 (real logs): `TPU available: None, using: 0 TPU cores`; 1.4–1.9 `IPU available: {…}, using: {num_ipus} IPUs`,
  // 1.6 on `HPU available: {…}, using: {num_hpus} HPUs` (pytorch_lightning/trainer/trainer.py `_log_device_info`).
  it('an IPU or HPU run resolves to it, and the accelerator check accepts the request', () => {
    const ipu = 'GPU available: False, used: False\nTPU available: False, using: 0 TPU cores\nIPU available: True, using: 8 IPUs\n';
    expect(parseLog(ipu).accelerator.resolved).toBe('ipu');
    const ev = run([file('train.log', ipu), file('command.txt', 'python train.py --accelerator ipu\n')]);
    expect(byId(ev, 'accelerator')).toMatchObject({ status: 'pass', detail: 'requested ipu, ran on ipu' });
    expect(
      parseLog('GPU available: False, used: False\nTPU available: False, using: 0 TPU cores\nIPU available: False, using: 0 IPUs\nHPU available: True, using: 8 HPUs\n').accelerator.resolved,
    ).toBe('hpu');
    expect(parseLog('GPU available: False, used: False\nTPU available: None, using: 0 TPU cores\n').accelerator).toMatchObject({ resolved: 'cpu', gpuAvailable: false });
  });
});

describe('EarlyStopping and seed lines of older versions', () => {
  it('0.7–0.9 `Epoch 00005: early stopping triggered.` is EarlyStopping’s stop', () => {
    // pytorch_lightning/callbacks/early_stopping.py (0.7): log.info(f'Epoch {self.stopped_epoch + 1:05d}: early stopping triggered.')
    const log = parseLog('GPU available: False, used: False\nEpoch 00005: early stopping triggered.\n');
    expect(log.stop.reason).toBe('early_stopping');
    expect(log.normalEnd).toBe(true);
  });

  it('reads `Global seed set to N` (1.x, 2.0) and `[rank: 0] Seed set to N` (2.1 on)', () => {
    // pytorch_lightning/utilities/seed.py (1.x): log.info(f"Global seed set to {seed}")
    expect(parseLog('Global seed set to 7\n').seed).toBe(7);
    expect(parseLog('[rank: 0] Global seed set to 8\n').seed).toBe(8);
    expect(parseLog('[rank: 0] Seed set to 9\n').seed).toBe(9);
  });
});

describe('the model summary: 1.0 prints the table alone', () => {
  // 1.0 (real logs): `  | Name | Type | Params` and its rows, no `Trainable params` / `Total estimated model params size` lines.
  const table = 'GPU available: False, used: False\nTPU available: None, using: 0 TPU cores\n\n  | Name  | Type   | Params\n---------------------------------\n0 | layer | Linear | 33    \n';
  it('a table followed by training is not a cut in a log not dated 1.5 or later', () => {
    const ev = run([file('train.log', `${table}Epoch 0, global step 7: val_loss was not in top 1\n`)]);
    expect(byId(ev, 'exit').status).toBe('warn');
  });
  it('a log that ends inside the table is cut, whatever its version', () => {
    const ev = run([file('train.log', table)]);
    expect(byId(ev, 'exit')).toMatchObject({ status: 'fail', detail: expect.stringContaining('ends inside the model summary') });
  });
});

describe('1.x progress bars count the validation batches too', () => {
  // pytorch_lightning/callbacks/progress/tqdm_progress.py (1.x): the main bar's total is train + val batches, so its
  // last count of an epoch is no step; 2.x counts training batches only.
  const bar = (e: number, i: number, n: number) => `Epoch ${e}: 100%|██████████| ${i}/${n} [00:01<00:00, 9.1it/s, loss=0.5, v_num=0, val_loss=0.${9 - e}]`;
  const log1x = ['GPU available: False, used: False', 'TPU available: False, using: 0 TPU cores', bar(0, 10, 10), bar(1, 10, 10), bar(2, 10, 10), ''].join('\n');
  it('an undated log’s bar gives values, not steps', () => {
    const f = deriveFacts([file('train.log', log1x)], { root: '/tmp/v' });
    expect(f.logTable?.epochs.map((r) => r.metrics.val_loss)).toEqual([0.9, 0.8, 0.7]);
    expect(f.logTable?.stepsKnown).toBe(false);
  });
  it('a 2.x log’s bar counts steps', () => {
    const tip =
      '💡 Tip: For seamless cloud uploads and versioning, try installing [litmodels](https://pypi.org/project/litmodels/) to enable LitModelCheckpoint, which syncs automatically with the Lightning model registry.';
    const f = deriveFacts([file('train.log', log1x.replace('TPU available: False, using: 0 TPU cores', `TPU available: False, using: 0 TPU cores\n${tip}`))], { root: '/tmp/v' });
    expect(f.logTable?.stepsKnown).toBe(true);
    expect(f.logTable?.epochs.map((r) => r.step)).toEqual([9, 19, 29]);
  });
});

describe('Hydra’s job logging prefix (`[time][logger][LEVEL] - `)', () => {
  // hydra/conf/hydra/job_logging/default.yaml: format '[%(asctime)s][%(name)s][%(levelname)s] - %(message)s' (real logs:
  // `[2021-09-29 13:32:57,696][lightning][INFO] - GPU available: True, used: True`).
  it('reads EarlyStopping’s stop and ModelCheckpoint’s lines through it, and its ERROR lines as errors', () => {
    const p = (lvl: string, name: string, msg: string) => `[2021-09-29 13:33:0${lvl === 'ERROR' ? 9 : 1},696][${name}][${lvl}] - ${msg}`;
    const log = parseLog(
      [
        p('INFO', 'lightning', 'GPU available: True, used: True'),
        p('INFO', 'pytorch_lightning.callbacks.model_checkpoint', 'Epoch 0, global step 7: val_loss reached 1.01800 (best 1.01800), saving model to "/r/epoch=0-step=7.ckpt" as top 1'),
        p('INFO', 'pytorch_lightning.callbacks.early_stopping', 'Monitored metric val_loss did not improve in the last 3 records. Best score: 0.702. Signaling Trainer to stop.'),
        '',
      ].join('\n'),
    );
    expect(log.epochs.checkpoints).toHaveLength(1);
    expect(log.stop.reason).toBe('early_stopping');
    expect(parseLog(`${p('ERROR', '__main__', 'CUDA out of memory')}\n`).errors).toHaveLength(1);
  });
});

describe('config lines of older versions', () => {
  it('reads min_epochs and the resumed checkpoint as 1.x prints them', () => {
    // pytorch_lightning/loops/fit_loop.py (1.5): log.info("Trainer was signaled to stop but required minimum epochs"
    //   f" ({self.min_epochs}) or minimum steps ({self.min_steps}) has" " not been met. Training will continue...")
    const c = scanLogConfig(
      'Trainer was signaled to stop but required minimum epochs (6) or minimum steps (None) has not been met. Training will continue...\nRestored all states from the checkpoint file at /r/epoch=2-step=23.ckpt\n',
    );
    expect(c.minEpochs).toEqual({ value: 6, line: 1 });
    expect(c.resumedFrom).toEqual({ path: '/r/epoch=2-step=23.ckpt', line: 2 });
    // 1.6 on (src/pytorch_lightning/loops/fit_loop.py): f"Trainer was signaled to stop but the required `min_epochs={self.min_epochs!r}` or …"
    expect(scanLogConfig('Trainer was signaled to stop but the required `min_epochs=4` or `min_steps=None` has not been met. Training will continue...\n').minEpochs?.value).toBe(4);
  });
});

describe('the device a 1.x command asks for', () => {
  // pytorch_lightning/trainer/connectors/accelerator_connector.py (1.0–1.4): `accelerator` is the distributed backend
  // (`Trainer(accelerator='ddp', gpus=2)`), renamed `strategy` in 1.5; `gpus=N`/`tpu_cores=N`/`ipus=N` pick the device until 2.0.
  const log = 'GPU available: True, used: True\nTPU available: False, using: 0 TPU cores\n';
  const acc = (cmd: string, text = log) => byId(run([file('train.log', text), file('command.txt', `python train.py ${cmd}\n`)]), 'accelerator');
  it('`--accelerator ddp --gpus 2` asks for GPUs: no failure for a backend read as a device', () => {
    expect(acc('--accelerator ddp --gpus 2')).toMatchObject({ status: 'pass', detail: 'requested gpu, ran on gpu' });
    expect(acc('--accelerator ddp')).toMatchObject({ status: 'pass', detail: 'ran on gpu; nothing requested' });
  });
  it('`--gpus 1` on a CPU-only run fails; `--gpus 0` asks for the CPU', () => {
    expect(acc('--gpus 1', 'GPU available: False, used: False\n')).toMatchObject({ status: 'fail', detail: 'requested gpu but ran on cpu' });
    expect(acc('--gpus 0', 'GPU available: True, used: False\n')).toMatchObject({ status: 'pass', detail: 'requested cpu, ran on cpu' });
    expect(acc('--tpu_cores 8', 'GPU available: False, used: False\nTPU available: True, using: 8 TPU cores\n').status).toBe('pass');
  });
});

describe('metrics.csv as older loggers wrote it', () => {
  // test_tube/log.py `Experiment.log` (TestTubeLogger, Lightning 1.0–1.6): `if 'created_at' not in metrics_dict:
  //   metrics_dict['created_at'] = str(datetime.utcnow())`, and no step in the row.
  const testTube = 'train_loss,epoch,created_at,val_loss\n0.91,0,2021-03-04 12:00:00.123456,\n,0,2021-03-04 12:00:01.000000,1.018\n';
  it('TestTubeLogger’s file is recognised and warned about, not failed as foreign', () => {
    const m = parseMetricsCsv(testTube, 'metrics.csv');
    expect(m).toMatchObject({ kind: 'not-lightning', writer: 'test-tube' });
    const ev = run([file('metrics.csv', testTube), file('train.log', 'GPU available: False, used: False\nTPU available: None, using: 0 TPU cores\n')]);
    expect(byId(ev, 'metrics')).toMatchObject({ status: 'warn', detail: expect.stringContaining("TestTubeLogger's metrics.csv") });
    // A file with no step and no created_at is still no Lightning file.
    expect(byId(run([file('metrics.csv', 'loss,acc\n0.1,0.9\n')]), 'metrics').status).toBe('fail');
  });
  it('a `created_at` column beside `step` is a timestamp, not a metric, and no problem per row', () => {
    const m = parseMetricsCsv('train_loss,epoch,step,created_at,val_loss\n0.5,0,49,2021-03-04 12:00:00.123456,\n,0,49,2021-03-04 12:00:01.000000,0.4\n', 'metrics.csv');
    expect(m.columns).toEqual(['train_loss', 'val_loss']);
    expect(m.problems).toEqual([]);
  });
  it('1.x CSVLogger’s columns in insertion order (`train_loss,epoch,step,val_loss`) read as 2.x’s sorted ones', () => {
    // pytorch_lightning/loggers/csv_logs.py (1.x) `ExperimentWriter.save`: `metrics_keys = list(last_m.keys())` (insertion order).
    const m = parseMetricsCsv(read('versions/pl-1.5-max-epochs/metrics.csv'), 'metrics.csv');
    expect(m.epochs.map((e) => [e.epoch, e.step, e.metrics.val_loss])).toEqual([
      [0, 7, 1.018],
      [1, 15, 0.761],
      [2, 23, 0.809],
      [3, 31, 0.702],
      [4, 39, 0.733],
    ]);
  });
});

describe('1.x validation bars (`Validating:`)', () => {
  // pytorch_lightning/callbacks/progress/tqdm_progress.py (1.x): the validation bar's description is "Validating"
  // (2.x: "Validation DataLoader 0"). An epoch with no validation (check_val_every_n_epoch=2) shows the last one's
  // values in its postfix: they are not its own.
  it('an epoch without its own validation does not take the previous one’s values', () => {
    const bar = (d: string, i: number, n: number, post = '') => `${d}: 100%|██████████| ${i}/${n} [00:01<00:00, 9.1it/s${post}]`;
    const log = parseLog(
      [
        bar('Epoch 0', 10, 12, ', loss=0.5, v_num=0'),
        bar('Validating', 2, 2),
        bar('Epoch 0', 12, 12, ', loss=0.5, v_num=0, val_loss=0.9'),
        bar('Epoch 1', 10, 10, ', loss=0.4, v_num=0, val_loss=0.9'),
        bar('Epoch 2', 10, 12, ', loss=0.3, v_num=0, val_loss=0.9'),
        bar('Validating', 2, 2),
        bar('Epoch 2', 12, 12, ', loss=0.3, v_num=0, val_loss=0.7'),
        '',
      ].join('\n'),
    );
    expect(log.epochs.epochs.map((r) => [r.epoch, r.metrics.val_loss])).toEqual([
      [0, 0.9],
      [1, undefined],
      [2, 0.7],
    ]);
  });
});

describe('each INFO line twice (a notebook’s root logger beside Lightning’s own handler)', () => {
  // Real Colab output of Lightning 2.x (quoted in public notebooks):
  //   INFO: `Trainer.fit` stopped: `max_epochs=20` reached.
  //   INFO:lightning.pytorch.utilities.rank_zero:`Trainer.fit` stopped: `max_epochs=20` reached.
  it('reads the second copy as the same line: one save per epoch, its value kept', () => {
    const twice = (m: string, logger: string) => [`INFO: ${m}`, `INFO:${logger}:${m}`];
    const text = [
      ...twice('GPU available: False, used: False', 'lightning.pytorch.utilities.rank_zero'),
      ...twice("Epoch 0, global step 8: 'val_loss' reached 1.01800 (best 1.01800), saving model to '/r/epoch=0-step=8.ckpt' as top 1", 'lightning.pytorch.utilities.rank_zero'),
      ...twice("Epoch 1, global step 16: 'val_loss' reached 0.76100 (best 0.76100), saving model to '/r/epoch=1-step=16.ckpt' as top 1", 'lightning.pytorch.utilities.rank_zero'),
      ...twice('`Trainer.fit` stopped: `max_epochs=2` reached.', 'lightning.pytorch.utilities.rank_zero'),
      '',
    ].join('\n');
    const log = parseLog(text);
    expect(log.epochs.checkpoints).toHaveLength(2);
    expect(log.epochs.epochs.map((r) => [r.epoch, r.step, r.metrics.val_loss])).toEqual([
      [0, 7, 1.018],
      [1, 15, 0.761],
    ]);
    expect(scanLogConfig(text).saves.map((x) => x.epoch)).toEqual([0, 1]);
  });
});
