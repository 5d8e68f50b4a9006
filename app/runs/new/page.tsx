import Link from 'next/link';
import LaunchForm, { type FormProfile } from './launch-form';
import { listProfilesAsync, ProfileConfigError } from '@/server/profiles';
import { launchPermission } from '@/server/session';
import { isRunId, loadLaunch, loadPickableRows, loadRowRefs, loadRunPlanLinks, loadWorkers } from '@/app/_lib/data';
import { launchAction, type LaunchInput } from './actions';
import { parseJsonText } from '@/lib/json-text';
import { whereItRuns } from '@/lib/workers/where';

export const dynamic = 'force-dynamic';
export const metadata = { title: 'Launch a smoke run' };

type SP = Promise<Record<string, string | string[] | undefined>>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export default async function NewRunPage({ searchParams }: { searchParams: SP }) {
  const sp = await searchParams;
  let entries;
  try {
    entries = await listProfilesAsync();
  } catch (e) {
    if (!(e instanceof ProfileConfigError)) throw e;
    return (
      <div className="notice error" role="alert">
        The profile configuration is not valid: {e.message}
      </div>
    );
  }
  const profiles: FormProfile[] = entries.map((e) => ({
    name: e.profile.name,
    title: e.profile.title,
    description: e.profile.description,
    available: e.available,
    reason: e.reason,
    params: e.profile.params,
    timeoutSec: e.profile.timeoutSec,
    cpuOnlyEnv: e.profile.cpuOnlyEnv,
    labels: e.profile.requires.labels,
  }));

  // "Run again with these knobs": start from a launched run's request.
  // `?rows=` (from a row page) names rows as `<plan id>:<row>` or bare IDs.
  const initial: LaunchInput = {
    values: {},
    profile: one(sp.profile) ?? null,
    cpuOnly: false,
    labels: one(sp.labels) ?? '',
    rows: (
      await loadRowRefs(
        (one(sp.rows) ?? '')
          .split(',')
          .map((r) => r.trim())
          .filter(Boolean)
          .slice(0, 50),
      )
    ).join(','),
  };
  let from: string | null = null;
  const fromId = one(sp.from);
  if (fromId && isRunId(fromId)) {
    const launch = await loadLaunch(fromId);
    if (launch) {
      from = fromId;
      initial.profile = launch.profile;
      initial.cpuOnly = launch.cpuOnly;
      initial.labels = parseJsonText(launch.labelsJson).join(',');
      initial.values = Object.fromEntries(Object.entries(parseJsonText(launch.paramsJson)).map(([k, v]) => [k, String(v)]));
      if (!initial.rows)
        initial.rows = (await loadRunPlanLinks(fromId))
          .filter((l) => l.planId && l.state !== null)
          .map((l) => `${l.planId}:${l.id}`)
          .join(',');
    }
  }
  const [workers, planRows] = await Promise.all([loadWorkers(), loadPickableRows()]);
  const now = Date.now();
  // A profile named in the URL is kept when it can run here or on a registered worker's host (the form says where).
  const runnable = (p: FormProfile) => whereItRuns({ profile: p.name, labels: p.labels, local: p, workers, now }).ok;
  if (initial.profile && !profiles.some((p) => p.name === initial.profile && runnable(p))) initial.profile = null;
  const permission = await launchPermission(`/runs/new${from ? `?from=${from}` : ''}`);

  return (
    <>
      <div className="crumbs">
        <Link href="/">Runs</Link> / Launch
      </div>
      <div className="page-head">
        <div>
          <h1>Launch a smoke run</h1>
          <p className="muted">
            Pick a profile and its knobs. A worker runs it on its host (this server's, or one that registered with <code>runproof worker</code>); its evidence page follows it live and keeps the bundle
            when it ends.
            {from ? (
              <>
                {' '}
                Knobs copied from run{' '}
                <Link href={`/runs/${from}`} className="mono">
                  {from}
                </Link>
                .
              </>
            ) : null}
          </p>
        </div>
      </div>
      <LaunchForm profiles={profiles} initial={initial} action={launchAction} permission={permission} planRows={planRows} workers={workers} now={now} />
    </>
  );
}
