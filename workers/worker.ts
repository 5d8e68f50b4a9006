/**
 * The run worker: claims queued runs (up to its concurrency), runs each with
 * runJob, heartbeats its leases, and sweeps: at start and on a timer it
 * settles runs whose lease expired, or whose worker on this host is gone, as
 * `lost`, kills their recorded process group and archives what they left.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { Db } from '../db/client';
import { claimNextRun, hasQueuedRun, heartbeatWorker, registerWorker, removeWorker, requestCancel } from '../db/queries/launches';
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
    this.o = { heartbeatMs, graceMs: 5000, pollMs: 250, claimPollMs: 200, sweepMs: Math.max(500, Math.floor(opts.leaseMs / 4)), log: () => {}, ...opts } as Required<WorkerOptions>;
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
    registerWorker({ db, id: this.id, host: os.hostname(), pid: process.pid, concurrency: this.o.concurrency });
    this.o.log(`worker ${this.id}: concurrency ${this.o.concurrency}, lease ${this.o.leaseMs} ms`);
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
    if (this.jobs.size >= this.o.concurrency || !hasQueuedRun({ db: this.o.db })) return;
    while (this.jobs.size < this.o.concurrency) {
      const token = crypto.randomUUID();
      let runId: string | null;
      try {
        runId = claimNextRun({ db: this.o.db, workerId: this.id, token, leaseMs: this.o.leaseMs });
      } catch (e) {
        this.o.log(`worker: claim failed: ${(e as Error).message}`);
        return;
      }
      if (!runId) return;
      const id = runId;
      const abort = new AbortController();
      this.aborts.set(id, abort);
      const job = runJob({ db: this.o.db, runId: id, token, leaseMs: this.o.leaseMs, heartbeatMs: this.o.heartbeatMs, graceMs: this.o.graceMs, pollMs: this.o.pollMs, log: this.o.log, abort: abort.signal })
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
    removeWorker({ db: this.o.db, id: this.id });
  }
}
