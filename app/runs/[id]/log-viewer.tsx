'use client';
/**
 * The run's log: line numbers that link into the file viewer, error and
 * warning lines highlighted, and a filter box that keeps real line numbers.
 */
import { useDeferredValue, useMemo, useState } from 'react';

export interface LogLine {
  n: number;
  text: string;
  level: 'error' | 'warn' | null;
}

export default function LogViewer({ lines, lineHrefBase }: { lines: LogLine[]; lineHrefBase: string }) {
  const [query, setQuery] = useState('');
  const [only, setOnly] = useState<'all' | 'problems'>('all');
  const q = useDeferredValue(query);
  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return lines.filter((l) => (only === 'all' || l.level !== null) && (!needle || l.text.toLowerCase().includes(needle)));
  }, [lines, q, only]);
  const problems = useMemo(() => lines.filter((l) => l.level !== null).length, [lines]);

  return (
    <div className="log-viewer">
      <div className="log-tools">
        <input type="search" placeholder="Filter lines…" aria-label="Filter log lines" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="log-filter" />
        <label className="check-inline">
          <input type="checkbox" checked={only === 'problems'} onChange={(e) => setOnly(e.target.checked ? 'problems' : 'all')} />
          errors and warnings only ({problems})
        </label>
        <span className="muted">{shown.length === lines.length ? `${lines.length} lines` : `${shown.length} of ${lines.length} lines`}</span>
      </div>
      <div className="code-box log-box" tabIndex={0} role="region" aria-label="Log output">
        <table className="code">
          <tbody>
            {shown.map((l) => (
              <tr key={l.n} className={l.level ? `line-${l.level}` : undefined}>
                <td className="ln">
                  <a href={`${lineHrefBase}#L${l.n}`}>{l.n}</a>
                </td>
                <td className="lc">{l.text || '\u00a0'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {shown.length === 0 ? <div className="empty small">No line matches.</div> : null}
      </div>
    </div>
  );
}
