/**
 * One thing Runproof believes about a run, with where the belief came from.
 *
 * - `known`: read from the bundle (a knob in the command, a line of the log,
 *   a file name); `source` says where.
 * - `assumed`: not in the bundle; Runproof took a default (Lightning's, or a
 *   guess such as "the val…loss column is the monitor"). `source` is
 *   `'assumed default'` and `unknown` says what the bundle did not tell.
 *   A check that fails on an assumed fact judges a guess, not the run.
 * - `unknown`: not in the bundle and nothing assumed; `value` is null.
 */
export type Fact<T> = { state: 'known'; value: T; source: string } | { state: 'assumed'; value: T; source: 'assumed default'; unknown: string } | { state: 'unknown'; value: null; unknown: string };

/** A fact today's analysis always has a value for (known, or assumed when the bundle does not say). */
export type SureFact<T> = Exclude<Fact<T>, { state: 'unknown' }>;

export const known = <T>(value: T, source: string): { state: 'known'; value: T; source: string } => ({ state: 'known', value, source });
export const assumed = <T>(value: T, unknown: string): { state: 'assumed'; value: T; source: 'assumed default'; unknown: string } => ({ state: 'assumed', value, source: 'assumed default', unknown });
export const unknown = (why: string): { state: 'unknown'; value: null; unknown: string } => ({ state: 'unknown', value: null, unknown: why });
