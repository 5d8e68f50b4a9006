/**
 * One verdict, everywhere: summary.md, the PR Markdown and the badge lead
 * with the verdict (never with "succeeded" when a check fails), say who
 * produced the evidence, and show no failed check for a live run.
 */
import { describe, expect, it } from 'vitest';
import { analyseBundle } from './analyse';
import { renderSummaryMarkdown } from './summary';
import type { Evidence, LaunchFacts } from './types';
import { judgeRun } from './verdict';
import { provenanceOf } from './provenance';
import { badgeAlt, badgeMessage, runBadgeSvg } from './badge-svg';
import { renderPrMarkdown } from './pr-markdown';
import { BRIEF_COMMAND, readBundleFiles, RUNTIME_SMOKE } from '../../fixtures/test-helpers';

const LINKS = { permalink: 'https://runproof.example/runs/abc', badgeUrl: 'https://runproof.example/api/runs/abc/badge.svg' };

/** The EB4 runtime smoke judged against its brief: the process succeeded, checkpoints and knobs fail. */
function smoke(): Evidence {
  return analyseBundle(readBundleFiles(RUNTIME_SMOKE), { root: RUNTIME_SMOKE, requested: { text: BRIEF_COMMAND, source: 'EB4.A (brief input.md:7)' } });
}

function launched(status: Evidence['status'], over: Partial<LaunchFacts> = {}): Evidence {
  const facts: LaunchFacts = {
    profile: 'reference',
    argv: ['/usr/bin/node', '/srv/runproof/workers/reference-trainer/train.mjs', '--max_epochs', '3'],
    cwd: '/srv/runproof',
    env: {},
    params: { max_epochs: 3 },
    cpuOnly: false,
    planRows: [],
    host: null,
    pid: null,
    gitCommit: null,
    queuedAt: 1,
    startedAt: status === 'queued' ? null : 2,
    endedAt: null,
    exitCode: null,
    signal: null,
    timeoutSec: 60,
    cancelRequested: false,
    note: null,
    ...over,
  };
  return analyseBundle([], {
    root: '/tmp/b',
    title: 'reference smoke run',
    requested: { text: 'node train.mjs --max_epochs 3 --gridsize 2', source: 'launch form' },
    launch: { exitCode: null, signal: null, cleanedUp: null, status, facts },
  });
}

describe('a run that succeeded but fails checks', () => {
  const ev = smoke();
  it('is status succeeded, verdict fail', () => {
    expect(ev.status).toBe('succeeded');
    expect(judgeRun(ev).failing.map((c) => c.id)).toEqual(['checkpoints', 'knobs']);
  });

  it('summary.md leads with the verdict and the failing checks, then how the process ended and who produced it', () => {
    const lines = renderSummaryMarkdown(ev).split('\n').filter(Boolean);
    expect(lines[1]).toMatch(/^\*\*✗ Fail:\*\* checkpoints and knobs failed — checkpoints: replay of save_top_k=2/);
    expect(lines[1]).toContain('knobs: gridsize: requested 3, ran 2.');
    expect(lines[2]).toBe('**Process:** succeeded · **Checks:** 5 pass · 2 fail · 1 warn · 1 skip');
    expect(lines[3]).toMatch(/^\*\*Produced by:\*\* `python -m ptycho_torch\.train`; command \(from `summary\.md`\): `CUDA_VISIBLE_DEVICES=/);
  });

  it('the PR Markdown’s first line is the verdict and the failing checks in one sentence; the badge’s alt names the trainer', () => {
    const md = renderPrMarkdown(ev, LINKS);
    const [first] = md.split('\n');
    expect(first).toMatch(/^\*\*✗ Fail:\*\* checkpoints and knobs failed — .*\.$/);
    expect(first).not.toMatch(/succeeded/i);
    expect(md).toContain(
      '[![runproof: fail: checkpoints and knobs failed — python -m ptycho_torch.train (from summary.md)](https://runproof.example/api/runs/abc/badge.svg)](https://runproof.example/runs/abc)',
    );
    expect(md.indexOf('Fail')).toBeLessThan(md.indexOf('succeeded'));
  });

  it('the badge says ✗ and the failing checks, in red, its title naming the trainer', () => {
    const j = judgeRun(ev);
    expect(badgeMessage(j)).toBe('✗ checkpoints, knobs');
    const svg = runBadgeSvg(j, provenanceOf(ev));
    expect(svg).toContain('#cf222e');
    expect(svg).toContain('<title>runproof: fail: checkpoints and knobs failed — python -m ptycho_torch.train (from summary.md)</title>');
    expect(svg).not.toContain('succeeded');
  });
});

describe('live, never-started and cancelled runs', () => {
  it('a queued or running run: pending everywhere, no failed check anywhere (the analysis already fails knobs: nothing ran)', () => {
    for (const status of ['queued', 'running'] as const) {
      const ev = launched(status);
      expect(ev.checks.some((c) => c.status === 'fail')).toBe(true);
      const j = judgeRun(ev);
      expect(badgeMessage(j)).toBe(status === 'queued' ? '… queued' : '… running');
      const summary = renderSummaryMarkdown(ev);
      expect(summary.split('\n')[2]).toMatch(/^\*\*… Pending:\*\* the run is (queued|running)/);
      expect(summary).not.toContain('❌ fail');
      expect(summary).toContain(
        '| knobs | ⏳ pending | judged when the run ends |'.replace('judged when the run ends', status === 'queued' ? 'waiting for the run to start' : 'judged when the run ends'),
      );
      expect(renderPrMarkdown(ev, LINKS)).not.toContain('❌');
      expect(runBadgeSvg(j, provenanceOf(ev))).not.toContain('#cf222e');
    }
  });

  it('cancelled while queued: never started, every check skipped, no knob "disagrees", neutral badge', () => {
    const ev = launched('cancelled', { startedAt: null, cancelRequested: true, note: 'cancelled while queued; never started' });
    const j = judgeRun(ev);
    expect(j.verdict).toBe('incomplete');
    expect(badgeMessage(j)).toBe('– never started');
    expect(badgeAlt(j, provenanceOf(ev))).toBe('runproof: incomplete (never started) — profile reference, node …/reference-trainer/train.mjs');
    const md = renderPrMarkdown(ev, LINKS);
    expect(md.split('\n')[0]).toBe('**– Incomplete:** cancelled while queued, never started; nothing was judged.');
    expect(md).not.toContain('❌');
    expect(md).not.toMatch(/disagree/);
  });

  it('a deliberate cancel mid-run is neutral: grey, not red', () => {
    const ev = launched('cancelled', { signal: 'SIGTERM', cancelRequested: true, note: 'cancelled by a user' });
    const j = judgeRun(ev);
    expect(j.verdict).toBe('incomplete');
    expect(badgeMessage(j)).toBe('– cancelled');
    expect(runBadgeSvg(j, null)).toContain('#6e7781');
    expect(renderSummaryMarkdown(ev)).not.toContain('| exit | ❌ fail');
  });
});

describe('what the pages’ client components reach', () => {
  it('pulls in no zod (its eval probe breaks the page’s CSP): verdict, provenance, summary and qualify import none, however deep', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const seen = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = fs.readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/from 'zod'/);
      for (const m of text.matchAll(/^import (?!type )[^;]*? from '(\.{1,2}\/[^']+)'/gm)) walk(path.resolve(path.dirname(file), `${m[1]}.ts`));
    };
    for (const f of ['verdict.ts', 'provenance.ts', 'summary.ts']) walk(path.join(__dirname, f));
    expect([...seen].some((f) => f.endsWith('plans/qualify.ts'))).toBe(true);
  });
});
