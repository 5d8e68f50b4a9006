/**
 * The workers and whether each can take a run of this profile needing these
 * labels (lib/workers/match.ts: the claim's rule in words), with where the
 * run goes in one sentence. Shown by the launch form while a profile is
 * picked and by a queued run's page. No hooks: it renders on either side.
 */
import { gpuSummary } from '@/lib/workers/gpus';
import { canTake, placeRun, type WorkerView } from '@/lib/workers/match';

export function WorkerList({ workers, run, testId = 'workers' }: { workers: WorkerView[]; run: { profile: string; labels: readonly string[] }; testId?: string }) {
  const placement = placeRun(workers, run);
  const online = workers.filter((w) => w.state === 'online');
  const offline = workers.length - online.length;
  return (
    <div data-testid={testId}>
      <p className={placement.able.length ? 'small' : 'notice'} role={placement.able.length ? undefined : 'status'} data-testid={`${testId}-placement`}>
        {placement.able.length ? 'Goes to a worker: ' : ''}
        {placement.sentence}
      </p>
      {online.length ? (
        <ul className="worker-list small">
          {online.map((w) => {
            const fit = canTake(w, run);
            return (
              <li key={w.id} data-testid={`${testId}-worker`} data-worker-id={w.id} data-can-take={fit.ok ? '1' : '0'}>
                <strong>{w.host}</strong> <span className="mono subtle">{w.id}</span> · online · {w.busy}/{w.concurrency} busy
                {w.labels.length ? (
                  <>
                    {' '}
                    · labels <span className="mono">{w.labels.join(', ')}</span>
                  </>
                ) : null}
                {w.gpus.length ? <> · GPUs {gpuSummary(w.gpus)}</> : null}
                {' · '}
                {fit.ok ? <strong>can take it</strong> : <span className="muted">cannot: {fit.reason}</span>}
              </li>
            );
          })}
        </ul>
      ) : null}
      {offline ? (
        <p className="small muted">
          {offline} worker{offline === 1 ? '' : 's'} offline (<code>runproof workers</code> lists them).
        </p>
      ) : null}
    </div>
  );
}
