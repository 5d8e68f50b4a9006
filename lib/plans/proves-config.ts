/**
 * `runproof-proves.json`, the rules file beside the plans that says which
 * command proves which rows (lib/plans/qualify.ts): read and checked with
 * zod, every problem with the file and its line, good rules kept. A module of
 * its own so the zod schema stays out of anything a browser loads.
 */
import { z } from 'zod';
import type { Problem } from '../evidence/types';
import { parseCommandLine, type KnobValue, type Knobs } from '../lightning/command';
import { programOf, withoutLocations, type Program, type ProvesRule } from './qualify';

export const PROVES_FILE = 'runproof-proves.json';

const knobValue = z.union([z.string(), z.number(), z.boolean()]);
const ruleSchema = z
  .object({
    rows: z.array(z.string().min(1, 'a row ID cannot be empty')).min(1, 'name at least one row'),
    plan: z.string().min(1).optional(),
    profile: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    command: z.string().min(1).optional(),
    knobs: z.record(z.string().regex(/^-{0,2}[A-Za-z][\w-]*$/, 'a knob is a flag name, e.g. gridsize or --gridsize'), knobValue).optional(),
  })
  .strict()
  .refine((r) => r.profile !== undefined || r.command !== undefined, { message: 'a rule needs a profile, a command, or both' });

/** The 1-based line of `offset` in `text`. */
function lineAt(text: string, offset: number): number {
  let n = 1;
  for (let k = 0; k < offset && k < text.length; k++) if (text.charCodeAt(k) === 10) n++;
  return n;
}

/**
 * The offset of the value at `path` in valid JSON text (or of the nearest
 * ancestor that has it), for problems with a line: a tiny scanner that skips
 * what it does not descend into.
 */
export function jsonOffset(text: string, path: ReadonlyArray<PropertyKey>): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const skipString = () => {
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
  };
  const readString = (): string => {
    const s = i;
    skipString();
    return JSON.parse(text.slice(s, i)) as string;
  };
  const skipValue = (): void => {
    ws();
    const c = text[i];
    if (c === '"') {
      skipString();
      return;
    }
    if (c !== '{' && c !== '[') {
      while (i < text.length && !/[,\]}\s]/.test(text[i])) i++;
      return;
    }
    const close = c === '{' ? '}' : ']';
    i++;
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      if (c === '{') {
        ws();
        skipString();
        ws();
        i++;
      }
      skipValue();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      i++;
      return;
    }
  };
  ws();
  let at = i;
  for (const key of path) {
    ws();
    const c = text[i];
    if (c === '{' && typeof key === 'string') {
      i++;
      for (;;) {
        ws();
        if (text[i] !== '"') return at;
        const k = readString();
        ws();
        i++;
        ws();
        if (k === key) break;
        skipValue();
        ws();
        if (text[i] !== ',') return at;
        i++;
      }
    } else if (c === '[' && typeof key === 'number') {
      i++;
      for (let n = 0; ; n++) {
        ws();
        if (text[i] === ']') return at;
        if (n === key) break;
        skipValue();
        ws();
        if (text[i] !== ',') return at;
        i++;
      }
    } else return at;
    ws();
    at = i;
  }
  return at;
}

/** `runproof-proves.json` read and checked; every problem has the file and a line, and good rules still count. */
export function parseProvesConfig(text: string, file: string): { rules: ProvesRule[]; problems: Problem[] } {
  const problems: Problem[] = [];
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = /line (\d+)/.exec(msg);
    problems.push({ file, line: line ? Number(line[1]) : pos ? lineAt(text, Number(pos[1])) : 1, message: `not valid JSON: ${msg.replace(/^JSON\.parse: /, '')}` });
    return { rules: [], problems };
  }
  const top = z
    .object({ proves: z.array(z.unknown()) })
    .strict()
    .safeParse(data);
  if (!top.success) {
    for (const issue of top.error.issues)
      problems.push({
        file,
        line: lineAt(text, jsonOffset(text, issue.path)),
        message: `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}${issue.path.length ? '' : ' (expected {"proves": [ … ]})'}`,
      });
    return { rules: [], problems };
  }
  const rules: ProvesRule[] = [];
  top.data.proves.forEach((raw, k) => {
    const r = ruleSchema.safeParse(raw);
    const from = { file, line: lineAt(text, jsonOffset(text, ['proves', k])) };
    if (!r.success) {
      for (const issue of r.error.issues) {
        const p = ['proves', k, ...issue.path];
        problems.push({ file, line: lineAt(text, jsonOffset(text, p)), message: `${p.join('.')}: ${issue.message}; this rule is ignored` });
      }
      return;
    }
    let program: Program | null = null;
    let knobs: Knobs = {};
    if (r.data.command) {
      const cmd = parseCommandLine(r.data.command);
      program = cmd ? programOf(cmd.argv) : null;
      if (!cmd || !program) {
        problems.push({
          file,
          line: lineAt(text, jsonOffset(text, ['proves', k, 'command'])),
          message: `proves.${k}.command: no program to run in ${JSON.stringify(r.data.command)}; this rule is ignored`,
        });
        return;
      }
      knobs = withoutLocations(cmd.knobs);
    }
    for (const [name, v] of Object.entries(r.data.knobs ?? {})) knobs[name.replace(/^-+/, '')] = typeof v === 'number' ? String(v) : (v as KnobValue);
    rules.push({
      rows: r.data.rows,
      plan: r.data.plan ?? null,
      profiles: r.data.profile === undefined ? null : Array.isArray(r.data.profile) ? r.data.profile : [r.data.profile],
      command: r.data.command ?? null,
      program,
      knobs,
      from,
    });
  });
  return { rules, problems };
}
