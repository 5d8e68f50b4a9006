/**
 * One colour per compared run (at most 8), shared by the server-rendered run
 * chips and tables and the client chart: a plain module, because a value
 * exported from a 'use client' file reaches a server component as a
 * reference, not as the value.
 */
export const COMPARE_COLORS = Object.freeze(['#1f5fbf', '#d4500b', '#12806a', '#b3126f', '#8a6d00', '#6b4fbf', '#0a7ea4', '#57606a'] as const);

export const MAX_COMPARE = COMPARE_COLORS.length;

export function compareColor(i: number): string {
  return COMPARE_COLORS[i % COMPARE_COLORS.length];
}
