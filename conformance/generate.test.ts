/**
 * conformance/generate.py with real Lightning: a few configurations into a
 * temp folder, then the runner on them. Needs the setup:lightning venv (or a
 * RUNPROOF_PYTHON that imports torch and lightning); skipped, with the
 * reason in its name, where there is none.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { defaultPython } from '../server/python';

const PYTHON = defaultPython();
const available = (() => {
  const r = spawnSync(PYTHON, ['-c', 'import torch, lightning'], { encoding: 'utf8', timeout: 60_000 });
  return !r.error && r.status === 0;
})();
const why = available ? '' : ` (skipped here: ${PYTHON} cannot import torch, lightning — npm run setup:lightning)`;
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-gen-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe('conformance/generate.py', () => {
  test.skipIf(!available)(
    `runs real Lightning per configuration and writes bundles, truth and tampered copies; the runner reads them${why}`,
    () => {
      const gen = spawnSync(PYTHON, [path.join(__dirname, 'generate.py'), '--out', out, '--seed', '7', '--n', '12', '--tamper-per-kind', '1', '--jobs', '2', '--scratch', path.join(out, 'scratch')], {
        encoding: 'utf8',
        timeout: 300_000,
      });
      expect(gen.status, `${gen.stdout.slice(-2000)}\n${gen.stderr.slice(-2000)}`).toBe(0);
      const index = JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8'));
      expect(index).toMatchObject({ lightning: '2.6.6', seed: 7, configurations: 12 });
      const ids = fs.readdirSync(path.join(out, 'cases'));
      expect(ids.filter((i) => !i.includes('~'))).toHaveLength(12);
      expect(ids.some((i) => i.includes('~'))).toBe(true);
      for (const id of ids) {
        const files = fs.readdirSync(path.join(out, 'cases', id));
        expect(files, id).toEqual(expect.arrayContaining(['train.log', 'truth.json']));
        expect(
          files.filter((f) => f.endsWith('.ckpt')),
          id,
        ).toEqual([]);
        const t = JSON.parse(fs.readFileSync(path.join(out, 'cases', id, 'truth.json'), 'utf8'));
        expect(t.generator.lightning).toBe('2.6.6');
        expect(['max_epochs', 'max_steps', 'early_stopping', 'exception', 'sigterm']).toContain(t.ending);
        expect(t.exit.status).toBe(t.exit.code === 0 ? 'succeeded' : 'failed');
        const log = fs.readFileSync(path.join(out, 'cases', id, 'train.log'), 'utf8');
        if (!t.tampered && t.ending === 'max_epochs') expect(log, id).toContain('`Trainer.fit` stopped: `max_epochs=');
        if (!t.tampered && (t.ending === 'exception' || t.ending === 'sigterm')) expect(log, id).toMatch(/Traceback \(most recent call last\)/);
      }
      expect(fs.existsSync(path.join(out, 'scratch'))).toBe(false); // checkpoints written by the runs are gone

      const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
      const run = spawnSync(tsx, [path.join(__dirname, 'run.ts'), '--dir', out], { encoding: 'utf8', timeout: 120_000 });
      expect(run.stdout).toMatch(/^conformance: \d+ cases \(12 real Lightning configurations, \d+ tampered copies\)/m);
      expect(run.stdout).toMatch(/^facts agreeing: \d+ \/ \d+/m);
      expect([0, 1]).toContain(run.status);
    },
    300_000,
  );
});
