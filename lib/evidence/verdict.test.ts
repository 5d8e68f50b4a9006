import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyseBundle } from './analyse';
import { RUN_STATUSES, type Check, type Evidence, type LaunchFacts } from './types';
import { judgeRun, VERDICT_RANK, verdictOf, verdictRankSql, verdictSql } from './verdict';
import { RUNTIME_SMOKE, readBundleFiles } from '../../fixtures/test-helpers';

const checks = (...s: Array<[Check['id'], Check['status']]>): Check[] => s.map(([id, status]) => ({ id, status, detail: `${id} ${status}` }));
const launch = (over: Partial<LaunchFacts> = {}): LaunchFacts => ({
  profile: 'reference',
  argv: ['node', 'train.mjs'],
  cwd: '/tmp',
  env: {},
  params: {},
  cpuOnly: false,
  planRows: [],
  host: null,
  pid: null,
  gitCommit: null,
  queuedAt: 1,
  startedAt: 2,
  endedAt: 3,
  exitCode: 0,
  signal: null,
  timeoutSec: 60,
  cancelRequested: false,
  note: null,
  ...over,
});

describe('verdictOf', () => {
  it.each([
    ['queued', 3, 0, 'pending'],
    ['running', 1, 2, 'pending'],
    ['cancelled', 1, 5, 'incomplete'],
    ['lost', 0, 5, 'incomplete'],
    ['failed', 0, 5, 'fail'],
    ['timed_out', 0, 5, 'fail'],
    ['succeeded', 1, 5, 'fail'],
    ['succeeded', 0, 5, 'pass'],
    ['succeeded', 0, 0, 'incomplete'],
    ['unknown', 0, 4, 'incomplete'],
    ['unknown', 1, 4, 'fail'],
  ] as const)('%s, %d failed, %d passed → %s', (status, checksFail, checksPass, v) => expect(verdictOf({ status, checksFail, checksPass })).toBe(v));
});

describe('verdictSql', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runproof-verdict-'));
  const db = new Database(path.join(dir, 'v.db'));
  afterAll(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is verdictOf as SQL, for every status and count, plain and table-qualified; the rank sorts worst first', () => {
    db.exec('CREATE TABLE runs (id INTEGER PRIMARY KEY, status TEXT NOT NULL, checks_fail INTEGER NOT NULL, checks_pass INTEGER NOT NULL)');
    const ins = db.prepare('INSERT INTO runs (status, checks_fail, checks_pass) VALUES (?, ?, ?)');
    for (const s of RUN_STATUSES) for (const f of [0, 2]) for (const p of [0, 3]) ins.run(s, f, p);
    const rows = db
      .prepare(`SELECT status, checks_fail AS checksFail, checks_pass AS checksPass, ${verdictSql()} AS v, ${verdictSql('r')} AS q, ${verdictRankSql('r')} AS rank FROM runs r`)
      .all() as Array<{ status: string; checksFail: number; checksPass: number; v: string; q: string; rank: number }>;
    expect(rows).toHaveLength(RUN_STATUSES.length * 4);
    for (const r of rows) {
      const want = verdictOf(r);
      expect([r.status, r.checksFail, r.checksPass, r.v]).toEqual([r.status, r.checksFail, r.checksPass, want]);
      expect(r.q).toBe(want);
      expect(r.rank).toBe(VERDICT_RANK[want]);
    }
    const sorted = db.prepare(`SELECT ${verdictSql()} AS v FROM runs ORDER BY ${verdictRankSql()}, id`).all() as Array<{ v: string }>;
    expect([...new Set(sorted.map((r) => r.v))]).toEqual(['fail', 'incomplete', 'pending', 'pass']);
    expect(() => verdictSql('r; DROP TABLE runs')).toThrow(/not a table name/);
  });
});

