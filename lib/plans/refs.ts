/**
 * Which plan rows a piece of text names (a bundle's summary, a brief, a folder
 * name). IDs match as whole tokens, case-sensitively; the team's shorthands
 * `EB4.A-B` and `EB1.A/F` name both rows.
 */

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Dotted IDs (`EB4.A`) grouped by prefix (`EB4`), for shorthands and for IDs the plan does not have. */
function families(ids: Iterable<string>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const id of ids) {
    const dot = id.lastIndexOf('.');
    if (dot <= 0 || dot === id.length - 1) continue;
    const p = id.slice(0, dot);
    if (!out.has(p)) out.set(p, new Set());
    out.get(p)!.add(id.slice(dot + 1));
  }
  return out;
}

export interface NamedRows {
  /** Row IDs the plan has, in order of first mention. */
  found: string[];
  /** IDs shaped like the plan's dotted IDs (`EB4.C` beside `EB4.A`) that the plan does not have. */
  unknown: string[];
}

/** The plan row IDs named in `text`. `ids` are the plan's row IDs. */
export function namedRows(text: string, ids: Iterable<string>): NamedRows {
  const all = new Set(ids);
  const found: string[] = [];
  const unknown: string[] = [];
  const add = (list: string[], id: string) => {
    if (!list.includes(id)) list.push(id);
  };
  if (all.size === 0 || !text) return { found, unknown };
  // IDs made only of digits, or of one character, are ordinary words in prose ("2 epochs on 1 GPU"): never linked from text.
  const sorted = [...all].filter((id) => id.length > 1 && !/^\d+$/.test(id)).sort((a, b) => b.length - a.length);
  if (!sorted.length) return { found, unknown };
  const fam = families(all);
  // Known IDs, longest first so `EB1.A` wins over `A`.
  const re = new RegExp(`(?<![A-Za-z0-9_.-])(${sorted.map(escapeRe).join('|')})(?![A-Za-z0-9_])((?:[-/][A-Za-z0-9]{1,3}(?![A-Za-z0-9]|\\.[A-Za-z0-9]))*)`, 'g');
  for (const m of text.matchAll(re)) {
    // `EB4` inside `EB4.C` is not a mention of a row named EB4.
    if (m[2] === '' && text[m.index + m[1].length] === '.' && /[A-Za-z0-9]/.test(text[m.index + m[1].length + 1] ?? '')) continue;
    add(found, m[1]);
    if (m[2]) {
      const dot = m[1].lastIndexOf('.');
      const prefix = dot > 0 ? m[1].slice(0, dot) : null;
      for (const part of m[2].split(/[-/]/).filter(Boolean)) {
        if (prefix && fam.get(prefix)?.has(part)) add(found, `${prefix}.${part}`);
        else if (all.has(part)) add(found, part);
      }
    }
  }
  // IDs the plan does not have, within a family it does have (`EB4.C`).
  if (fam.size) {
    const famRe = new RegExp(
      `(?<![A-Za-z0-9_.-])(${[...fam.keys()]
        .sort((a, b) => b.length - a.length)
        .map(escapeRe)
        .join('|')})\\.([A-Za-z0-9]+)(?![A-Za-z0-9_])`,
      'g',
    );
    for (const m of text.matchAll(famRe)) {
      const id = `${m[1]}.${m[2]}`;
      if (!all.has(id) && /^[A-Z0-9]{1,3}$/.test(m[2])) add(unknown, id);
    }
  }
  return { found, unknown };
}
