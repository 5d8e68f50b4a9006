import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BRIEF_COMMAND, PTYCHO, RUNTIME_SMOKE } from '../fixtures/test-helpers';

const BIN = path.resolve(__dirname, '..', 'bin', 'runproof.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rp-cli-'));
const env = { ...process.env, RUNPROOF_DB: path.join(tmp, 'cli.db') };
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function runproof(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });
}

describe('the runproof command', () => {
  it('show --json prints the evidence document of a bundle without a database', () => {
    const out = JSON.parse(execFileSync(process.execPath, [BIN, 'show', RUNTIME_SMOKE, '--json'], { env, encoding: 'utf8' }));
    expect(out.epochs).toHaveLength(6);
    expect(out.stop.reason).toBe('max_epochs');
    expect(out.checks.find((c: { id: string }) => c.id === 'checkpoints').status).toBe('fail');
    expect(fs.existsSync(env.RUNPROOF_DB)).toBe(false);
  });

  it('show --requested compares the brief with what ran', () => {
    const r = runproof('show', RUNTIME_SMOKE, '--json', '--requested', BRIEF_COMMAND);
    const out = JSON.parse(r.stdout);
    expect(out.checks.find((c: { id: string }) => c.id === 'knobs')).toMatchObject({ status: 'fail', detail: 'gridsize: requested 3, ran 2' });
  });

  it('show without --requested compares with the knobs of the row the bundle proves (its brief asks for --gridsize 3)', () => {
    const out = JSON.parse(runproof('show', RUNTIME_SMOKE, '--json').stdout);
    expect(out.requested.source).toBe('EB4.A (brief input.md:7)');
    // The verdict travels with the document: the process succeeded, the evidence fails.
    expect(out.status).toBe('succeeded');
    expect(out.verdict).toEqual({ verdict: 'fail', sentence: expect.stringMatching(/^Fail: checkpoints and knobs failed — /) });
    expect(out.planRows.map((r: { id: string; qualifies: boolean }) => `${r.id} ${r.qualifies}`)).toEqual(['EB4.A true', 'EB4.B true']);
  });

  it('plans says what proves each row, and reports a bad rules file with its line', () => {
    const dir = path.join(tmp, 'rules', 'plans');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'plan.md'), '| ID | State | Guidance |\n| --- | --- | --- |\n| R1 | [ ] | run it |\n| R2 | [ ] | `python -m pkg.train --lr 0.1` |\n');
    fs.writeFileSync(path.join(dir, 'runproof-proves.json'), '{\n  "proves": [\n    { "rows": ["R1"], "profile": "reference" },\n    { "rows": ["R2"], "profile": 3 }\n  ]\n}\n');
    const r = runproof('plans', dir, '--json');
    const out = JSON.parse(r.stdout);
    expect(out.rows.map((x: { id: string; provedBy: string | null }) => `${x.id}: ${x.provedBy}`)).toEqual([
      'R1: profile reference (plans/runproof-proves.json:3)',
      'R2: python -m pkg.train (plans/plan.md:4)',
    ]);
    expect(out.problems).toEqual([{ file: 'plans/runproof-proves.json', line: 4, message: expect.stringMatching(/^proves\.1\.profile: .*; this rule is ignored$/) }]);
    expect(runproof('plans', dir).stderr).toMatch(/^plans\/runproof-proves\.json:4: proves\.1\.profile: /m);
  });

  it('import prints progress per bundle, then JSON counts; show <run-id> reads the stored run', () => {
    const first = runproof('import', PTYCHO);
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/\[1\/\d+\] added/);
    expect(first.stderr).toMatch(/\d+ added, 0 updated, 0 unchanged/);
    const again = runproof('import', PTYCHO, '--json');
    const counts = JSON.parse(again.stdout);
    expect(counts.added).toBe(0);
    expect(counts.updated).toBe(0);
    expect(counts.unchanged).toBeGreaterThanOrEqual(14);
    const smoke = counts.runs.find((r: { dir: string }) => r.dir.endsWith('runtime_smoke/2025-10-24T061500Z'));
    const shown = JSON.parse(runproof('show', smoke.id, '--json').stdout);
    expect(shown.title).toContain('runtime_smoke');
  });

  it('gives clear errors and exit codes on bad input', () => {
    const missing = runproof('import', path.join(tmp, 'nope'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('is not a folder');
    const usage = runproof('frobnicate');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('unknown command');
    const unknown = runproof('show', 'no-such-run');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('neither a folder nor a run id');
  });
});
