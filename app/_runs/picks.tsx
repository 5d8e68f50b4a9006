'use client';
/**
 * The runs the reader ticked, across pages: kept in sessionStorage (this
 * tab), so paging, sorting and filtering keep them. The table's checkboxes
 * are server-rendered; this bar ticks those it remembers, listens to them,
 * and submits every remembered id to /compare. It also archives or restores
 * the ticked runs for someone allowed to.
 *
 * Without JavaScript the checkboxes still submit the ticks of this page.
 */
import { useCallback, useEffect, useState, useTransition } from 'react';
import { useRouter } from 'next/navigation';
import pick from '@/app/compare/select.module.css';
import { resultText, type ActionResult } from '@/lib/action-result';

export interface Pick {
  id: string;
  label: string;
}

const KEY = 'runproof:compare-picks';

function readPicks(): Pick[] {
  try {
    const v = JSON.parse(sessionStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((p): p is Pick => !!p && typeof p.id === 'string' && typeof p.label === 'string').slice(0, 200) : [];
  } catch {
    return [];
  }
}

function writePicks(p: Pick[]) {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(p));
  } catch {
    // Storage full or refused: the ticks of this page still work.
  }
}

const boxes = () => Array.from(document.querySelectorAll<HTMLInputElement>('input[data-testid="compare-pick"]'));

export default function ComparePicks({
  max,
  archive,
  archivedView,
  hasRows = true,
}: {
  max: number;
  /** False when this page lists no run: only a message left from a bulk action shows. */
  hasRows?: boolean;
  /** The bulk archive/restore action, when this reader may use it. */
  archive: ((ids: string[], archived: boolean) => Promise<ActionResult>) | null;
  archivedView: boolean;
}) {
  const router = useRouter();
  const [picks, setPicks] = useState<Pick[] | null>(null);
  const [pageIds, setPageIds] = useState<string[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();

  const update = useCallback((next: Pick[]) => {
    writePicks(next);
    setPicks(next);
  }, []);

  // Tick the boxes this tab remembers, now and after every re-render of the table (paging, live refresh).
  useEffect(() => {
    const sync = () => {
      const ids = new Set(readPicks().map((p) => p.id));
      const here = boxes();
      for (const b of here) b.checked = ids.has(b.value);
      setPageIds((prev) => {
        const next = here.map((b) => b.value);
        return prev.length === next.length && prev.every((v, i) => v === next[i]) ? prev : next;
      });
    };
    setPicks(readPicks());
    sync();
    const table = document.querySelector('[data-testid="runs-table"]')?.parentElement;
    const mo = table ? new MutationObserver(sync) : null;
    if (table && mo) mo.observe(table, { childList: true, subtree: true });
    const onChange = (e: Event) => {
      const t = e.target as HTMLInputElement;
      if (t?.dataset?.testid !== 'compare-pick') return;
      const cur = readPicks().filter((p) => p.id !== t.value);
      const next = t.checked ? [...cur, { id: t.value, label: t.dataset.label ?? t.value }] : cur;
      writePicks(next);
      setPicks(next);
    };
    document.addEventListener('change', onChange);
    return () => {
      document.removeEventListener('change', onChange);
      mo?.disconnect();
    };
  }, []);

  const list = picks ?? [];
  const onPage = new Set(pageIds);
  const elsewhere = list.filter((p) => !onPage.has(p.id));
  const remove = (id: string) => {
    update(list.filter((p) => p.id !== id));
    for (const b of boxes()) if (b.value === id) b.checked = false;
  };
  const clear = () => {
    update([]);
    for (const b of boxes()) b.checked = false;
  };

  if (!hasRows) {
    return message ? (
      <p className="small muted" role="status" data-testid="bulk-message">
        {message}
      </p>
    ) : null;
  }

  return (
    <form id="compare-form" className={pick.bar} method="get" action="/compare" aria-label="Compare runs" data-testid="compare-bar" data-picked={list.length}>
      {picks ? <input type="hidden" name="ids" value={list.map((p) => p.id).join(',')} /> : null}
      <button type="submit" className={`btn ${pick.submit}`} data-testid="compare-submit" disabled={picks !== null && list.length > max}>
        Compare selected
      </button>
      {picks === null ? <span className={pick.count} aria-hidden="true" /> : null}
      {picks !== null && list.length ? (
        <span className={pick.picked} data-testid="picked-count" role="status">
          {list.length} ticked{elsewhere.length ? ` (${elsewhere.length} on other pages)` : ''}
          {list.length > max ? <strong className="bad"> — at most {max} compare at once</strong> : null}
        </span>
      ) : null}
      {elsewhere.length ? (
        <ul className={pick.elsewhere} aria-label="Ticked on other pages">
          {elsewhere.map((p) => (
            <li key={p.id} data-testid="picked-elsewhere" data-run-id={p.id}>
              <span className={pick.elsewhereLabel} title={p.id}>
                {p.label}
              </span>
              <button type="button" className={pick.unpick} onClick={() => remove(p.id)} aria-label={`Untick ${p.label}`}>
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {list.length ? (
        <button type="button" className="btn btn-link" onClick={clear}>
          Clear ticks
        </button>
      ) : (
        <span className="small muted">Tick two or more runs (up to {max}, on any page) to overlay their curves and set their knobs and checks side by side.</span>
      )}
      {archive && list.length ? (
        <button
          type="button"
          className="btn"
          disabled={pending}
          data-testid={archivedView ? 'restore-selected' : 'archive-selected'}
          onClick={() =>
            startTransition(async () => {
              const r = await archive(
                list.map((p) => p.id),
                !archivedView,
              );
              setMessage(resultText(r));
              if (r.ok) {
                clear();
                router.refresh();
              }
            })
          }
        >
          {archivedView ? 'Restore selected' : 'Archive selected'}
        </button>
      ) : null}
      {message ? (
        <span className="small muted" role="status" data-testid="bulk-message">
          {message}
        </span>
      ) : null}
    </form>
  );
}
