/**
 * The judging side against real Lightning 2.6.6 runs (fixtures/conformance,
 * conformance/generate.py): one or more cases per class of issue 10 (2–7)
 * and for "know the config, or say you don't". Each bundle is read as the
 * importer reads it; its truth.json (Lightning's own end state) is the
 * answer key and is never handed to the analysis.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBundle } from '../../server/bundles';
import { FIXTURES } from '../../fixtures/test-helpers';
import { analyseBundle } from './analyse';
import { deriveFacts } from './facts';
import type { Evidence } from './types';

const CASES = path.join(FIXTURES, 'conformance', 'cases');

function load(id: string) {
  const dir = path.join(CASES, id);
  const files = readBundle(dir).files.filter((f) => f.path !== 'truth.json');
  const truth = JSON.parse(fs.readFileSync(path.join(dir, 'truth.json'), 'utf8'));
  return { dir, files, truth, ev: analyseBundle(files, { root: dir }) };
}
const check = (ev: Evidence, id: string) => ev.checks.find((c) => c.id === id)!;
const expectedNames = (ev: Evidence) => ev.checkpoints.expected.map((e) => e.name).sort();
const lightningFiles = (truth: { checkpoint_files: string[] }) => truth.checkpoint_files.filter((f) => f.endsWith('.ckpt')).sort();

describe('class 2: top-k replay with names that do not carry the score', () => {
  it('keeps only the k best of the default `epoch=E-step=S` names, as Lightning did (c019: save_top_k=2 over val_acc, max)', () => {
    const { ev, truth } = load('c019-min-epochs');
    expect(check(ev, 'checkpoints')).toMatchObject({ status: 'pass', detail: '3 files exactly as the replay of save_top_k=2 + last expects (monitor=val_acc, mode=max, save_top_k=2)' });
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
  });

  it('fails the copy with a kept file removed from the listing, naming it (c186: default names, saves every 2 training steps)', () => {
    const { ev, truth } = load('c186-nan~drop-kept');
    expect(check(ev, 'checkpoints').status).toBe('fail');
    expect(truth.tampered.detail).toContain('epoch=1-step=6.ckpt');
    expect(check(ev, 'checkpoints').detail).toContain('missing: epoch=1-step=6.ckpt');
  });
});

describe('class 3: ties — only a strictly better score replaces a kept file', () => {
  it("keeps the older of equal scores and Lightning's own best_k_models agree (c041: save_top_k=2, runproof.json)", () => {
    const { ev, truth } = load('c041-ties');
    expect(check(ev, 'checkpoints').status).toBe('pass');
    expect(check(ev, 'checkpoints').detail).toContain("Lightning's own best_k_models agree");
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
    // the validations hold ties: the later equal score never replaced a kept file
    const values = truth.validations.map((v: { value: number }) => v.value);
    expect(new Set(values).size).toBeLessThan(values.length);
  });

  it('with save_top_k=1 a tie in the last epoch leaves the first best file (c000, log-only)', () => {
    const { ev, truth } = load('c000-ties');
    expect(check(ev, 'checkpoints')).toMatchObject({ status: 'pass' });
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
  });
});

describe('class 4: names — templates, auto_insert_metric_name=False, -vN, optimizer steps, `/` in a metric', () => {
  it('reads `{epoch}` names without their key (auto_insert_metric_name=False): 1.ckpt, 2.ckpt', () => {
    const { ev, truth } = load('c039-early-stop');
    expect(ev.checkpoints.template).toBe('{epoch}');
    expect(check(ev, 'checkpoints').status).toBe('pass');
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
  });

  it("a rerun into the same folder: the new fit's names take -v1 and the earlier run's files are named as such", () => {
    const { ev, truth } = load('c057-rerun');
    expect(check(ev, 'checkpoints')).toMatchObject({ status: 'pass', detail: expect.stringContaining('6 from an earlier run in the folder') });
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
    expect(expectedNames(ev).filter((n) => n.endsWith('-v1.ckpt'))).toHaveLength(6);
  });

  it('steps in names count optimizer steps (two optimizers: twice the batches), and a kept file removed fails', () => {
    const { ev, truth } = load('c036-two-optimizers');
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
    expect(lightningFiles(truth)).toEqual(['epoch=3-step=16.ckpt']); // 4 epochs × 2 batches × 2 optimizers
    expect(check(load('c142-two-optimizers~drop-kept').ev, 'checkpoints')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('not in the listing: epoch=4-step=20-val_loss=0.359.ckpt'),
    });
  });

  it('a `/` in a metric name makes sub-folders: the `ls -lR` listing is read with them', () => {
    const { ev, truth } = load('c080-max-steps');
    expect(ev.checkpoints.found.map((c) => c.name).sort()).toEqual(lightningFiles(truth));
    expect(lightningFiles(truth)).toContain('epoch=3-step=14-val/loss=0.572.ckpt');
    expect(check(ev, 'checkpoints').status).toBe('pass');
  });
});

describe('class 5: validation sparse by design', () => {
  it("every_n_train_steps saves between validations with the last validation's (stale) value, and max_steps ends mid-epoch", () => {
    const { ev, truth } = load('c080-max-steps');
    // two files of epoch 3 carry epoch 2's val/loss: saved at steps 14 and 16, before epoch 3's validation
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
    expect(check(ev, 'epochs')).toMatchObject({ status: 'pass', detail: '4 of max_epochs=10: `Trainer.fit` stopped: `max_steps=16` reached.' });
  });

  it('val_check_interval: several validations per epoch, one step-named file each (no command: monitor none, every save kept)', () => {
    const { ev, truth } = load('c021-val-interval');
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
    expect(expectedNames(ev)).toHaveLength(6);
    expect(check(ev, 'metrics').status).toBe('pass');
  });

  it('check_val_every_n_epoch=2: the epochs without validation are not gaps in the metrics', () => {
    const { ev } = load('c075-sparse-val');
    expect(check(ev, 'metrics')).toMatchObject({ status: 'pass', detail: 'val_acc logged for the 4 epochs that validated; epochs 0, 2, 4, 6 not validated by check_val_every_n_epoch=2' });
    expect(check(ev, 'checkpoints').status).toBe('pass');
    // with no command, the period is read from the validated epochs themselves
    expect(check(load('c059-sparse-val').ev, 'metrics').detail).toContain('not validated by check_val_every_n_epoch=2 (the validated epochs show it)');
  });

  it('a max_steps stop mid-epoch leaves the last epoch without validation, and that is explained (c006)', () => {
    const { ev } = load('c006-max-steps');
    expect(check(ev, 'metrics')).toMatchObject({ status: 'pass', detail: expect.stringContaining('epoch 4 ended at max_steps=13 before its validation') });
    expect(check(ev, 'epochs').status).toBe('pass');
  });
});

describe('class 6: EarlyStopping beyond patience', () => {
  it('min_epochs keeps training after should_stop; stopped_epoch is the last check that said stop (c042, quiet)', () => {
    const { ev, truth } = load('c042-min-epochs');
    expect(truth.early_stopping).toMatchObject({ stopped_epoch: 3, stopping_reason: 'patience_exhausted' });
    expect(ev.earlyStop).toMatchObject({ triggered: true, stoppedEpoch: 3 });
    expect(ev.stop.reason).toBe('early_stopping');
    expect(check(ev, 'early-stop').status).toBe('pass');
    expect(check(ev, 'exit').status).toBe('pass');
  });

  it('divergence_threshold in the last epoch: EarlyStopping ended the fit though Lightning printed only max_epochs (c022)', () => {
    const { ev, truth } = load('c022-diverge');
    expect(truth).toMatchObject({ ending: 'early_stopping', detail: 'divergence_threshold' });
    expect(ev.stop.reason).toBe('early_stopping');
    expect(check(ev, 'early-stop')).toMatchObject({ status: 'pass', detail: expect.stringContaining('(divergence)') });
  });

  it('check_finite: a NaN stops the fit (c082)', () => {
    const { ev } = load('c082-nan');
    expect(ev.earlyStop).toMatchObject({ triggered: true, stoppedEpoch: 2 });
    expect(check(ev, 'early-stop').detail).toContain('(non finite)');
  });

  it('a stopping_threshold the command does not state: the replay finds one that ends the fit there, and warns (c160)', () => {
    const { ev, truth } = load('c160-threshold');
    expect(truth.early_stopping).toMatchObject({ stopping_reason: 'stopping_threshold', stopped_epoch: 3 });
    expect(ev.earlyStop).toMatchObject({ triggered: true, stoppedEpoch: 3, bestScore: 0.816 });
    expect(check(ev, 'early-stop')).toMatchObject({ status: 'warn', detail: expect.stringContaining('only with a stopping_threshold in (0.661, 0.816]') });
  });
});

describe('class 7: config the bundle does not state is not taken as known', () => {
  it('no save_top_k knob: a deliberate top-3 is read from the files, not failed against a default 1 (c011)', () => {
    const { ev, truth } = load('c011-test-after-fit');
    expect(check(ev, 'checkpoints')).toMatchObject({ status: 'pass', detail: expect.stringContaining('save_top_k=3 (inferred from 3 files kept)') });
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
  });

  it("an accuracy monitor: higher is better, from the files kept and from EarlyStopping's printed best score", () => {
    const facts = deriveFacts(load('c222-plain').files, { root: 'c222-plain' });
    expect(facts.mode).toMatchObject({ state: 'known', value: 'max', source: expect.stringContaining("EarlyStopping's best score 0.795 is the highest val/acc") });
    expect(load('c300-diverge').ev.monitor).toMatchObject({ name: 'val/acc', mode: 'max' });
  });

  it('every_n_epochs the bundle never states, shown by the kept epochs: consistent, but only a warning (c124)', () => {
    const { ev, truth } = load('c124-ties');
    expect(check(ev, 'checkpoints')).toMatchObject({ status: 'warn', detail: expect.stringContaining('every_n_epochs=2 (inferred from the kept files (saved every 2 epochs))') });
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
  });
});

describe("know the config, or say you don't", () => {
  it("runproof.json: Lightning's own best_k_models against the listing; a kept file removed fails naming it", () => {
    expect(check(load('c070-early-stop').ev, 'checkpoints').detail).toContain("Lightning's own best_k_models agree (runproof.json: end best_k_models and last_model_path)");
    expect(check(load('c070-early-stop~drop-kept').ev, 'checkpoints')).toMatchObject({
      status: 'fail',
      detail: 'runproof.json: end best_k_models and last_model_path against the listing: kept by Lightning but not in the listing: epoch=1-step=6-val_loss=0.829.ckpt',
    });
  });

  it('a log without an end line and nothing to say why: warns with what would settle it; a cut one fails on its evidence', () => {
    expect(check(load('c009-rerun').ev, 'exit')).toMatchObject({ status: 'warn', detail: expect.stringContaining('runproof.json or the EarlyStopping settings would settle it') });
    expect(check(load('c082-nan~cut-log').ev, 'exit')).toMatchObject({ status: 'fail', detail: expect.stringContaining('ends inside the model summary') });
    expect(check(load('c122-max-steps~cut-log').ev, 'exit')).toMatchObject({ status: 'fail', detail: expect.stringContaining('runproof.json says the fit ran to its end') });
    expect(check(load('c093-plain~cut-log').ev, 'exit')).toMatchObject({ status: 'fail', detail: expect.stringContaining("metrics.csv's rows show the fit reached max_epochs=4") });
  });

  it('every healthy case above: no check fails', () => {
    for (const id of [
      'c019-min-epochs',
      'c041-ties',
      'c039-early-stop',
      'c057-rerun',
      'c080-max-steps',
      'c021-val-interval',
      'c075-sparse-val',
      'c042-min-epochs',
      'c022-diverge',
      'c160-threshold',
      'c011-test-after-fit',
      'c124-ties',
      'c009-rerun',
    ]) {
      expect(
        load(id)
          .ev.checks.filter((c) => c.status === 'fail')
          .map((c) => `${id} ${c.id}: ${c.detail}`),
      ).toEqual([]);
    }
  });
});
