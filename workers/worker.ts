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
 *
 * Waking up for a queued run: on PostgreSQL the queue NOTIFYs on commit
 * (db/queries/launches.ts QUEUE_CHANNEL, CANCEL_CHANNEL) and the worker claims
 * on the notification, with a slow safety poll that also re-arms a dropped
 * LISTEN; on SQLite (one host, no NOTIFY) it watches the database's WAL file
 * and polls.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { Db } from '../db/client';
import { CANCEL_CHANNEL, claimNextRun, hasQueuedRun, QUEUE_CHANNEL, requestCancel, type WorkerCan } from '../db/queries/launches';
import { heartbeatWorker, markWorkerOffline, registerWorker, updateWorkerFacts } from '../db/queries/workers';
import type { ProfileAvailability } from '../lib/workers/match';
import { checkProfilesHere, readGpus, workerLabels } from '../server/worker-host';
import { runJob } from './job';
import { Repeat } from './repeat';
import { sweepLostRuns } from './sweep';

export interface WorkerOptions {
  db: Db;
  concurrency: number;
  leaseMs: number;
  heartbeatMs?: number;
  graceMs?: number;
  pollMs?: number;
  /** SQLite: how often the queue is polled for new runs (click → process start is bounded by this). */
  claimPollMs?: number;
  /** PostgreSQL: the poll behind the notifications (a NOTIFY lost with a dropped connection), and how soon a dropped LISTEN is re-armed. */
  safetyPollMs?: number;
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
  private repeats: Repeat[] = [];
  private stopping = false;
  /** cancelAll was called: a run claimed after it is stopped at once too. */
  private cancelling = false;
  private readonly o: Required<WorkerOptions>;
  /** Writes started outside a timer (cancel records): stop() waits for them. */
  private background = new Set<Promise<unknown>>();
  private unlisten: Array<() => Promise<void>> = [];