describe('judgeRun', () => {
  it('a failing check makes a succeeded run fail, and the sentence names the failing checks', () => {
    const j = judgeRun({ status: 'succeeded', checks: checks(['exit', 'pass'], ['checkpoints', 'fail'], ['knobs', 'fail'], ['warnings', 'warn']) });
    expect(j.verdict).toBe('fail');
    expect(j.failing.map((c) => c.id)).toEqual(['checkpoints', 'knobs']);
    expect(j.sentence).toBe('Fail: checkpoints and knobs failed — checkpoints: checkpoints fail; knobs: knobs fail.');
    expect(j.sentence).not.toMatch(/succeeded/i);
    expect(j.short).toBe('Fail: checkpoints and knobs failed.');
    expect(judgeRun({ status: 'failed', checks: checks(['exit', 'fail']) }).short).toBe('Fail: exit failed; the process failed.');
  });

  it('a traceback after the fit’s end fails the exit check, so the verdict is fail though the process succeeded', () => {
    const files = readBundleFiles(RUNTIME_SMOKE).map((f) =>
      f.path === 'train_cli_runtime_smoke.log'
        ? { ...f, text: `${f.text}Traceback (most recent call last):\n  File "save.py", line 3, in <module>\n    save()\nOSError: [Errno 28] No space left on device\n` }
        : f,
    );
    const ev = analyseBundle(files, { root: RUNTIME_SMOKE });
    expect(ev.status).toBe('succeeded');
    const j = judgeRun(ev);
    expect(j.verdict).toBe('fail');
    expect(j.failing.map((c) => c.id)).toContain('exit');
    expect(j.sentence).toMatch(/^Fail: exit and checkpoints failed — exit: OSError: \[Errno 28\] No space left on device/);
  });

  it('queued and running runs: every check pending, nothing red, whatever the analysis said', () => {
    for (const status of ['queued', 'running'] as const) {
      const j = judgeRun({ status, checks: checks(['exit', 'fail'], ['knobs', 'fail'], ['metrics', 'pass']), launch: launch({ startedAt: status === 'queued' ? null : 2 }) });
      expect(j.verdict).toBe('pending');
      expect(j.checks.map((c) => c.status)).toEqual(['pending', 'pending', 'pending']);
      expect(j.checks.map((c) => c.judged)).toEqual(['fail', 'fail', 'pass']);
      expect(j.failing).toEqual([]);
      expect(j.sentence).toMatch(/^Pending: /);
    }
  });

  it('a run cancelled while queued never started: every check skips, no "knobs disagree", incomplete', () => {
    const ev = analyseBundle([], {
      root: '/tmp/b',
      requested: { text: 'node train.mjs --max-epochs 3 --lr 0.1', source: 'launch form' },
      launch: { exitCode: null, signal: null, cleanedUp: null, status: 'cancelled', facts: launch({ startedAt: null, note: 'cancelled while queued; never started' }) },
    });
    expect(ev.checks.find((c) => c.id === 'knobs')?.status).toBe('fail');
    const j = judgeRun(ev);
    expect(j.verdict).toBe('incomplete');
    expect(j.neverStarted).toBe(true);
    expect(new Set(j.checks.map((c) => c.status))).toEqual(new Set(['skip']));
    expect(j.checks.every((c) => c.detail.startsWith('never started'))).toBe(true);
    expect(j.sentence).toBe('Incomplete: cancelled while queued, never started; nothing was judged.');
  });

  it('a deliberate cancel is neutral: the exit check is not red and the verdict is incomplete', () => {
    const ev: Pick<Evidence, 'status' | 'checks' | 'launch' | 'epochs' | 'maxEpochs'> = {
      status: 'cancelled',
      checks: [{ id: 'exit', status: 'fail', detail: 'terminated by SIGTERM' }, ...checks(['metrics', 'pass'], ['epochs', 'skip'])],
      launch: launch({ signal: 'SIGTERM', cancelRequested: true, note: 'cancelled by a user' }),
      epochs: [
        { epoch: 0, step: 4, metrics: {} },
        { epoch: 1, step: 9, metrics: {} },
      ],
      maxEpochs: 6,
    };
    const j = judgeRun(ev);
    expect(j.verdict).toBe('incomplete');
    expect(j.checks[0]).toMatchObject({ id: 'exit', status: 'skip', judged: 'fail' });
    expect(j.checks[0].detail).toMatch(/^cancelled on request \(cancelled by a user\); terminated by SIGTERM/);
    expect(j.failing).toEqual([]);
    expect(j.sentence).toBe('Incomplete: cancelled on request after 2 epochs of 6; the evidence stops there.');
  });

  it('a process that failed or timed out fails even when no check did; a pass says what passed', () => {
    expect(judgeRun({ status: 'timed_out', checks: checks(['exit', 'skip']), launch: launch({ note: 'timed out after 60 s' }) }).sentence).toBe('Fail: the process timed out — timed out after 60 s.');
    const failedBeforeStart = judgeRun({ status: 'failed', checks: checks(['knobs', 'fail']), launch: launch({ startedAt: null, note: 'path knob data now resolves outside data' }) });
    expect(failedBeforeStart.verdict).toBe('fail');
    expect(failedBeforeStart.checks[0]).toMatchObject({ status: 'skip', detail: 'never started: path knob data now resolves outside data' });
    expect(failedBeforeStart.sentence).toBe('Fail: the process failed before it started — path knob data now resolves outside data.');
    expect(judgeRun({ status: 'succeeded', checks: checks(['exit', 'pass'], ['metrics', 'pass'], ['warnings', 'warn'], ['cleanup', 'skip']) }).sentence).toBe(
      'Pass: all 2 judged checks pass, 1 warns, 1 skipped.',
    );
    expect(judgeRun({ status: 'unknown', checks: checks(['exit', 'skip']) })).toMatchObject({ verdict: 'incomplete', sentence: 'Incomplete: no check could be judged from this evidence.' });
  });
});
