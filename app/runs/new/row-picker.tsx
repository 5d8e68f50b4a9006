'use client';
/**
 * Plan row picker for the launch form: the indexed plan rows grouped by plan
 * file, filterable, as checkboxes named `row` (value `<plan id>:<row id>`), so
 * the form works without script and the server resolves exactly those rows.
 */
import { useMemo, useState } from 'react';
import Link from 'next/link';
import styles from './row-picker.module.css';

export interface PickerPlan {
  planId: string;
  display: string;
  initiative: string;
  rows: Array<{ rowId: string; state: string; description: string; phase: string | null }>;
}

export default function RowPicker({ plans, selected, error }: { plans: PickerPlan[]; selected: string[]; error?: string | null }) {
  // Only rows the index has: a stale or foreign ref is dropped, not carried along.
  const [picked, setPicked] = useState<Set<string>>(() => new Set(selected.filter((ref) => plans.some((p) => p.rows.some((r) => `${p.planId}:${r.rowId}` === ref)))));
  const [filter, setFilter] = useState('');
  const q = filter.trim().toLowerCase();
  // Plans holding rows picked on arrival come first, so a pre-filled pick is in view.
  const [ordered] = useState(() => [...plans].sort((a, b) => Number(selected.some((r) => r.startsWith(`${b.planId}:`))) - Number(selected.some((r) => r.startsWith(`${a.planId}:`)))));
  const shown = useMemo(
    () => ordered.map((p) => ({ ...p, rows: q ? p.rows.filter((r) => `${r.rowId} ${r.description} ${r.phase ?? ''} ${p.display}`.toLowerCase().includes(q)) : p.rows })).filter((p) => p.rows.length),
    [ordered, q],
  );
  const label = (ref: string) => ref.replace(/^[^:]*:/, '');

  if (!plans.length)
    return (
      <div className={styles.empty} data-testid="row-picker">
        No plan rows are indexed yet. Set <code>RUNPROOF_PLANS_DIR</code> to your plans folder, or import bundles that sit below a plan file; see <Link href="/plans">Plans</Link>.
      </div>
    );

  const toggle = (ref: string, on: boolean) =>
    setPicked((s) => {
      const n = new Set(s);
      if (on) n.add(ref);
      else n.delete(ref);
      return n;
    });

  return (
    <div className={styles.picker} data-testid="row-picker">
      <div className={styles.head}>
        <input type="search" placeholder="Filter rows: ID, words, plan path" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter plan rows" data-testid="row-filter" />
        <span className="small muted" aria-live="polite">
          {picked.size ? `${picked.size} picked: ${[...picked].map(label).join(', ')}` : 'none picked'}
        </span>
      </div>
      <div className={styles.list} role="group" aria-label="Plan rows this run proves" aria-invalid={error ? true : undefined}>
        {shown.map((p) => (
          <div key={p.planId} className={styles.plan}>
            <div className={styles.planName} title={p.display}>
              <span className="mono">{p.display}</span> <span className="subtle">· {p.initiative}</span>
            </div>
            {p.rows.map((r) => {
              const ref = `${p.planId}:${r.rowId}`;
              return (
                <label key={ref} className={styles.row} data-testid="row-option" data-row={r.rowId}>
                  <input type="checkbox" name="row" value={ref} checked={picked.has(ref)} onChange={(e) => toggle(ref, e.target.checked)} />
                  <span className={`mono ${styles.id}`}>{r.rowId}</span>
                  <span className={`tag mono ${styles.state}`}>{r.state}</span>
                  <span className={styles.desc}>{r.description.split('\n')[0]}</span>
                </label>
              );
            })}
          </div>
        ))}
        {!shown.length ? <div className={styles.empty}>No row matches “{filter}”.</div> : null}
      </div>
      {/* Rows picked but filtered out of view still go with the form. */}
      {[...picked]
        .filter((ref) => !shown.some((p) => p.rows.some((r) => `${p.planId}:${r.rowId}` === ref)))
        .map((ref) => (
          <input key={ref} type="hidden" name="row" value={ref} />
        ))}
    </div>
  );
}
