/**
 * The web UI's door to the database. Database errors are logged here with
 * their cause; pages and API routes only see a plain message.
 */
import os from 'node:os';
import { openDb, type Db } from '@/db/client';
import { sweepLostRuns } from '@/workers/sweep';
import { getEnv } from '@/server/env';
import { getRunEvidence, getRunSeriesForChart, listInitiatives, listRuns, type ListRunsFilter } from '@/db/queries/runs';

export class DataUnavailableError extends Error {
  constructor(what: string) {
    super(`Could not read the run database (${what}). Check RUNPROOF_DB and the server log.`);
    this.name = 'DataUnavailableError';
  }
}

function withDb<T>(what: string, fn: (db: Db) => T): T {
  try {
    return fn(openDb());
  } catch (e) {
    console.error(`[runproof] ${what} failed:`, e);
    throw new DataUnavailableError(what);
  }
}

export function loadRuns(filter: ListRunsFilter) {
  return withDb('listing runs', (db) => listRuns({ db, ...filter }));
}

export function loadInitiatives(): string[] {
  return withDb('listing initiatives', (db) => listInitiatives({ db }));
}

export function loadRunEvidence(id: string) {
  return withDb('reading a run', (db) => getRunEvidence({ db, id }));
}

export function loadRunSeries(runId: string) {
  return withDb('reading run metrics', (db) => getRunSeriesForChart({ db, runId }));
}

/** Run ids are short hex strings; anything else is not a run (and never reaches SQL). */
export function isRunId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(id);
}

/**
 * A running run whose lease ran out has lost its worker: settle it here (as
 * `lost`, process group killed, partial evidence archived) rather than show
 * it running forever when no worker is left to sweep.
 */
export function settleIfLost(run: { status: string; leaseExpiresAt: number | null }): boolean {
  if (run.status !== 'running' || run.leaseExpiresAt === null || run.leaseExpiresAt > Date.now()) return false;
  return withDb('settling a lost run', (db) => sweepLostRuns({ db, sweeperId: `web ${os.hostname()}:${process.pid}`, leaseMs: getEnv().RUNPROOF_LEASE_MS, log: (m) => console.warn(`[runproof] ${m}`) }) > 0);
}
