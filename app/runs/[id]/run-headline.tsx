/**
 * The failure headline of the evidence page: the cause first — the log line
 * that says why the run failed, quoted and linked to (the same line the
 * `exit` check cites) — then the other failing checks. Which line it is comes
 * from lib/evidence/headline.ts.
 */
import type { Check } from '@/lib/evidence/types';
import { failureHeadline } from '@/lib/evidence/headline';
import { fileHref } from '@/components/format';

export function RunHeadline({
  ev,
  runId,
  failing,
}: {
  ev: Parameters<typeof failureHeadline>[0];
  runId: string;
  /** The failing checks to list (as the page shows them). `exit` is left out when the headline says it. */
  failing: Array<Pick<Check, 'id' | 'detail'>>;
}) {
  const h = failureHeadline(ev);
  const rest = h ? failing.filter((c) => c.id !== 'exit') : failing;
  if (!h && !rest.length) return null;
  return (
    <div className="callout tone-fail" data-testid="failure-summary">
      {h ? (
        <>
          <p data-testid="failure-cause" data-kind={h.kind} data-line={h.line}>
            <strong>{h.lead}:</strong> <code className="mono cause-quote">{h.quote}</code>{' '}
            <span className="nowrap">
              (
              <a href={fileHref(runId, h.file, { line: h.line })} data-testid="failure-cause-link">
                {h.file}:{h.line}
              </a>
              ){h.exitCode !== null ? `, exit code ${h.exitCode}` : ''}
            </span>
          </p>
          {h.raisedAs ? (
            <p className="small cause-then" data-testid="failure-wrapper">
              which led to <code className="mono">{h.raisedAs.message}</code>{' '}
              <span className="nowrap">
                (
                <a href={fileHref(runId, h.file, { line: h.raisedAs.line })}>
                  {h.file}:{h.raisedAs.line}
                </a>
                )
              </span>
            </p>
          ) : null}
        </>
      ) : null}
      {rest.length ? (
        <ul>
          {rest.map((c) => (
            <li key={c.id}>
              <a href={`#check-${c.id}`}>
                <code>{c.id}</code>
              </a>{' '}
              failed: {c.detail}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
