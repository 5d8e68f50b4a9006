/**
 * The run worker: claims queued runs (up to its concurrency), runs each with
 * runJob, heartbeats its leases, and sweeps: at start and on a timer it
 * settles runs whose lease expired, or whose worker on this host is gone, as
 * `lost`, kills their recorded process group and archives what they left.
 *
 * It registers itself (db/queries/workers.ts) with what it can run — its
 * labels (its host name among them), the GPUs nvidia-smi reports, each
 * profile's availability on this host — and claims only runs whose required
 * labels it carries and whose profile is available here. A clean stop marks
 * it offline.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { Db } from '../db/client';
import { claimNextRun, hasQueuedRun, requestCancel, type WorkerCan } from '../db/queries/launches';
import { heartbeatWorker, markWorkerOffline, registerWorker, updateWorkerFacts } from '../db/queries/workers';
import type { ProfileAvailability } from '../lib/workers/match';
import { checkProfilesHere, readGpus, workerLabels } from '../server/worker-host';
import { runJob } from './job';
import { sweepLostRuns } from './sweep';

export interface WorkerOptions {
  db: Db;
  concurrency: number;
  leaseMs: number;
  heartbeatMs?: number;
  graceMs?: number;
  pollMs?: number;
  /** How often the queue is polled for new runs (click → process start is bounded by this). */
  claimPollMs?: number;
  sweepMs?: number;
  log?: (msg: string) => void;
  /** Labels it was given (`--labels`, RUNPROOF_WORKER_LABELS); its host name is added. */
  labels?: string[];
  /** How often profile availability on this host is checked again (a profiles file edited, a checkout appearing). */
  recheckMs?: number;
  /** The nvidia-smi to run (tests point it elsewhere). */
  nvidiaSmi?: string;
}

export class Worker {
  readonly id = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  private readonly jobs = new Map<string, Promise<unknown>>();
  private readonly aborts = new Map<string, AbortController>();
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private readonly o: Required<WorkerOptions>;

  constructor(opts: WorkerOptions) {
    const heartbeatMs = opts.heartbeatMs ?? Math.max(200, Math.floor(opts.leaseMs / 5));
    this.o = {
      heartbeatMs,
      graceMs: 5000,
      pollMs: 250,
      claimPollMs: 200,
      sweepMs: Math.max(500, Math.floor(opts.leaseMs / 4)),
      log: () => {},
      labels: [],
      recheckMs: 60_000,
      nvidiaSmi: 'nvidia-smi',
      ...opts,
    } as Required<WorkerOptions>;
    this.labels = workerLabels(this.o.labels);
  }

  /** Its labels, its host name's included. */
  readonly labels: string[];
  /** Profiles configured on this host and whether each can run here; null until checked. */
  private profiles: ProfileAvailability[] | null = null;

  /** What the claim asks for: runs needing only labels it carries, of profiles available here (none before the check). */
  private get can(): WorkerCan {
    return { labels: this.labels, profiles: (this.profiles ?? []).filter((p) => p.available).map((p) => p.name) };
  }

  /** Check the profiles (each as its probe ends, so a probe importing torch holds up no other profile) and store what was found. */
  private async checkHost(): Promise<void> {
    const store = (profiles: ProfileAvailability[]) => {
      if (this.stopping) return;
      this.profiles = profiles;
      try {
        updateWorkerFacts({ db: this.o.db, id: this.id, profiles });
      } catch (e) {
        this.o.log(`worker: recording its profiles failed: ${(e as Error).message}`);
      }
      this.claim();
    };
    const first = this.profiles === null;
    const all = await checkProfilesHere(store);
    store(all);
    if (first)
      this.o.log(
        `worker: can run ${
          all
            .filter((p) => p.available)
            .map((p) => p.name)
            .join(', ') || 'no profile'
        } here${
          all.some((p) => !p.available)
            ? `; not ${all
                .filter((p) => !p.available)
                .map((p) => `${p.name} (${p.reason})`)
                .join(', ')}`
            : ''
        }`,
      );
  }

  private async checkGpus(): Promise<void> {
    const { gpus, note } = await readGpus(this.o.nvidiaSmi);
    if (note) this.o.log(`worker: ${note}`);
    if (this.stopping) return;
    updateWorkerFacts({ db: this.o.db, id: this.id, gpus });
    if (gpus.length) this.o.log(`worker: ${gpus.length} GPU${gpus.length === 1 ? '' : 's'}: ${gpus.map((g) => g.name).join(', ')}`);
  }

  get running(): number {
    return this.jobs.size;
  }

  private walWatch: fs.FSWatcher | null = null;

