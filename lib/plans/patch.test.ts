import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, PTYCHO } from '../../fixtures/test-helpers';
import { parsePlan } from './parse';
import { decideRowUpdate, proposePlanPatch } from './patch';

const REL = 'plans/active/ADR-003-BACKEND-API/reports/2025-10-20T153300Z/phase_e_execution_knobs/plan.md';
const URL = 'http://localhost:3000/runs/0123abcd4567';

/** Apply with `git apply` to a copy of the plan at the same relative path; return the new text. */
function gitApply(text: string, rel: string, patch: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-patch-'));
  try {
    fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
    fs.writeFileSync(path.join(dir, 'p.patch'), patch);
    execFileSync('git', ['apply', '--check', 'p.patch'], { cwd: dir, stdio: 'pipe' });
    execFileSync('git', ['apply', 'p.patch'], { cwd: dir, stdio: 'pipe' });
    return fs.readFileSync(path.join(dir, rel), 'utf8');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const states = (text: string) => Object.fromEntries(parsePlan(text, 'p').rows.map((r) => [r.id, r.state]));

describe('proposePlanPatch', () => {
  const text = fs.readFileSync(path.join(PTYCHO, REL), 'utf8');

  it('flips exactly the proven rows and adds the evidence link; git apply accepts it', () => {
    const { patch, changed, skipped } = proposePlanPatch({ text, path: REL, rowIds: ['EB4.A', 'EB4.B'], evidenceUrl: URL, label: 'Runproof run 0123abcd4567' });
    expect(changed).toEqual(['EB4.A', 'EB4.B']);
    expect(skipped).toEqual([]);
    expect(patch).toMatch(/^--- a\/plans\/active\/.*plan\.md\n\+\+\+ b\/plans\/active\//);
    expect(patch.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'))).toHaveLength(2);
    const after = gitApply(text, REL, patch);
    expect(proposePlanPatch({ text, path: REL, rowIds: ['EB4.A', 'EB4.B'], evidenceUrl: URL, label: 'Runproof run 0123abcd4567' }).after).toBe(after);
    const before = states(text);
    const now = states(after);
    const flipped = Object.keys(now).filter((id) => now[id] !== before[id]);
    expect(flipped).toEqual(['EB4.A', 'EB4.B']);
    expect(now['EB4.A']).toBe('[x]');
    const row = parsePlan(after, 'p').rows.find((r) => r.id === 'EB4.A')!;
    expect(row.guidance).toBe(
      'Run the training CLI with `--accelerator auto`, `--checkpoint-save-top-k 2`, `--early-stop-patience 5`; store logs under `runtime_smoke/`.\nEvidence: [Runproof run 0123abcd4567](http://localhost:3000/runs/0123abcd4567)',
    );
    // Nothing else moved.
    expect(after.split('\n').filter((l, i) => l !== text.split('\n')[i])).toHaveLength(2);
  });

  it('skips rows the plan does not have and rows already done with this link', () => {
    const first = proposePlanPatch({ text, path: REL, rowIds: ['EB4.A'], evidenceUrl: URL, label: 'run' });
    const after = gitApply(text, REL, first.patch);
    const again = proposePlanPatch({ text: after, path: REL, rowIds: ['EB4.A', 'EB9.Z'], evidenceUrl: URL, label: 'run' });
    expect(again.patch).toBe('');
    expect(again.skipped).toEqual([
      { id: 'EB4.A', reason: 'already [x] with this evidence' },
      { id: 'EB9.Z', reason: 'the plan has no such row' },
    ]);
  });

  it('keeps CRLF, a BOM, a missing final newline and multi-line rows intact', () => {
    const edge = fs.readFileSync(path.join(FIXTURES, 'plans/edge-cases.md'), 'utf8');
    const crlf = `\uFEFF${edge.replace(/\n/g, '\r\n').replace(/\r\n$/, '')}`;
    const { patch, changed } = proposePlanPatch({ text: crlf, path: 'edge.md', rowIds: ['X1.D', 'X1.B', 'X4.C'], evidenceUrl: URL, label: 'run | 1' });
    expect(changed).toEqual(['X1.D', 'X1.B', 'X4.C']);
    const after = gitApply(crlf, 'edge.md', patch);
    expect(proposePlanPatch({ text: crlf, path: 'edge.md', rowIds: ['X1.D', 'X1.B', 'X4.C'], evidenceUrl: URL, label: 'run | 1' }).after).toBe(after);
    expect(after.startsWith('\uFEFF')).toBe(true);
    expect(after.endsWith('|')).toBe(true);
    expect(after.split('\r\n')).toHaveLength(crlf.split('\r\n').length);
    const rows = parsePlan(after, 'edge.md').rows;
    const d = rows.find((r) => r.id === 'X1.D')!;
    expect(d).toMatchObject({ state: '[x]', line: 12, endLine: 14 });
    expect(d.description).toBe('Multi-line row starts here\n- and continues on this line\nand ends here.');
    expect(d.guidance).toBe('Guidance after the break.\nEvidence: [run 1](http://localhost:3000/runs/0123abcd4567)');
    expect(rows.find((r) => r.id === 'X1.B')!.description).toBe('Code span with a raw pipe `a | b`');
    expect(rows.find((r) => r.id === 'X4.C')!.state).toBe('[x]');
  });

  it('a row without a guidance cell gets its state flipped, then counts as done', () => {
    const short = '| ID | Task | State | Notes |\n| --- | --- | --- | --- |\n| A1 | desc | [ ] |\n';
    const first = proposePlanPatch({ text: short, path: 'p.md', rowIds: ['A1'], evidenceUrl: URL, label: 'r' });
    expect(first.changed).toEqual(['A1']);
    expect(first.after).toBe('| ID | Task | State | Notes |\n| --- | --- | --- | --- |\n| A1 | desc | [x] |\n');
    const again = proposePlanPatch({ text: first.after, path: 'p.md', rowIds: ['A1'], evidenceUrl: URL, label: 'r' });
    expect(again).toMatchObject({ patch: '', changed: [], skipped: [{ id: 'A1', reason: 'already [x]; the row has no guidance cell for the link' }] });
  });

  it('handles a changed last line without a final newline', () => {
    const small = '| ID | State | Notes |\n| --- | --- | --- |\n| A1 | [ ] | n |';
    const { patch } = proposePlanPatch({ text: small, path: 'p.md', rowIds: ['A1'], evidenceUrl: URL, label: 'r' });
    expect(patch).toContain('\\ No newline at end of file');
    expect(gitApply(small, 'p.md', patch)).toBe(`| ID | State | Notes |\n| --- | --- | --- |\n| A1 | [x] | n<br>Evidence: [r](${URL}) |`);
  });
});

describe('honest flips', () => {
  const text = fs.readFileSync(path.join(PTYCHO, REL), 'utf8');
  const base = { id: 'EB4.A', state: '[ ]', qualifies: true, why: null, failing: [] as string[], status: 'succeeded' };

  it('only a qualifying passing run flips to [x]; a failing one proposes [P] with its failing checks; the rest nothing, with the reason', () => {
    expect(decideRowUpdate({ ...base, verdict: 'pass' })).toEqual({ id: 'EB4.A', from: '[ ]', update: { id: 'EB4.A', state: '[x]' }, reason: 'a qualifying run passes' });
    expect(decideRowUpdate({ ...base, verdict: 'fail', failing: ['checkpoints', 'knobs'] })).toMatchObject({ update: { state: '[P]', note: 'failing: checkpoints, knobs' } });
    expect(decideRowUpdate({ ...base, verdict: 'fail', status: 'timed_out' })).toMatchObject({ update: { state: '[P]', note: 'the process timed out' } });
    expect(decideRowUpdate({ ...base, verdict: 'pass', qualifies: false, why: 'ran node …/train.mjs; the row asks for python -m ptycho_torch.train (input.md:7)' })).toEqual({
      id: 'EB4.A',
      from: '[ ]',
      update: null,
      reason: 'linked, does not qualify: ran node …/train.mjs; the row asks for python -m ptycho_torch.train (input.md:7)',
    });
    expect(decideRowUpdate({ ...base, verdict: 'incomplete', status: 'cancelled' })).toMatchObject({ update: null, reason: 'the run is incomplete (cancelled): it proves nothing either way' });
    expect(decideRowUpdate({ ...base, verdict: 'pending', status: 'running' })).toMatchObject({ update: null, reason: expect.stringMatching(/^the run is still running/) });
    // A failing run never un-marks a done row: the row is flagged instead.
    expect(decideRowUpdate({ ...base, state: '[x]', verdict: 'fail', failing: ['exit'] })).toMatchObject({
      update: null,
      reason: expect.stringMatching(/^already \[x\]; a failing run does not un-mark it/),
    });
  });

  it('[P] with the note after the link, verdict and profile in the link text; git apply accepts it; never [P] over [x]', () => {
    const label = 'Runproof fail · profile reference · run 0123abcd4567';
    const { patch, changed, skipped } = proposePlanPatch({
      text,
      path: REL,
      rows: [
        { id: 'EB4.A', state: '[P]', note: 'failing: checkpoints, knobs' },
        { id: 'EB1.A', state: '[P]', note: 'failing: exit' },
      ],
      evidenceUrl: URL,
      label,
    });
    expect(changed).toEqual(['EB4.A']);
    expect(skipped).toEqual([{ id: 'EB1.A', reason: 'already [x]; a failing run does not un-mark it' }]);
    const row = parsePlan(gitApply(text, REL, patch), 'p').rows.find((r) => r.id === 'EB4.A')!;
    expect(row.state).toBe('[P]');
    expect(row.guidance.split('\n').pop()).toBe(`Evidence: [${label}](${URL}) — failing: checkpoints, knobs`);
    // A note cannot break the table or make a link.
    const hostile = proposePlanPatch({ text, path: REL, rows: [{ id: 'EB4.A', state: '[P]', note: 'a | b [x](javascript:1) `c`' }], evidenceUrl: URL, label });
    const after = parsePlan(hostile.after, 'p').rows.find((r) => r.id === 'EB4.A')!;
    expect(after.guidance.split('\n').pop()).toBe(`Evidence: [${label}](${URL}) — a b x (javascript:1) c`);
  });
});
