'use client';
/**
 * Numbered lines with `#L<n>` anchors. A client component on purpose: its
 * props are just the strings, so a 10,000-line file is sent once as text
 * instead of once as HTML and again as a server-component tree.
 */
export default function CodeLines({ lines, firstLine = 1, marks = {} }: { lines: string[]; firstLine?: number; marks?: Record<number, 'error' | 'warn'> }) {
  return (
    <table className="code">
      <tbody>
        {lines.map((line, i) => {
          const n = firstLine + i;
          const level = marks[n];
          return (
            <tr key={n} id={`L${n}`} className={level ? `line-${level}` : undefined}>
              <td className="ln">
                <a href={`#L${n}`}>{n}</a>
              </td>
              <td className="lc">{line || '\u00a0'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
