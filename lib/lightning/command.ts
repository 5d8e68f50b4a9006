/**
 * The command that ran, recovered from what a bundle says about itself: a
 * shell block in `summary.md`/`README.md`, or `command.txt`. Parsed with POSIX
 * word splitting (quotes, backslash-newline), never evaluated.
 */

export type KnobValue = string | boolean;
export type Knobs = Record<string, KnobValue>;

export interface ParsedCommand {
  /** The text as found (continuations joined). */
  text: string;
  env: Record<string, string>;
  /** Wrappers stripped from the front, e.g. `/usr/bin/time -p`. */
  wrappers: string[];
  argv: string[];
  knobs: Knobs;
}

/** POSIX-ish word splitting; stops at an unquoted `|`, `;`, `&&`, `>` or `#`. */
export function shellSplit(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  const s = text.replace(/\\\r?\n/g, ' ');
  while (i < s.length) {
    const c = s[i];
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      cur += s.slice(i + 1, end === -1 ? s.length : end);
      inWord = true;
      i = end === -1 ? s.length : end + 1;
      continue;
    }
    if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1])) {
          cur += s[i + 1];
          i += 2;
          continue;
        }
        cur += s[i++];
      }
      i++;
      inWord = true;
      continue;
    }
    if (c === '\\' && i + 1 < s.length) {
      cur += s[i + 1];
      i += 2;
      inWord = true;
      continue;
    }
    if (/\s/.test(c)) {
      if (inWord) {
        words.push(cur);
        cur = '';
        inWord = false;
      }
      i++;
      continue;
    }
    if (c === '|' || c === ';' || c === '>' || c === '<' || (c === '&' && s[i + 1] === '&') || (c === '#' && !inWord)) break;
    cur += c;
    inWord = true;
    i++;
  }
  if (inWord) words.push(cur);
  return words;
}

const WRAPPERS: Array<{ name: RegExp; flags: RegExp }> = [
  { name: /^(\/usr\/bin\/)?time$/, flags: /^-[pv]$/ },
  { name: /^(\/usr\/bin\/)?env$/, flags: /^-/ },
  { name: /^nohup$/, flags: /^$/ },
];

/** Knobs from argv: `--flag value`, `--flag=value`, bare `--flag` → true. */
export function knobsFromArgv(argv: string[]): Knobs {
  const knobs: Knobs = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || a === '--') continue;
    const eq = a.indexOf('=');
    if (eq > 0) {
      knobs[a.slice(2, eq)] = a.slice(eq + 1);
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || (next.startsWith('-') && !/^-\d/.test(next))) knobs[a.slice(2)] = true;
    else {
      knobs[a.slice(2)] = next;
      i++;
    }
  }
  return knobs;
}

export function parseCommandLine(text: string): ParsedCommand | null {
  const words = shellSplit(text.trim());
  const env: Record<string, string> = {};
  const wrappers: string[] = [];
  let i = 0;
  for (;;) {
    const w = words[i];
    if (w === undefined) return null;
    const assign = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(w);
    if (assign) {
      env[assign[1]] = assign[2];
      i++;
      continue;
    }
    const wrapper = WRAPPERS.find((x) => x.name.test(w));
    if (wrapper) {
      wrappers.push(w);
      i++;
      while (words[i] !== undefined && wrapper.flags.test(words[i]) && words[i] !== '') {
        wrappers.push(words[i]);
        i++;
      }
      continue;
    }
    break;
  }
  const argv = words.slice(i);
  if (argv.length === 0) return null;
  return { text: text.replace(/\\\r?\n\s*/g, '').trim(), env, wrappers, argv, knobs: knobsFromArgv(argv) };
}

/** A fenced code block that holds a command with `--flags` (prefers bash/sh blocks). */
export function findCommandInMarkdown(md: string): ParsedCommand | null {
  const blocks: Array<{ lang: string; body: string }> = [];
  const fence = /^```([\w-]*)[^\n]*\n([\s\S]*?)^```/gm;
  for (const m of md.matchAll(fence)) blocks.push({ lang: m[1].toLowerCase(), body: m[2] });
  const shellish = (b: { lang: string }) => ['bash', 'sh', 'shell', 'console', 'zsh'].includes(b.lang);
  const ordered = [...blocks.filter(shellish), ...blocks.filter((b) => !shellish(b) && b.lang === '')];
  for (const b of ordered) {
    // Join continuations, then take the first line that runs something with flags.
    const lines = b.body
      .replace(/\\\r?\n/g, ' ')
      .split(/\r?\n/)
      .map((l) => l.replace(/^\$\s+/, '').trim());
    for (const line of lines) {
      if (!line || line.startsWith('#')) continue;
      if (!/\s--?[A-Za-z]/.test(line)) continue;
      if (/^(mkdir|cp|rm|ls|tree|cd|mv|cat|echo|git|pytest)\b/.test(line)) continue;
      const cmd = parseCommandLine(line);
      if (cmd && Object.keys(cmd.knobs).length > 0) return cmd;
    }
  }
  return null;
}

/** `checkpoint_save_top_k`, `--checkpoint-save-top-k` and `checkpoint-save-top-k` are one knob. */
export function knobKey(name: string): string {
  return name.replace(/^-+/, '').replace(/_/g, '-').toLowerCase();
}

/** Look a knob up by any of its spellings. */
export function getKnob(knobs: Knobs, ...names: string[]): KnobValue | undefined {
  const wanted = new Set(names.map(knobKey));
  for (const [k, v] of Object.entries(knobs)) if (wanted.has(knobKey(k))) return v;
  return undefined;
}

export function knobNumber(knobs: Knobs, ...names: string[]): number | null {
  const v = getKnob(knobs, ...names);
  if (typeof v !== 'string') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** POSIX shell quoting of one word, only when needed: `a b` → `'a b'`, `''` for the empty string. For display and command.txt; nothing is ever run through a shell. */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line a reader can paste: `KEY=value … argv…`, each word quoted as needed; `shellSplit` reads it back. */
export function formatCommandLine(argv: string[], env: Record<string, string> = {}): string {
  const prefix = Object.entries(env).map(([k, v]) => `${k}=${v === '' ? '""' : shellQuote(v)}`);
  return [...prefix, ...argv.map(shellQuote)].join(' ');
}

/** Environment variables whose values are secrets by their name: shown as `***` wherever evidence is written or displayed. */
const SECRET_NAME = /(TOKEN|SECRET|PASSW(OR)?D|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;

export function redactEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, SECRET_NAME.test(k) && v !== '' ? '***' : v]));
}