  /**
   * Every commit to the database appends to its WAL file, so watching that
   * file wakes the worker within milliseconds of a launch being queued by
   * another process; polling stays as the fallback (and re-arms the watch
   * when SQLite has removed and recreated the file).
   */
  private watchWal(): void {
    if (this.walWatch || this.stopping) return;
    const wal = `${this.o.db.$client.name}-wal`;
    try {
      this.walWatch = fs.watch(wal, () => this.wake());
      this.walWatch.on('error', () => {
        this.walWatch?.close();
        this.walWatch = null;
      });
    } catch {
      this.walWatch = null;
    }
  }

  private wakeTimers = 0;

  /**
   * A WAL write is seen before the commit is visible to readers (the writer
   * still has to fsync and update the WAL index), so look now and again
   * shortly after, rather than wait for the next poll.
   */
  private wake(): void {
    this.claim();
    if (this.wakeTimers > 0 || this.jobs.size >= this.o.concurrency) return;
    for (const ms of [5, 20, 60]) {
      this.wakeTimers++;
      setTimeout(() => {
        this.wakeTimers--;
        this.claim();
      }, ms);
    }
  }

  start(): void {
    const { db } = this.o;
    registerWorker({ db, id: this.id, host: os.hostname(), pid: process.pid, concurrency: this.o.concurrency, labels: this.labels, gpus: [], profiles: null });
    this.o.log(`worker ${this.id}: concurrency ${this.o.concurrency}, lease ${this.o.leaseMs} ms, labels ${this.labels.join(', ') || '(none)'}`);
    const quietly = (what: string) => (e: unknown) => this.o.log(`worker: ${what} failed: ${(e as Error).message}`);
    void this.checkHost().catch(quietly('checking the profiles'));
    void this.checkGpus().catch(quietly('reading the GPUs'));
    this.timers.push(setInterval(() => void this.checkHost().catch(quietly('checking the profiles')), this.o.recheckMs));
    this.sweep();
    this.watchWal();
    this.timers.push(
      setInterval(() => {
        this.watchWal();
        this.claim();
      }, this.o.claimPollMs),
    );
    this.timers.push(setInterval(() => this.sweep(), this.o.sweepMs));
    this.timers.push(setInterval(() => heartbeatWorker({ db, id: this.id }), this.o.heartbeatMs));
    this.claim();
  }

  /** Claim runs while below the concurrency limit. */
  claim(): void {
    if (this.stopping) return;
    // A read first: the claim is a write, and taking the write lock on every wake-up would contend with the other writers.
    if (this.profiles === null) return; // not yet known what runs here
    const can = this.can;
    if (this.jobs.size >= this.o.concurrency || !hasQueuedRun({ db: this.o.db, can })) return;
    while (this.jobs.size < this.o.concurrency) {
      const token = crypto.randomUUID();
      let runId: string | null;
      try {
        runId = claimNextRun({ db: this.o.db, workerId: this.id, host: os.hostname(), token, leaseMs: this.o.leaseMs, can });
      } catch (e) {
        this.o.log(`worker: claim failed: ${(e as Error).message}`);
        return;
      }
      if (!runId) return;
      const id = runId;
      const abort = new AbortController();
      this.aborts.set(id, abort);
      const job = runJob({
        db: this.o.db,
        runId: id,
        token,
        leaseMs: this.o.leaseMs,
        heartbeatMs: this.o.heartbeatMs,
        graceMs: this.o.graceMs,
        pollMs: this.o.pollMs,
        log: this.o.log,
        abort: abort.signal,
      })
        .then((status) => this.o.log(`run ${id}: ${status ?? 'lease lost; settled elsewhere'}`))
        .catch((e) => this.o.log(`run ${id}: worker error: ${(e as Error).stack ?? e}`))
        .finally(() => {
          this.jobs.delete(id);
          this.aborts.delete(id);
          this.claim();
        });
      this.jobs.set(id, job);
    }
  }

  /** Settle runs whose worker is gone (workers/sweep.ts). */
  sweep(): number {
    return sweepLostRuns({ db: this.o.db, sweeperId: this.id, leaseMs: this.o.leaseMs, log: this.o.log });
  }

  /** Ask every run this worker is executing to stop (the heartbeat acts on it: TERM, grace, KILL → `cancelled`). */
  cancelAll(): void {
    this.stopping = true;
    for (const id of this.jobs.keys()) {
      try {
        requestCancel({ db: this.o.db, runId: id }); // recorded, so the evidence says who stopped it
      } catch (e) {
        this.o.log(`run ${id}: recording the cancel failed: ${(e as Error).message}`);
      }
      this.aborts.get(id)?.abort(); // and acted on now, not at the next heartbeat
    }
  }

  /** Stop claiming and wait for running jobs (they keep their leases until they end). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.walWatch?.close();
    this.walWatch = null;
    await Promise.allSettled([...this.jobs.values()]);
    markWorkerOffline({ db: this.o.db, id: this.id });
  }
}
