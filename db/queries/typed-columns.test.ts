/**
 * The typed columns (db/schema.ts `.$type<…>()`): what a query returns is the
 * union or the document the column holds, and a JSON column read back through
 * parseJsonText is exactly what was written, through a real database (a SQLite
 * file, and PostgreSQL when the tests have one). The
 * type assertions are checked by `tsc --noEmit` and `next build`; the values
 * by vitest.
 */
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { Db } from '../client';
import { backends } from '../testing/backends';
import type { bundleFiles, checks, Launch, Run } from '../schema';
import { analyseBundle } from '../../lib/evidence/analyse';
import type { CheckStatus, Evidence, FileRole, RunStatus } from '../../lib/evidence/types';
import { parseJsonText, toJsonText, type JsonText } from '../../lib/json-text';
import type { StoredLiveProgress } from '../../lib/live/events';
import type { ParamValues } from '../../lib/profiles/build';
import { appendLivePoints, claimNextRun, enqueueRun, getLaunch, getLiveState } from './launches';
import { getRun } from './runs';
import { openTempDb, type TempDb } from './testing';

describe.each(backends())('typed columns (%s)', (backend) => {
  let temp: TempDb;
  let db: Db;
  beforeEach(async () => {
    temp = await openTempDb('rp-typed-', backend);
    db = temp.db;
  });
  afterEach(async () => {
    await temp.close();
  });

  it('the row types carry the unions and the documents', () => {
    expectTypeOf<Run['status']>().toEqualTypeOf<RunStatus>();
    expectTypeOf<(typeof checks.$inferSelect)['status']>().toEqualTypeOf<CheckStatus>();
    expectTypeOf<(typeof bundleFiles.$inferSelect)['role']>().toEqualTypeOf<FileRole>();
    expectTypeOf<Run['evidenceJson']>().toEqualTypeOf<JsonText<Evidence>>();
    expectTypeOf<Launch['paramsJson']>().toEqualTypeOf<JsonText<ParamValues>>();
    expectTypeOf<Launch['argvJson']>().toEqualTypeOf<JsonText<string[]>>();
    expectTypeOf<Launch['liveJson']>().toEqualTypeOf<JsonText<StoredLiveProgress>>();
    // @ts-expect-error JSON text of one thing is not JSON text of another
    const wrong: Launch['argvJson'] = toJsonText({ not: 'an argv' });
    // @ts-expect-error a bare string is not typed JSON text: writes go through toJsonText
    const bare: Run['evidenceJson'] = JSON.stringify({});
    expect([wrong, bare]).toEqual(['{"not":"an argv"}', '{}']);
  });

  it('a launch written and read back through the database: the documents come back as written, typed', async () => {
    const evidence = analyseBundle([], { root: '/b/r1', title: 'r1', launch: { exitCode: null, signal: null, cleanedUp: null, status: 'queued' } });
    const params = { max_epochs: 3, gridsize: 2, note: 'a "quoted" value', cpu: true };
    const argv = ['python', '-m', 'train', '--max_epochs', '3'];
    const env = { CUDA_VISIBLE_DEVICES: '' };
    await enqueueRun({
      db,
      id: 'r1',
      profile: 'reference',
      title: 'r1',
      bundleDir: '/b/r1',
      params,
      cpuOnly: true,
      planLinks: [],
      argv,
      cwd: '/',
      env,
      outputDir: '/w/r1',
      keepOutput: false,
      timeoutMs: 1000,
      evidence,
      now: 1000,
    });

    const launch = (await getLaunch({ db, runId: 'r1' }))!;
    const readParams = parseJsonText(launch.paramsJson);
    expectTypeOf(readParams).toEqualTypeOf<ParamValues>();
    expect(readParams).toEqual(params);
    expect(parseJsonText(launch.argvJson)).toEqual(argv);
    expect(parseJsonText(launch.envJson)).toEqual(env);
    // Before the worker's first write the progress is `{}`, the column's default.
    expect(parseJsonText(launch.liveJson)).toEqual({});

    const run = (await getRun({ db, id: 'r1' }))!;
    expect(run.status).toBe('queued');
    const readEvidence = parseJsonText(run.evidenceJson);
    expectTypeOf(readEvidence).toEqualTypeOf<Evidence>();
    expect(readEvidence).toEqual(JSON.parse(JSON.stringify(evidence)));

    await claimNextRun({ db, workerId: 'w', token: 't', leaseMs: 60_000 });
    const live = { epochsDone: 2, maxEpochs: 3, step: 40, last: { val_loss: 0.5 }, checkpoints: [{ name: 'last.ckpt', sizeBytes: 10 }], checkpointCount: 1, logBytes: 99, stopping: null };
    expect(await appendLivePoints({ db, runId: 'r1', token: 't', points: [], live })).toBe(true);
    const state = (await getLiveState({ db, runId: 'r1' }))!;
    expectTypeOf(state.status).toEqualTypeOf<RunStatus>();
    expect(state.status).toBe('running');
    expect(parseJsonText(state.liveJson)).toEqual(live);
  });
});
