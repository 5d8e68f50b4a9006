import { describe, expect, it } from 'vitest';
import type { WorkerView } from './match';
import { RECENTLY_SEEN_MS, whereItRuns } from './where';

const NOW = 1_800_000_000_000;
const TORCH_FAIL = '`python -c import torch, lightning` failed (ModuleNotFoundError: torch)';

function worker(host: string, over: Partial<WorkerView> = {}): WorkerView {
  return {
    id: `${host}:1:aa`,
    host,
    pid: 1,
    state: 'online',
    concurrency: 1,
    busy: 0,
    labels: [host],
    gpus: [],
    profiles: [{ name: 'ptycho-torch', available: true, reason: null }],
    startedAt: NOW - 60_000,
    heartbeatAt: NOW - 1000,
    ...over,
  };
}
const HERE_NOT = { available: false, reason: 'PTYCHOPINN_DIR not set' };
const HERE_OK = { available: true, reason: null };
const run = (workers: WorkerView[], local: { available: boolean; reason: string | null } | null, labels: string[] = []) => whereItRuns({ profile: 'ptycho-torch', labels, local, workers, now: NOW });

describe('whereItRuns', () => {
  it('no worker registered: this host decides alone, as before', () => {
    expect(run([], HERE_OK)).toMatchObject({ ok: true, local: true, hosts: [] });
    const r = run([], HERE_NOT);
    expect(r).toMatchObject({ ok: false, local: false, sentence: 'not available here: PTYCHOPINN_DIR not set' });
  });

  it('available here: accepted whatever the workers say', () => {
    const unable = worker('gpu-box-1', { profiles: [{ name: 'ptycho-torch', available: false, reason: TORCH_FAIL }] });
    const r = run([unable], HERE_OK);
    expect(r.ok).toBe(true);
    expect(r.local).toBe(true);
    expect(r.sentence).toBe('runs on this server');
  });

  it('unavailable here but a worker reports it available: accepted, and says where and why not here', () => {
    const r = run([worker('gpu-box-1'), worker('cpu-box', { profiles: [{ name: 'ptycho-torch', available: false, reason: TORCH_FAIL }] })], HERE_NOT);
    expect(r).toMatchObject({ ok: true, local: false, hosts: ['gpu-box-1'] });
    expect(r.sentence).toBe('runs on gpu-box-1; not on this server: PTYCHOPINN_DIR not set');
  });

  it('nowhere: refused with the reason per host, this server last', () => {
    const r = run([worker('gpu-box-1', { profiles: [{ name: 'ptycho-torch', available: false, reason: TORCH_FAIL }] })], HERE_NOT);
    expect(r.ok).toBe(false);
    expect(r.verdicts.map((v) => `${v.where}: ${v.reason}`)).toEqual([`gpu-box-1: ${TORCH_FAIL}`, 'this server: PTYCHOPINN_DIR not set']);
    expect(r.sentence).toBe(`no worker can run it (gpu-box-1: ${TORCH_FAIL}; this server: PTYCHOPINN_DIR not set)`);
  });

  it('nowhere, for one reason: hosts refusing alike share it (the worker beside this server)', () => {
    const r = run([worker('vm', { profiles: [{ name: 'ptycho-torch', available: false, reason: 'PTYCHOPINN_DIR not set' }] })], HERE_NOT);
    expect(r.ok).toBe(false);
    expect(r.sentence).toBe('no worker can run it (vm, this server: PTYCHOPINN_DIR not set)');
  });

  it('labels the launch requires: only a worker carrying all of them vouches', () => {
    const box = worker('gpu-box-1', { labels: ['gpu-box-1', 'gpu'] });
    expect(run([box], HERE_NOT, ['gpu']).ok).toBe(true);
    const r = run([box], HERE_NOT, ['gpu', 'a100']);
    expect(r.ok).toBe(false);
    expect(r.verdicts[0]).toEqual({ where: 'gpu-box-1', ok: false, reason: 'lacks label a100' });
  });

  it('a worker offline but seen recently still vouches; one silent longer does not', () => {
    expect(run([worker('gpu-box-1', { state: 'offline', heartbeatAt: NOW - RECENTLY_SEEN_MS + 5000 })], HERE_NOT).ok).toBe(true);
    const gone = run([worker('gpu-box-1', { state: 'offline', heartbeatAt: NOW - 2 * RECENTLY_SEEN_MS })], HERE_NOT);
    expect(gone.ok).toBe(false);
    expect(gone.verdicts[0].reason).toBe('offline (last seen 20 min ago)');
  });

  it('a worker still checking, one without the profile, one whose profiles file is broken: each says so', () => {
    const r = run(
      [
        worker('a', { profiles: null }),
        worker('b', { profiles: [{ name: 'reference', available: true, reason: null }] }),
        worker('c', { profiles: [{ name: '*', available: false, reason: 'profiles.json: not valid JSON' }] }),
      ],
      null,
    );
    expect(r.ok).toBe(false);
    expect(r.verdicts.map((v) => v.reason)).toEqual([
      'still checking which profiles it can run',
      'profile ptycho-torch is not configured there',
      'profiles.json: not valid JSON',
      'profile ptycho-torch is not configured here',
    ]);
  });

  it('two workers on one host: the host can run it when either can', () => {
    const r = run([worker('gpu-box-1', { id: 'x', profiles: null }), worker('gpu-box-1', { id: 'y' })], HERE_NOT);
    expect(r.hosts).toEqual(['gpu-box-1']);
    expect(r.verdicts).toHaveLength(2);
  });
});
