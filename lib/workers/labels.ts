/**
 * Worker labels: words a worker carries (`gpu`, `a100`, its host name) and a
 * profile or a launch may require. A run waits until a worker whose labels
 * include every required one claims it. Pure: no I/O.
 */

/** Lower-case letters, digits and `. _ : -`, starting with a letter or digit: safe in a URL, a form and a JSON list. */
export const LABEL_RE = /^[a-z0-9][a-z0-9._:-]{0,62}$/;
export const MAX_LABELS = 32;

/**
 * Labels as a user types them (`gpu,a100`, `gpu a100`, repeated flags joined),
 * lower-cased, deduplicated and sorted; every word that is not a label is an
 * error naming it, and the rest still count.
 */
export function parseLabels(input: string | readonly string[]): { labels: string[]; errors: string[] } {
  const words = (typeof input === 'string' ? [input] : input)
    .flatMap((s) => s.split(/[\s,]+/))
    .map((w) => w.trim().toLowerCase())
    .filter(Boolean);
  const errors: string[] = [];
  const out = new Set<string>();
  for (const w of words) {
    if (LABEL_RE.test(w)) out.add(w);
    else errors.push(`${JSON.stringify(w)} is not a label (letters, digits, . _ : -, at most 63, starting with a letter or digit)`);
  }
  if (out.size > MAX_LABELS) errors.push(`at most ${MAX_LABELS} labels, got ${out.size}`);
  return { labels: [...out].sort().slice(0, MAX_LABELS), errors };
}

/** The label a host name gives a worker (every worker carries its host's), or null when the name is not a label. */
export function hostLabel(hostname: string): string | null {
  const h = hostname.trim().toLowerCase();
  return LABEL_RE.test(h) ? h : null;
}

/** The required labels the worker lacks, in order. */
export function missingLabels(required: readonly string[], have: readonly string[]): string[] {
  const set = new Set(have);
  return required.filter((l) => !set.has(l));
}

/** Required labels of a run: its profile's and its launch's, once each, sorted. */
export function unionLabels(...lists: ReadonlyArray<readonly string[]>): string[] {
  return [...new Set(lists.flat())].sort();
}
