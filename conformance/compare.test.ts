/**
 * The conformance comparer and the committed corpus it runs on
 * (fixtures/conformance, real Lightning 2.6.6 runs from conformance/generate.py).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyseBundle } from '../lib/evidence/analyse';
import type { Evidence } from '../lib/evidence/types';
import { readBundle } from '../server/bundles';
import { CLASS_NAMES, compareCase, summarise, type Truth } from './compare';

const CORPUS = path.join(__dirname, '..', 'fixtures', 'conformance');
const CASES = path.join(CORPUS, 'cases');
const ids = fs.readdirSync(CASES).sort();
const truthOf = (id: string) => JSON.parse(fs.readFileSync(path.join(CASES, id, 'truth.json'), 'utf8')) as Truth;
const truths = ids.map(truthOf);

function analyse(id: string): Evidence {
  const dir = path.join(CASES, id);
  return analyseBundle(
    readBundle(dir).files.filter((f) => f.path !== 'truth.json'),
    { root: dir },
  );
}

/** An evidence document that says exactly what Lightning did (the answer a conforming analysis gives). */
function agreeing(t: Truth, ev: Evidence): Evidence {
  const out = structuredClone(ev);
  const reason = { max_epochs: 'max_epochs', max_steps: 'max_steps', early_stopping: 'early_stopping', exception: 'error', sigterm: 'error' } as const;
  out.stop = { reason: reason[t.ending], message: null };
  out.status = t.exit.status;
  out.checks = out.checks.map((c) => ({ ...c, status: c.status === 'fail' ? 'pass' : c.status }));
  out.checkpoints.found = t.checkpoint_files.map((name) => ({ name, sizeBytes: null, epoch: null, step: null, score: null, kind: 'other', expected: true }));
  out.checkpoints.expected = t.checkpoint_files.map((name) => ({ name, epoch: 0, score: null, kind: 'top-k' }));
  if (t.last_train_step) out.epochs = [{ epoch: t.last_train_step.epoch, step: t.last_train_step.global_step, metrics: {} }];
  out.monitor = { name: t.config.monitor, mode: t.config.mode, source: 'test' };
  const es = t.early_stopping;
  const best = es ? (typeof es.best_score === 'number' ? es.best_score : null) : t.monitored_best;
  out.earlyStop = {
    configured: !!es,
    monitor: t.config.monitor,
    mode: t.config.mode,
    patience: 1,
    minDelta: 0,
    bestEpoch: 0,
    bestScore: best,
    wait: 0,
    triggered: !!es && es.stopping_reason !== 'not_stopped',
    stoppedEpoch: es && es.stopping_reason !== 'not_stopped' ? es.stopped_epoch : null,
    trace: [],
  };
  return out;
}

describe('the committed corpus', () => {
  test('holds at least 300 real Lightning configurations, every class, every ending and every tampering', () => {
    const real = truths.filter((t) => !t.tampered);
    expect(real.length).toBeGreaterThanOrEqual(300);
    expect(new Set(real.map((t) => t.generator?.lightning))).toEqual(new Set(['2.6.6']));
    for (const k of Object.keys(CLASS_NAMES)) expect(real.filter((t) => t.classes.includes(Number(k))).length, `class ${k}`).toBeGreaterThanOrEqual(5);
    for (const e of ['max_epochs', 'max_steps', 'early_stopping', 'exception', 'sigterm'])
      expect(
        real.some((t) => t.ending === e),
        e,
      ).toBe(true);
    const kinds = new Set(truths.filter((t) => t.tampered).map((t) => t.tampered!.kind));
    expect(kinds).toEqual(new Set(['drop-kept', 'add-deleted', 'drop-epoch', 'cut-log']));
    // bundles only: no checkpoint file made it into the corpus
    for (const id of ids) for (const f of fs.readdirSync(path.join(CASES, id))) expect(f.endsWith('.ckpt'), `${id}/${f}`).toBe(false);
  });
});

describe('RunproofCallback (python/runproof_lightning) in the corpus', () => {
  test("runproof.json's last state is Lightning's own end state, and its settings are the config's", () => {
    const withJson = truths.filter((t) => !t.tampered && t.bundle.runproof_json);
    expect(withJson.length).toBeGreaterThanOrEqual(30);
    for (const t of withJson) {
      const rp = JSON.parse(fs.readFileSync(path.join(CASES, t.id, 'runproof.json'), 'utf8'));
      const tt = t as Truth & {
        model_checkpoint: { best_k_models: Record<string, unknown>; best_model_path: string | null } | null;
        global_step: number;
        config: Truth['config'] & { es: Record<string, unknown> | null; trainer: { max_epochs: number } };
      };
      expect(rp.versions.lightning, t.id).toBe('2.6.6');
      expect(rp.trainer.max_epochs, t.id).toBe(tt.config.trainer.max_epochs);
      expect(rp.end, t.id).not.toBeNull();
      expect(rp.end.how, t.id).toBe(t.exit.status === 'succeeded' ? 'train_end' : 'exception');
      expect(rp.end.global_step, t.id).toBe(tt.global_step);
      if (tt.model_checkpoint) {
        expect(Object.keys(rp.end.model_checkpoint[0].best_k_models).sort(), t.id).toEqual(Object.keys(tt.model_checkpoint.best_k_models).sort());
        expect(rp.end.model_checkpoint[0].best_model_path ?? null, t.id).toBe(tt.model_checkpoint.best_model_path ?? null);
      }
      if (t.early_stopping) {
        expect(rp.early_stopping[0].patience, t.id).toBe(tt.config.es!.patience);
        expect(rp.end.early_stopping[0], t.id).toMatchObject({
          wait_count: t.early_stopping.wait_count,
          stopped_epoch: t.early_stopping.stopped_epoch,
          stopping_reason: t.early_stopping.stopping_reason,
        });
      }
    }
  });
});

