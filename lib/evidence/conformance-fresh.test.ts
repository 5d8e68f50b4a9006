/**
 * Cases from fresh conformance samples (conformance/generate.py with real
 * Lightning 2.6.6, seeds 9001, 777, 4242, 31337, 555, 2024, 8080, 1234, 31415
 * 27182, 22222, 24680, 2718, 314 and 90210;
 * fixtures/conformance-fresh)
 * that Runproof once got wrong, one or more per class of input. Each bundle
 * is read as the importer reads it; truth.json is the answer key and is
 * never handed to the analysis.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareCase, type Truth } from '../../conformance/compare';
import { FIXTURES } from '../../fixtures/test-helpers';
import { readBundle } from '../../server/bundles';
import { analyseBundle } from './analyse';
import type { Evidence } from './types';

const CASES = path.join(FIXTURES, 'conformance-fresh', 'cases');

function load(id: string) {
  const dir = path.join(CASES, id);
  const files = readBundle(dir).files.filter((f) => f.path !== 'truth.json');
  const truth = JSON.parse(fs.readFileSync(path.join(dir, 'truth.json'), 'utf8')) as Truth & {
    checkpoint_files: string[];
    validations: Array<{ epoch: number }>;
    checkpoint_events: Array<{ op: string; path: string }>;
  };
  return { truth, ev: analyseBundle(files, { root: dir }) };
}
const check = (ev: Evidence, id: string) => ev.checks.find((c) => c.id === id)!;
const expectedNames = (ev: Evidence) => ev.checkpoints.expected.map((e) => e.name).sort();
const lightningFiles = (truth: { checkpoint_files: string[] }) => truth.checkpoint_files.filter((f) => f.endsWith('.ckpt')).sort();

describe('endings: the stop line and the exception decide, not an EarlyStopping signal before them', () => {
  it('max_steps reached in the epoch EarlyStopping then signals in: the fit ended by max_steps (s9001-c030)', () => {
    const { ev, truth } = load('s9001-c030-max-steps');
    expect(truth.ending).toBe('max_steps');
    expect(truth.early_stopping).toMatchObject({ stopped_epoch: 2 });
    expect(ev.stop.reason).toBe('max_steps');
    expect(ev.status).toBe('succeeded');
  });

  it('SIGTERM raised in the fit loop after EarlyStopping signalled: killed, failed (s9001-c097)', () => {
    const { ev, truth } = load('s9001-c097-sigterm');
    expect(truth).toMatchObject({ ending: 'sigterm', exit: { status: 'failed' } });
    expect(ev.stop.reason).toBe('killed');
    expect(ev.status).toBe('failed');
    expect(check(ev, 'exit').status).toBe('fail');
  });

  it("a log cut after verbose EarlyStopping's improvements and before its stop fails exit (s9001-c029~cut-log)", () => {
    const { ev } = load('s9001-c029-diverge~cut-log');
    expect(check(ev, 'exit')).toMatchObject({ status: 'fail', detail: expect.stringContaining('EarlyStopping is verbose (it printed its improvement at line') });
  });
});

describe('checkpoints: save triggers the bundle does not state', () => {
  it('a kept file the defaults never leave is explained by an unstated every_n setting, and only warns (s9001-c047, s9001-c296)', () => {
    for (const id of ['s9001-c047-ties', 's9001-c296-sparse-val']) {
      const { ev, truth } = load(id);
      expect(check(ev, 'checkpoints')).toMatchObject({ status: 'warn', detail: expect.stringContaining('explained only with a setting the bundle does not state') });
      expect(expectedNames(ev)).toEqual(lightningFiles(truth));
    }
  });

  it('one kept file removed from a top-3 listing still fails when the command states ModelCheckpoint (s9001-c154~drop-kept)', () => {
    const { ev, truth } = load('s9001-c154-max-steps~drop-kept');
    expect(check(ev, 'checkpoints').status).toBe('fail');
    expect(check(load('s9001-c154-max-steps').ev, 'checkpoints').status).toBe('pass');
    expect(truth.tampered?.kind).toBe('drop-kept');
  });

  it('every_n_train_steps with validations inside the epoch: the last batch defers to the next validation (s9001-c271)', () => {
    const { ev, truth } = load('s9001-c271-val-interval');
    expect(check(ev, 'checkpoints').status).toBe('pass');
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
  });

  it("a rerun whose saves write one name several times: the -vN this fit made are told from the earlier run's (s9001-c193)", () => {
    const { ev, truth } = load('s9001-c193-rerun');
    expect(check(ev, 'checkpoints')).toMatchObject({ status: 'pass', detail: expect.stringContaining('3 from an earlier run in the folder') });
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
  });

  it('a NaN score printed as -inf by ModelCheckpoint is read as the file name says (s777-c060, log only)', () => {
    const { ev, truth } = load('s777-c060-nan');
    expect(lightningFiles(truth)).toContain('epoch=epoch=02-val=val_acc=nan.ckpt');
    expect(check(ev, 'checkpoints').status).toBe('pass');
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
  });
});

describe('know the monitor, or say it is assumed', () => {
  it('every_n_epochs=2 unstated: the monitor and mode the kept files suggest under the defaults are assumed, not known (s777-c156)', () => {
    const { ev, truth } = load('s777-c156-early-stop');
    expect(truth.config).toMatchObject({ monitor: 'val_loss', mode: 'min' });
    expect(ev.monitor).toMatchObject({ assumed: true });
    expect(compareCase(truth, ev).facts.filter((f) => f.verdict !== 'agree')).toEqual([]);
  });

  it('a name that spells its metric states the monitor though every_n is unstated (s4242-c067: val_acc=0.735)', () => {
    const { ev } = load('s4242-c067-ties');
    expect(ev.monitor).toMatchObject({ name: 'val_acc', mode: 'max', source: 'checkpoint file names' });
  });

  it('an unlabelled field (`score0.864`) matched to a column is no stated monitor (s777-c273)', () => {
    const { ev, truth } = load('s777-c273-rerun');
    expect(truth.config.monitor).toBe('val_loss');
    expect(ev.monitor).toMatchObject({ source: 'checkpoint file names', assumed: true });
  });

  it('the best value of an assumed monitor is no claim either (s9001-c123: val_acc, max; a val_loss column assumed)', () => {
    const { ev, truth } = load('s9001-c123-max-steps');
    expect(ev.monitor).toMatchObject({ name: 'val_loss', source: 'validation loss column', assumed: true });
    expect(compareCase(truth, ev).facts.find((f) => f.fact === 'monitored best')).toBeUndefined();
  });
});

describe('epochs', () => {
  it("without a progress bar the log's values are only what the callbacks printed: runproof.json gives every epoch (s9001-c156)", () => {
    const { ev, truth } = load('s9001-c156-two-optimizers');
    expect(ev.epochs.map((e) => e.epoch)).toEqual([0, 1, 2, 3, 4]);
    expect(truth.last_train_step?.epoch).toBe(4);
    expect(check(ev, 'epochs')).toMatchObject({ status: 'pass', detail: '5 of max_epochs=5' });
  });
});

describe('an expectation it cannot know is not claimed', () => {
  it('log only, several validations an epoch (val_check_interval=0.25): the warning claims no expected files, and says why (s4242-c133)', () => {
    const { ev, truth } = load('s4242-c133-val-interval');
    expect(check(ev, 'checkpoints')).toMatchObject({ status: 'warn', detail: expect.stringContaining('one per epoch for several validations') });
    expect(ev.checkpoints).toMatchObject({ expected: [], missing: [], unexpected: [], expectedUnknown: expect.stringContaining('what ModelCheckpoint left is not known') });
    // were the config and exact values there, the fact would be asked for: it is unstated, not wrong
    const asked = compareCase({ ...truth, bundle: { ...truth.bundle, files: [...truth.bundle.files, 'metrics.csv'] } }, ev).facts.find((f) => f.fact === 'checkpoints expected');
    expect(asked).toMatchObject({ verdict: 'unstated' });
    // an explained replay claims what it expects
    expect(load('s9001-c271-val-interval').ev.checkpoints.expectedUnknown).toBeUndefined();
  });
});

describe('more classes (seeds 31337, 555, 2024)', () => {
  it('EarlyStopping checking at a validation inside the epoch stops it there: the bar redrawn at that batch is no cut log (s31337-c040)', () => {
    const { ev, truth } = load('s31337-c040-val-interval');
    expect(truth.ending).toBe('early_stopping');
    expect(check(ev, 'exit').status).toBe('pass');
    expect(ev.stop.reason).toBe('early_stopping');
  });

  it("log only, no progress bar, sparse validation: the values' epochs are no claim of the last epoch trained (s31337-c030)", () => {
    const { ev } = load('s31337-c030-sparse-val');
    expect(ev.epochs.map((e) => e.epoch)).toEqual([1, 3]);
    expect(ev.epochsPartial).toContain('no progress bar');
    expect(check(ev, 'epochs').status).toBe('pass');
    expect(check(ev, 'early-stop').status).not.toBe('fail');
  });

  it('log only: verbose saves at two steps of an epoch (validations inside it) cannot be replayed from one value an epoch (s31337-c073)', () => {
    const { ev } = load('s31337-c073-val-interval');
    expect(check(ev, 'checkpoints')).toMatchObject({ status: 'warn', detail: expect.stringContaining('one per epoch for several validations') });
    expect(ev.checkpoints.expectedUnknown).toBeDefined();
  });

  it('log only with every_n_train_steps: a save between validations prints the last value under the next epoch, so it only warns (s31337-c215)', () => {
    const { ev } = load('s31337-c215-diverge');
    expect(check(ev, 'checkpoints')).toMatchObject({ status: 'warn', detail: expect.stringContaining('printed by saves between validations') });
  });

  it("a stated monitor with no mode: the mode is the name's guess, not the one the kept files suggest under unstated every_n (s31337-c154: val/acc, max)", () => {
    const { ev } = load('s31337-c154-nan');
    expect(ev.monitor).toMatchObject({ name: 'val/acc', mode: 'max', assumed: true });
  });

  it("a resumed fit: EarlyStopping's restored wait and best are read back from Lightning's own record (s555-c323, s2024-c174)", () => {
    for (const id of ['s555-c323-resume', 's2024-c174-resume']) {
      const { ev, truth } = load(id);
      expect(ev.earlyStop).toMatchObject({ triggered: true, stoppedEpoch: truth.early_stopping!.stopped_epoch, wait: truth.early_stopping!.wait_count });
      expect((ev.earlyStop!.unstated ?? []).join(' ')).toContain("read back from Lightning's own record");
      expect(check(ev, 'early-stop').status).toBe('pass');
    }
  });

  it('verbose ModelCheckpoint printed its first save at epoch 1: the defaults (a save at epoch 0) are given up for every_n_epochs=2, and it warns (s2024-c064)', () => {
    const { ev, truth } = load('s2024-c064-threshold');
    expect(check(ev, 'checkpoints')).toMatchObject({ status: 'warn', detail: expect.stringContaining('every_n_epochs=2') });
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
  });

  it('an unlabelled name field is matched to a metric validated several times an epoch (s2024-c223: ep01_score0.151 is val/loss)', () => {
    const { ev, truth } = load('s2024-c223-val-interval');
    expect(check(ev, 'checkpoints').status).toBe('pass');
    expect(ev.checkpoints.template).toBe('ep{epoch:02d}_score{val/loss:.3f}');
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
  });

  it('a crash after the last logged row: the name epoch=3-step=16 shows how far the fit got, and the replay goes there (s2024-c256)', () => {
    const { ev, truth } = load('s2024-c256-exception');
    expect(truth.ending).toBe('exception');
    expect(check(ev, 'checkpoints').status).toBe('pass');
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
  });
});

describe('seed 8080', () => {
  it("a resumed fit whose checkpoint carried an earlier EarlyStopping stop: that stop is not this fit's (s8080-c104, runproof.json)", () => {
    const { ev, truth } = load('s8080-c104-resume');
    expect(truth.ending).toBe('max_epochs');
    expect(truth.early_stopping).toMatchObject({ stopping_reason: 'patience_exhausted', stopped_epoch: 3 });
    expect(ev.stop.reason).toBe('max_epochs');
    expect(ev.earlyStop).toMatchObject({ triggered: false });
    expect(check(ev, 'early-stop').status).toBe('pass');
  });

  it('log only, every_n_epochs=2 with check_val_every_n_epoch=3: the one printed value is no best of the fit (s8080-c044)', () => {
    const { ev, truth } = load('s8080-c044-sparse-val');
    expect(ev.epochs.map((e) => e.epoch)).toEqual([5]);
    expect(ev.epochsPartial).toBeDefined();
    expect(compareCase(truth, ev).facts.find((f) => f.fact === 'monitored best')).toBeUndefined();
  });
});

describe('seed 1234', () => {
  it('log only: a name printing the monitored value finer than the progress bar gives the replay that value (s1234-c188: val/loss=1.0110, bar 1.01)', () => {
    const { ev, truth } = load('s1234-c188-sparse-val');
    expect(check(ev, 'checkpoints').status).toBe('pass');
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
  });

  it('a crash before anything was logged: a configured EarlyStopping is still said not to have stopped (s1234-c231)', () => {
    const { ev, truth } = load('s1234-c231-exception');
    expect(truth.early_stopping).toMatchObject({ stopping_reason: 'not_stopped' });
    expect(ev.earlyStop).toMatchObject({ configured: true, triggered: false, bestScore: null });
    expect(check(ev, 'exit').status).toBe('fail');
  });
});

describe('seed 31415', () => {
  it('save_top_k=0 with a last.ckpt only saves every n steps leave: the every_n search opens for it (s31415-c071, killed)', () => {
    const { ev, truth } = load('s31415-c071-sigterm');
    expect(lightningFiles(truth)).toEqual(['last.ckpt']);
    expect(check(ev, 'checkpoints')).toMatchObject({ status: 'warn', detail: expect.stringContaining('every_n_train_steps=') });
  });

  it("no progress bar: EarlyStopping's stop line takes the epoch of the ModelCheckpoint line printed right after it (s31415-c152)", () => {
    const { ev, truth } = load('s31415-c152-resume');
    expect(truth.ending).toBe('early_stopping');
    expect(ev.stop.reason).toBe('early_stopping');
    expect(ev.status).toBe('succeeded');
  });
});

describe('seed 27182', () => {
  it('log only: two kept files named for one epoch show saves inside it, which one value an epoch cannot replay (s27182-c254)', () => {
    const { ev } = load('s27182-c254-val-interval');
    expect(check(ev, 'checkpoints')).toMatchObject({ status: 'warn', detail: expect.stringContaining('one per epoch for several validations') });
  });

  it('a resume without runproof.json whose quiet EarlyStopping fired in the last epoch reads max_epochs, as Lightning prints (s27182-c107)', () => {
    const { ev, truth } = load('s27182-c107-resume');
    expect(truth).toMatchObject({ ending: 'early_stopping', early_stopping: { stopped_epoch: 5 } });
    expect(ev.stop.reason).toBe('max_epochs');
    expect(compareCase(truth, ev).facts.find((f) => f.fact === 'ending')).toMatchObject({ verdict: 'agree' });
    expect(check(ev, 'early-stop').status).toBe('skip');
  });
});

describe('seed 22222', () => {
  it('one kept file and no save_top_k stated: the every_n search opens (every_n_epochs=2 kept only epoch 1), and it warns (s22222-c145)', () => {
    const { ev, truth } = load('s22222-c145-nan');
    expect(lightningFiles(truth)).toEqual(['epoch=1-step=10-val_loss=nan.ckpt']);
    expect(check(ev, 'checkpoints')).toMatchObject({ status: 'warn', detail: expect.stringContaining('every_n_epochs=2') });
  });
});

describe('seed 24680', () => {
  it("a rerun whose fit writes one name twice and another once: each name's own versions counted apart (s24680-c302)", () => {
    const { ev, truth } = load('s24680-c302-rerun');
    expect(check(ev, 'checkpoints')).toMatchObject({ status: 'pass', detail: expect.stringContaining('4 from an earlier run in the folder') });
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
  });
});

describe('seed 2718', () => {
  it('log only: the progress bar pads NaN to `nan.0`, which is read as NaN, so the first (NaN) save is replayed (s2718-c186)', () => {
    const { ev, truth } = load('s2718-c186-all-nan');
    expect(lightningFiles(truth)).toContain('epoch=0-step=3-val_loss=nan.ckpt');
    expect(check(ev, 'checkpoints').status).toBe('pass');
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
  });
});

describe('seed 314', () => {
  it("no EarlyStopping: the monitored best is over every validation, the last one of a fit killed before that epoch's end too (s314-c141)", () => {
    const { ev, truth } = load('s314-c141-sigterm');
    expect(truth).toMatchObject({ ending: 'sigterm', monitored_best: 0.3 });
    expect(ev.earlyStop).toMatchObject({ configured: false, bestScore: 0.3 });
  });
});

describe('seed 90210', () => {
  it("a resumed fit whose restored best file it deleted: the restored score is tried at the values validated, the log's saves decide (s90210-c053)", () => {
    const { ev, truth } = load('s90210-c053-resume');
    expect(truth.checkpoint_events[1]).toMatchObject({ op: 'delete', path: 'ep02_score0.500.ckpt' });
    expect(check(ev, 'checkpoints').status).toBe('pass');
    expect(expectedNames(ev)).toEqual(lightningFiles(truth));
  });
});

describe('the whole folder', () => {
  it('every case conforms: facts agree, no false fail, no tampering missed', () => {
    const ids = fs.readdirSync(CASES).sort();
    expect(ids.length).toBeGreaterThanOrEqual(15);
    const bad: string[] = [];
    for (const id of ids) {
      const { ev, truth } = load(id);
      const r = compareCase(truth, ev);
      for (const f of r.facts) if (f.verdict !== 'agree') bad.push(`${id}: ${f.fact} ${f.verdict} (Lightning ${f.truth}; Runproof ${f.said})`);
      for (const c of r.falseFails) bad.push(`${id}: false fail ${c.id}: ${c.detail}`);
      for (const m of r.missed) bad.push(`${id}: missed ${m}`);
    }
    expect(bad).toEqual([]);
  });
});
