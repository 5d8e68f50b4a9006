/**
 * What a launched run's evidence is made of: the facts of its launch record
 * and the analysis of its files. The live view (status `running`,
 * workers/live-follow.ts) and the final archive (workers/finalize.ts) ask the
 * same question with the same options, so they ask it here; only the status
 * and the end facts differ.
 */
import type { Launch, Run } from '../db/schema';
import { analyseBundleWithSeries, type InputFile } from '../lib/evidence/analyse';
import type { LaunchFacts, RunStatus } from '../lib/evidence/types';
import { formatCommandLine, redactEnv } from '../lib/lightning/command';
import { parseJsonText } from '../lib/json-text';

/** The run's log in its bundle: the child's stdout and stderr on one file descriptor. */
export const LOG_NAME = 'train.log';

/** `planRows`: the row IDs the run is linked to (run_plan_rows, written with the run at launch). */
export function factsFrom(launch: Launch, planRows: string[], extra: Partial<LaunchFacts>): LaunchFacts {
  return {
    profile: launch.profile,
    argv: parseJsonText(launch.argvJson),
    cwd: launch.cwd,
    env: redactEnv(parseJsonText(launch.envJson)),
    params: parseJsonText(launch.paramsJson),
    cpuOnly: launch.cpuOnly,
    planRows,
    host: launch.host,
    pid: launch.pid,
    gitCommit: launch.gitCommit,
    queuedAt: launch.queuedAt,
    startedAt: launch.processStartedAt,
    endedAt: null,
    exitCode: null,
    signal: null,
    timeoutSec: Math.round(launch.timeoutMs / 1000),
    cancelRequested: launch.cancelRequestedAt != null,
    note: null,
    ...extra,
  };
}

/**
 * The evidence of a launched run from its files. The live view (status
 * `running`) and the final archive ask the same question with the same
 * options; only the status and the end facts differ.
 */
export function analyseLaunched(
  files: InputFile[],
  run: Run,
  facts: LaunchFacts,
  end: { status: RunStatus; exitCode: number | null; signal: string | null; cleanedUp: boolean | null; wallS: number | null; logFile?: string },
  rowRequest: { text: string; source: string } | null = null,
) {
  return analyseBundleWithSeries(files, {
    root: run.bundleDir,
    logFile: end.logFile,
    title: run.title,
    // The request is what a plan row it qualifies for asks for (server/plans.ts requestedForLinks), else the
    // command the form built: facts.env is already redacted, as command.txt is.
    requested: rowRequest ?? { text: formatCommandLine(facts.argv, facts.env), source: 'launch form' },
    launch: { exitCode: end.exitCode, signal: end.signal, cleanedUp: end.cleanedUp, status: end.status, facts, wallS: end.wallS },
  });
}