  constructor(opts: WorkerOptions) {
    const heartbeatMs = opts.heartbeatMs ?? Math.max(200, Math.floor(opts.leaseMs / 5));
    this.o = {
      heartbeatMs,
      graceMs: 5000,
      pollMs: 250,
      claimPollMs: 200,
      safetyPollMs: 5000,
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

  /** Keep `p` (which never rejects) until it settles, so stop() can wait for it. */
  private track(p: Promise<unknown>): void {
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  private quietly = (what: string) => (e: unknown) => this.o.log(`worker: ${what} failed: ${(e as Error).message}`);

  /** The profile facts as they arrive, written one after another. */
  private factWrites: Promise<void> = Promise.resolve();

  /** Check the profiles (each as its probe ends, so a probe importing torch holds up no other profile) and store what was found. */
  private async checkHost(): Promise<void> {
    const store = (profiles: ProfileAvailability[]) => {
      if (this.stopping) return;
      this.profiles = profiles;
      this.factWrites = this.factWrites.then(() => updateWorkerFacts({ db: this.o.db, id: this.id, profiles })).catch(this.quietly('recording its profiles'));
      void this.claim();
    };
    const first = this.profiles === null;
    const all = await checkProfilesHere(store);
    store(all);
    await this.factWrites;
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
    this.factWrites = this.factWrites.then(() => updateWorkerFacts({ db: this.o.db, id: this.id, gpus })).catch(this.quietly('recording its GPUs'));
    await this.factWrites;
    if (gpus.length) this.o.log(`worker: ${gpus.length} GPU${gpus.length === 1 ? '' : 's'}: ${gpus.map((g) => g.name).join(', ')}`);
  }

  get running(): number {
    return this.jobs.size;
  }

  private walWatch: fs.FSWatcher | null = null;

  /**
   * SQLite: every commit to the database appends to its WAL file, so
   * watching that file wakes the worker within milliseconds of a launch
   * being queued by another process; polling stays as the fallback (and
   * re-arms the watch when SQLite has removed and recreated the file).
   */
  private watchWal(): void {
    if (this.walWatch || this.stopping || !this.o.db.sqlite) return;
    const wal = `${this.o.db.sqlite.name}-wal`;
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
   * SQLite: a WAL write is seen before the commit is visible to readers
   * (the writer still has to fsync and update the WAL index), so look now
   * and again shortly after, rather than wait for the next poll.
   */
  private wake(): void {
    void this.claim();
    if (this.wakeTimers > 0 || this.jobs.size >= this.o.concurrency) return;
    for (const ms of [5, 20, 60]) {
      this.wakeTimers++;
      setTimeout(() => {
        this.wakeTimers--;
        void this.claim();
      }, ms);
    }
  }

  /**
   * PostgreSQL: LISTEN for queued runs and cancels. Called again by the
   * safety poll: the new handlers are in place before the old ones go, and
   * listening again reconnects a listening connection that dropped (a
   * server restart), so a lost LISTEN costs at most one safety interval.
   */
  private async subscribe(): Promise<void> {
    const { db } = this.o;
    const next = [await db.listen(QUEUE_CHANNEL, () => void this.claim()), await db.listen(CANCEL_CHANNEL, (runId) => this.cancelNow(runId))];
    const old = this.unlisten;
    this.unlisten = next;
    for (const off of old) await off();
  }

  /** A cancel was requested for `runId` (a NOTIFY): if it runs here, it is stopped now, not at its next heartbeat. */
  private cancelNow(runId: string): void {
    this.aborts.get(runId)?.abort();
  }

  async start(): Promise<void> {
    const { db } = this.o;
    await registerWorker({ db, id: this.id, host: os.hostname(), pid: process.pid, concurrency: this.o.concurrency, labels: this.labels, gpus: [], profiles: null });
    this.o.log(`worker ${this.id}: concurrency ${this.o.concurrency}, lease ${this.o.leaseMs} ms, labels ${this.labels.join(', ') || '(none)'}`);
    // Not waited for by stop(): the first probe of a profile may take seconds (importing torch); what it finds
    // is written only while the worker goes on (factWrites, which stop() does wait for).
    void this.checkHost().catch(this.quietly('checking the profiles'));
    void this.checkGpus().catch(this.quietly('reading the GPUs'));
    this.repeats.push(new Repeat(() => this.checkHost(), this.o.recheckMs, this.quietly('checking the profiles')));
    const sweeper = new Repeat(() => this.sweep(), this.o.sweepMs, this.quietly('the sweep'));
    this.repeats.push(sweeper);
    await sweeper.now();
    if (db.dialect === 'postgres') {
      await this.subscribe().catch(this.quietly('listening for queued runs'));
      // No busy polling: the notification wakes it; this catches what a dropped connection missed.
      this.repeats.push(
        new Repeat(
          async () => {
            await this.subscribe();
            await this.claim();
          },
          this.o.safetyPollMs,
          this.quietly('listening for queued runs'),
        ),
      );
    } else {
      this.watchWal();
      this.repeats.push(
        new Repeat(
          async () => {
            this.watchWal();
            await this.claim();
          },
          this.o.claimPollMs,
          this.quietly('polling the queue'),
        ),
      );
    }
    this.repeats.push(new Repeat(() => heartbeatWorker({ db, id: this.id }), this.o.heartbeatMs, this.quietly('the heartbeat')));
    await this.claim();
  }

  private claiming: Promise<void> | null = null;
  private claimAgain = false;

  /**
   * Claim runs while below the concurrency limit. One claim pass at a time:
   * a wake-up during a pass makes it look once more when done (a run queued
   * meanwhile is not missed), and the count of jobs it checks is its own.
   * Never rejects: a failed claim is logged and the next wake-up tries again.
   */
  claim(): Promise<void> {
    if (this.claiming) {
      this.claimAgain = true;
      return this.claiming;
    }
    this.claiming = (async () => {
      await null;
      try {
        do {
          this.claimAgain = false;
          await this.claimPass();
        } while (this.claimAgain && !this.stopping);
      } finally {
        this.claiming = null;
      }
    })();
    return this.claiming;
  }

  private async claimPass(): Promise<void> {
    if (this.stopping) return;
    if (this.profiles === null) return; // not yet known what runs here
    const can = this.can;
    if (this.jobs.size >= this.o.concurrency) return;
    try {
      // A read first: the claim is a write, and taking the write lock on every wake-up would contend with the other writers.
      if (!(await hasQueuedRun({ db: this.o.db, can }))) return;
    } catch (e) {
      this.o.log(`worker: looking at the queue failed: ${(e as Error).message}`);
      return;
    }
    while (this.jobs.size < this.o.concurrency && !this.stopping) {
      const token = crypto.randomUUID();
      let runId: string | null;
      try {
        runId = await claimNextRun({ db: this.o.db, workerId: this.id, host: os.hostname(), token, leaseMs: this.o.leaseMs, can });
      } catch (e) {
        this.o.log(`worker: claim failed: ${(e as Error).message}`);
        return;
      }
      if (!runId) return;
      this.runClaimed(runId, token);
    }
  }

  private runClaimed(id: string, token: string): void {
    const abort = new AbortController();
    this.aborts.set(id, abort);
    // Claimed while cancelAll ran (the claim was in flight): stopped like the others.
    if (this.cancelling) this.track(this.recordCancel(id).then(() => abort.abort()));
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
        void this.claim();
      });
    this.jobs.set(id, job);
  }

  /**
   * Settle runs whose worker is gone (workers/sweep.ts). Its own jobs are
   * left alone: this process is alive, and a job whose archive blocked the
   * event loop past its lease is still settling it.
   */
  sweep(): Promise<number> {
    return sweepLostRuns({ db: this.o.db, sweeperId: this.id, leaseMs: this.o.leaseMs, log: this.o.log, ownRuns: [...this.jobs.keys()] });
  }

  /** Recorded, so the evidence says who stopped it. */
  private async recordCancel(id: string): Promise<void> {
    try {
      await requestCancel({ db: this.o.db, runId: id });
    } catch (e) {
      this.o.log(`run ${id}: recording the cancel failed: ${(e as Error).message}`);
    }
  }

  /**
   * Ask every run this worker is executing to stop (TERM, grace, KILL →
   * `cancelled`), now rather than at the next heartbeat. The cancels are
   * recorded in the background; stop() waits for those writes.
   */
  cancelAll(): void {
    this.stopping = true;
    this.cancelling = true;
    for (const id of this.jobs.keys()) {
      const abort = this.aborts.get(id);
      this.track(this.recordCancel(id).then(() => abort?.abort()));
    }
  }

  /** Stop claiming and wait for running jobs (they keep their leases until they end). */
  async stop(): Promise<void> {
    this.stopping = true;
    const repeats = this.repeats;
    this.repeats = [];
    this.walWatch?.close();
    this.walWatch = null;
    const unlisten = this.unlisten;
    this.unlisten = [];
    for (const off of unlisten) await off().catch(this.quietly('unlistening'));
    await Promise.all(repeats.map((r) => r.stop()));
    await this.claiming;
    await Promise.allSettled([...this.background]);
    await Promise.allSettled([...this.jobs.values()]);
    await this.factWrites;
    await markWorkerOffline({ db: this.o.db, id: this.id });
  }
}
