import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import fs from 'node:fs';
import { BUNDLE_FOLDER_MISSING } from '@/server/bundle-files';
import { isRunId, loadRunEvidence, openRunFileOf } from '@/app/_lib/data';
import { isTextFile, readHead, splitLines } from '@/app/_lib/files';
import { fileHref, fmtBytes } from '@/components/format';
import { citedLogLines } from '@/lib/evidence/headline';
import { ProcessStatus, VerdictBadge } from '@/components/verdict';
import { judgeRun } from '@/lib/evidence/verdict';
import CodeLines from '@/components/code-lines';

export const dynamic = 'force-dynamic';

const MAX_BYTES = 1 << 20;
const MAX_LINES = 10_000;

type Params = { params: Promise<{ id: string; path: string[] }>; searchParams?: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { path } = await params;
  const name = path.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return { title: name.join('/') };
}

export default async function FilePage({ params, searchParams }: Params) {
  const { id, path } = await params;
  const onlyCited = (await searchParams)?.only === 'cited';
  if (!isRunId(id)) notFound();
  const found = await loadRunEvidence(id);
  if (!found) notFound();
  const { run, evidence: ev } = found;
  // From the database when the run's files are stored there, else from the folder (openRunFile).
  const r = await openRunFileOf(run, path);
  if (!r.ok && r.reason === BUNDLE_FOLDER_MISSING) {
    // Not a bare 404: say why every file of this run is gone, and what brings them back.
    return (
      <div className="card error-page" data-testid="bundle-missing">
        <h1>Bundle folder missing</h1>
        <p className="muted">
          The folder of <Link href={`/runs/${encodeURIComponent(id)}`}>{run.name ?? ev.title}</Link>, <code className="wrap-anywhere">{run.bundleDir}</code>, was moved or removed since the run was{' '}
          {run.origin === 'launched' ? 'archived' : 'imported'}, so its files cannot be shown.
          {run.origin === 'imported' ? (
            <>
              {' '}
              Import the folder from where it is now: <code>npx runproof import &lt;dir&gt;</code>.
            </>
          ) : null}
        </p>
        <div className="actions">
          <Link className="btn btn-primary" href={`/runs/${encodeURIComponent(id)}`}>
            Back to the run
          </Link>
        </div>
      </div>
    );
  }
  if (!r.ok) notFound();
  // Read through the descriptor that was checked to lie inside the bundle (or the stored copy).
  let text: boolean;
  let head: Awaited<ReturnType<typeof readHead>> | null;
  try {
    text = await isTextFile(r.relative, r.source);
    head = text ? await readHead(r.source, MAX_BYTES) : null;
  } finally {
    if (r.fd !== null) fs.closeSync(r.fd);
  }

  const role = ev.files.find((f) => f.path === r.relative)?.role ?? null;
  let lines = head ? splitLines(head.text) : [];
  // A cut file may end mid-line: drop the partial last line rather than show half of it.
  if (head?.truncated && lines.length > 1) lines = lines.slice(0, -1);
  const cutLines = lines.length > MAX_LINES;
  if (cutLines) lines = lines.slice(0, MAX_LINES);
  const cut = !!head?.truncated || cutLines;
  // Marked, and kept by "errors and warnings only": exactly the lines the evidence's warnings and errors cite.
  const cited = citedLogLines(ev, r.relative, role === 'log' ? lines.map((text, i) => ({ n: i + 1, text })) : []);
  const marks: Record<number, 'error' | 'warn'> = Object.fromEntries(cited);
  const citedShown = [...cited.keys()].filter((n) => n <= lines.length).sort((a, b) => a - b);
  const here = fileHref(id, r.relative);

  return (
    <>
      <div className="crumbs">
        <Link href="/">Runs</Link>
        {' / '}
        <Link href={`/runs/${encodeURIComponent(id)}`}>{ev.title}</Link>
        {' / '}
        <Link href={`/runs/${encodeURIComponent(id)}#files`}>files</Link>
      </div>
      <div className="page-head">
        <div>
          <div className="title-row">
            <h1 className="mono" style={{ fontSize: 18 }} data-testid="file-path">
              {r.relative}
            </h1>
            {/* The run's verdict leads; how its process ended follows, quietly. */}
            <VerdictBadge verdict={judgeRun(ev).verdict} size="sm" />
            <span className="small">
              <ProcessStatus status={ev.status} />
            </span>
          </div>
          <p className="muted small">
            {fmtBytes(r.sizeBytes)}
            {role ? ` · ${role}` : ''}
            {head ? ` · ${lines.length.toLocaleString('en')} line${lines.length === 1 ? '' : 's'}${cut ? ' shown' : ''}` : ''}
          </p>
        </div>
        <div className="actions" style={{ border: 0, margin: 0, padding: 0 }}>
          <a className="btn" href={fileHref(id, r.relative, { raw: true })}>
            Raw
          </a>
          <a className="btn" href={fileHref(id, r.relative, { download: true })} download>
            Download
          </a>
        </div>
      </div>

      {cut ? (
        <p className="notice" role="status" data-testid="file-cut">
          This file is {fmtBytes(r.sizeBytes)}; only the first {lines.length.toLocaleString('en')} lines
          {head?.truncated ? ` (at most ${fmtBytes(MAX_BYTES)})` : ''} are shown.{' '}
          <a href={fileHref(id, r.relative, { download: true })} download>
            Download the whole file
          </a>
          .
        </p>
      ) : null}

      {head && cited.size ? (
        <div className="log-tools file-filter" data-testid="file-filter">
          {onlyCited ? (
            <>
              <span>
                Errors and warnings only: the {citedShown.length} line{citedShown.length === 1 ? '' : 's'} the evidence cites.
              </span>
              <a href={here}>Show all lines</a>
            </>
          ) : (
            <a href={`${here}?only=cited`} data-testid="file-filter-cited">
              Errors and warnings only ({cited.size})
            </a>
          )}
        </div>
      ) : null}

      {head ? (
        <div className="code-box card" data-testid="file-viewer">
          {lines.length === 0 || (lines.length === 1 && lines[0] === '') ? (
            <div className="empty small">This file is empty.</div>
          ) : onlyCited ? (
            <CitedLines lines={lines} cited={citedShown} marks={marks} href={here} />
          ) : (
            <CodeLines lines={lines} marks={marks} />
          )}
        </div>
      ) : (
        <div className="card empty" data-testid="file-viewer">
          <h2>Binary file</h2>
          <p>
            {r.relative} ({fmtBytes(r.sizeBytes)}) is not text.{' '}
            <a href={fileHref(id, r.relative, { download: true })} download>
              Download it
            </a>
            .
          </p>
        </div>
      )}
    </>
  );
}

/** The cited lines alone, each number linking to the line in the whole file. */
function CitedLines({ lines, cited, marks, href }: { lines: string[]; cited: number[]; marks: Record<number, 'error' | 'warn'>; href: string }) {
  if (!cited.length) return <div className="empty small">None of the cited lines is in the part of the file shown.</div>;
  return (
    <table className="code" data-testid="cited-lines">
      <tbody>
        {cited.map((n) => (
          <tr key={n} className={`line-${marks[n]}`} data-line={n}>
            <td className="ln">
              <a href={`${href}#L${n}`}>{n}</a>
            </td>
            <td className="lc">{lines[n - 1] || '\u00a0'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