describe('compareCase', () => {
  const healthy = truths.find(
    (t) => !t.tampered && t.healthy && t.bundle.listing && t.bundle.command === 'full' && t.bundle.files.includes('metrics.csv') && t.early_stopping && t.config.rerun === null,
  )!;
  const crashed = truths.find((t) => !t.tampered && t.ending === 'exception')!;
  const tampered = truths.find((t) => t.tampered?.kind === 'drop-kept')!;

  test('an evidence that says what Lightning did agrees on every fact and fails nothing', () => {
    const r = compareCase(healthy, agreeing(healthy, analyse(healthy.id)));
    expect(r.facts.length).toBeGreaterThanOrEqual(7);
    expect(r.facts.filter((f) => f.verdict !== 'agree')).toEqual([]);
    expect(r.falseFails).toEqual([]);
    expect(summarise([r]).all).toMatchObject({ agree: r.facts.length, checked: r.facts.length, falseFails: 0, missed: 0 });
  });

  test('a wrong fact, an unstated one and a fail on a healthy run are each counted', () => {
    const ev = agreeing(healthy, analyse(healthy.id));
    ev.checkpoints.expected = ev.checkpoints.expected.concat([{ name: 'epoch=99-step=999.ckpt', epoch: 99, score: null, kind: 'top-k' }]);
    ev.stop = { reason: 'unknown', message: null };
    ev.checks = ev.checks.map((c) => (c.id === 'checkpoints' ? { ...c, status: 'fail', detail: 'unexpected: x' } : c));
    const r = compareCase(healthy, ev);
    expect(r.facts.find((f) => f.fact === 'checkpoints expected')?.verdict).toBe('wrong');
    expect(r.facts.find((f) => f.fact === 'ending')?.verdict).toBe('unstated');
    expect(r.falseFails.map((c) => c.id)).toEqual(['checkpoints']);
    const s = summarise([r]);
    expect(s.all.agree).toBe(s.all.checked - 2);
    expect(s.falseFailsByCheck).toEqual({ checkpoints: 1 });
  });

  test('an EarlyStopping replay resting on unstated settings is no claim where the bundle lacks the config, and is judged where it states it', () => {
    const flip = (t: Truth) => {
      const ev = agreeing(t, analyse(t.id));
      ev.earlyStop = { ...ev.earlyStop!, triggered: !ev.earlyStop!.triggered, stoppedEpoch: ev.earlyStop!.triggered ? null : 0, bestScore: -12345, unstated: ['min_delta=0'] };
      return compareCase(t, ev)
        .facts.filter((f) => f.fact === 'early stop' || f.fact === 'monitored best')
        .map((f) => `${f.fact}: ${f.verdict}`);
    };
    const unstated = truths.find((t) => !t.tampered && t.healthy && t.early_stopping && t.bundle.command !== 'full' && !t.bundle.runproof_json && t.bundle.files.includes('metrics.csv'))!;
    expect(flip(unstated)).toEqual([]);
    expect(flip(healthy)).toEqual(['early stop: wrong', 'monitored best: wrong']);
  });

  test('a tampered copy must fail its check, a crashed run must fail exit', () => {
    const ev = agreeing(tampered, analyse(tampered.id));
    expect(compareCase(tampered, ev).missed).toEqual([expect.stringMatching(/^checkpoints \(said (pass|skip)/)]);
    ev.checks = ev.checks.map((c) => (c.id === 'checkpoints' ? { ...c, status: 'fail' } : c));
    const r = compareCase(tampered, ev);
    expect(r.missed).toEqual([]);
    expect(r.facts).toEqual([]); // a tampered copy is judged on its check only

    const cev = agreeing(crashed, analyse(crashed.id));
    expect(compareCase(crashed, cev).missed).toEqual([expect.stringMatching(/^exit /)]);
    cev.checks = cev.checks.map((c) => (c.id === 'exit' ? { ...c, status: 'fail' } : c));
    expect(compareCase(crashed, cev).missed).toEqual([]);
  });
});

describe('npm run conformance', () => {
  test('analyses the corpus, prints the numbers by class, and exits 0 only when it conforms', () => {
    const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
    const r = spawnSync(tsx, [path.join(__dirname, 'run.ts'), '--json', path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rp-conf-')), 'out.json')], { encoding: 'utf8', timeout: 120_000 });
    expect(r.error).toBeUndefined();
    const out = r.stdout;
    for (const name of Object.values(CLASS_NAMES)) expect(out).toContain(name);
    const m = /^facts agreeing: (\d+) \/ (\d+) .*; false fails on healthy runs: (\d+); tamperings and failures missed: (\d+)/m.exec(out);
    expect(m, out.slice(-2000)).not.toBeNull();
    const [agree, checked, falseFails, missed] = m!.slice(1).map(Number);
    expect(checked).toBeGreaterThan(1000);
    expect(r.status).toBe(agree === checked && falseFails === 0 && missed === 0 ? 0 : 1);
  }, 120_000);
});
