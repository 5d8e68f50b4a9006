import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, PTYCHO, readFixture } from '../../fixtures/test-helpers';
import { normalizeState, parsePlan, splitCells } from './parse';
import { namedRows } from './refs';

const EDGE = path.join(FIXTURES, 'plans/edge-cases.md');
const KNOBS_REL = 'plans/active/ADR-003-BACKEND-API/reports/2025-10-20T153300Z/phase_e_execution_knobs/plan.md';
const SHARED = path.resolve(FIXTURES, '../../shared/fixtures/ptychopinn');

describe('splitCells', () => {
  it('splits on unescaped pipes outside code spans and reports the closing pipe', () => {
    const { cells, closed } = splitCells('| a \\| b | `x | y` | c |');
    expect(cells.map((c) => c.text)).toEqual(['a | b', '`x | y`', 'c']);
    expect(closed).toBe(true);
  });
  it('keeps an unclosed backtick literal', () => {
    expect(splitCells('| a ` b | c |').cells.map((c) => c.text)).toEqual(['a ` b', 'c']);
  });
  it('gives raw spans that cover the cell content', () => {
    const raw = '| EB4.A | d | [ ] | g |';
    const { cells } = splitCells(raw);
    expect(raw.slice(cells[2].start, cells[2].end)).toBe(' [ ] ');
  });
});

describe('normalizeState', () => {
  it.each([
    ['[x]', '[x]'],
    ['[X]', '[x]'],
    ['**[x]**', '[x]'],
    ['[ ]', '[ ]'],
    ['[]', '[ ]'],
    ['[p]', '[P]'],
    ['✅ done', '✅ done'],
  ])('%s → %s', (a, b) => expect(normalizeState(a)).toBe(b));
});

describe('parsePlan on the edge-case fixture', () => {
  const text = fs.readFileSync(EDGE, 'utf8');
  const plan = parsePlan(text, 'edge-cases.md');
  const row = (id: string) => plan.rows.find((r) => r.id === id);

  it('reads escapes, <br>, code spans and non-ASCII text', () => {
    expect(plan.initiative).toBe('PARSER-FIXTURE');
    expect(row('X1.A')).toMatchObject({ description: 'Pipe in text: a | b', state: '[x]', line: 9, phase: 'Phase X1 — Escapes, breaks and code', phaseId: 'X1' });
    expect(row('X1.A')!.guidance).toBe('Run `cmd --flag a | tee log` then check.\nSecond line.\nThird.');
    expect(row('X1.B')!.description).toBe('Code span with a raw pipe `a | b`');
    expect(row('X1.C')).toMatchObject({ state: '[x]' });
    expect(row('X1.C')!.guidance).toContain('10\u202f%');
    expect(row('X1.C')!.guidance).toContain('✓ → ≈');
  });

  it('joins a row written over several lines and keeps its first line', () => {
    expect(row('X1.D')).toMatchObject({ line: 12, endLine: 14, state: '[P]', guidance: 'Guidance after the break.' });
    expect(row('X1.D')!.description).toBe('Multi-line row starts here\n- and continues on this line\nand ends here.');
    expect(row('X1.E')).toMatchObject({ state: '[~]', line: 15 });
    expect(row('X1.F')).toMatchObject({ state: '[ ]', guidance: 'Still a row' });
  });

  it('keeps rows written above the delimiter row and columns in any order', () => {
    expect(row('X2.A')).toMatchObject({ state: '[x]', description: 'Row written above the delimiter', line: 21, guidance: '' });
    expect(row('X2.B')).toMatchObject({ state: '[ ]', line: 23 });
    expect(row('X3.A')).toMatchObject({ state: '[x]', guidance: 'columns in another order' });
  });

  it('reports broken rows with their line and indexes the rest', () => {
    expect(row('X4.A')).toMatchObject({ description: 'Fine', line: 35 });
    expect(row('X4.C')).toMatchObject({ state: '[x]', line: 40 });
    expect(plan.problems).toEqual([
      { file: 'edge-cases.md', line: 36, message: 'table row without an ID (row skipped)' },
      { file: 'edge-cases.md', line: 37, message: 'broken table row: 1 of 4 cells, no State cell (row skipped)' },
      { file: 'edge-cases.md', line: 38, message: 'row ID X4.A already used on line 35 (this row is not indexed)' },
      { file: 'edge-cases.md', line: 39, message: 'row ID "has space" has spaces, # : or , or is too long (row skipped)' },
    ]);
  });

  it('ignores fenced tables and tables without a State column', () => {
    expect(row('F1')).toBeUndefined();
    expect(row('NOT-A-PLAN')).toBeUndefined();
    expect(plan.rows.map((r) => r.id)).toEqual(['X1.A', 'X1.B', 'X1.C', 'X1.D', 'X1.E', 'X1.F', 'X2.A', 'X2.B', 'X3.A', 'X4.A', 'X4.C']);
  });

  it('gives the same rows and lines for CRLF text with a BOM', () => {
    const crlf = parsePlan(`\uFEFF${text.replace(/\n/g, '\r\n')}`, 'edge-cases.md');
    expect(crlf.rows).toEqual(plan.rows);
  });

  it('reports a plan table without a delimiter row and still reads it', () => {
    const p = parsePlan('# t\n\n| ID | State |\n| A1 | [x] |\n', 'p.md');
    expect(p.rows).toMatchObject([{ id: 'A1', state: '[x]', line: 4 }]);
    expect(p.problems[0]).toMatchObject({ line: 3, message: expect.stringContaining('no delimiter row') });
  });

  it('does not let a closed short row swallow the paragraph after it', () => {
    const p = parsePlan('| ID | Task | State | Notes |\n| --- | --- | --- | --- |\n| A1 | desc | [ ] |\nNote: not part of the table.\n', 'p.md');
    expect(p.rows[0]).toMatchObject({ id: 'A1', line: 3, endLine: 3, guidance: '' });
  });

  it('treats an escaped backtick as text, not the start of a code span', () => {
    const p = parsePlan('| ID | Task | State | Notes |\n| --- | --- | --- | --- |\n| A1 | say \\`hi | [ ] | then \\` bye |\n', 'p.md');
    expect(p.problems).toEqual([]);
    expect(p.rows[0]).toMatchObject({ id: 'A1', state: '[ ]', description: 'say \\`hi', guidance: 'then \\` bye' });
  });

  it('refuses row IDs holding # : or , (they name rows in URLs and forms)', () => {
    const p = parsePlan('| ID | State |\n| --- | --- |\n| A#1 | [ ] |\n| B:1 | [ ] |\n| C1 | [x] |\n', 'p.md');
    expect(p.rows.map((r) => r.id)).toEqual(['C1']);
    expect(p.problems.map((x) => x.line)).toEqual([3, 4]);
  });

  it('reads a heading with closing #s, and a very long heading line in linear time', () => {
    expect(parsePlan('## Phase EB4 — Smoke ##\n| ID | State |\n| --- | --- |\n| A1 | [ ] |\n', 'p.md').rows[0]).toMatchObject({ phase: 'Phase EB4 — Smoke', phaseId: 'EB4' });
    const long = `# a${' '.repeat(200_000)}b\n${'#'.repeat(3)} ${'x '.repeat(100_000)}#\n`;
    const t0 = performance.now();
    expect(parsePlan(long, 'p.md').title).toBe(`a${' '.repeat(200_000)}b`);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('survives garbage', () => {
    const junk = `| ID | State |\n|---|---|\n| \u0000\uFFFD | ${'|'.repeat(5000)}\n|${'`'.repeat(999)}\n`;
    expect(() => parsePlan(junk, 'j.md')).not.toThrow();
  });
});

describe("parsePlan on the repo's plan fixtures", () => {
  it('lists the EB rows of the execution-knobs plan with states and lines', () => {
    const plan = parsePlan(readFixture(PTYCHO, KNOBS_REL), 'plan.md');
    expect(plan.problems).toEqual([]);
    expect(plan.initiative).toBe('ADR-003-BACKEND-API');
    expect(plan.rows.filter((r) => r.id.startsWith('EB1.')).map((r) => r.state)).toEqual(Array(6).fill('[x]'));
    expect(plan.rows.find((r) => r.id === 'EB4.A')).toMatchObject({ state: '[ ]', line: 46, phaseId: 'EB4' });
    expect(plan.rows.find((r) => r.id === 'EB2.C')!.state).toBe('[P]');
  });
});

describe.runIf(fs.existsSync(SHARED))('parsePlan on the PtychoPINN plans in ../shared', () => {
  const read = (rel: string) => parsePlan(fs.readFileSync(path.join(SHARED, rel), 'utf8'), rel);

  it('phase_e_execution_knobs/plan.md: EB1–EB4 with states and lines', () => {
    const plan = read(KNOBS_REL);
    expect(plan.problems).toEqual([]);
    expect(plan.rows.map((r) => `${r.id} ${r.state} ${r.line}`)).toEqual([
      'EB1.A [x] 27',
      'EB1.B [x] 28',
      'EB1.C [x] 29',
      'EB1.D [x] 30',
      'EB1.E [x] 31',
      'EB1.F [x] 32',
      'EB2.A [ ] 41',
      'EB2.B [ ] 42',
      'EB2.C [ ] 43',
      'EB3.A [ ] 52',
      'EB3.B [ ] 53',
      'EB3.C [ ] 54',
      'EB4.A [ ] 63',
      'EB4.B [ ] 64',
    ]);
    expect(plan.rows[12].phase).toBe('Phase EB4 — Runtime Smoke Extensions');
    expect(plan.initiative).toBe('ADR-003-BACKEND-API');
  });

  it('2025-10-23T110500Z/plan.md: the multi-line B1 row and the D1 recipe with escaped pipes', () => {
    const plan = read('plans/active/ADR-003-BACKEND-API/reports/2025-10-20T153300Z/phase_e_execution_knobs/2025-10-23T110500Z/plan.md');
    expect(plan.problems).toEqual([]);
    expect(plan.rows.map((r) => `${r.id} ${r.state} ${r.line}`)).toEqual([
      'A1 [x] 26',
      'A2 [x] 27',
      'A3 [x] 28',
      'B1 [x] 37',
      'B2 [x] 41',
      'B3 [x] 42',
      'C1 [x] 51',
      'C2 [x] 52',
      'C3 [x] 53',
      'C4 [x] 54',
      'D1 [ ] 63',
      'D2 [ ] 64',
    ]);
    const b1 = plan.rows.find((r) => r.id === 'B1')!;
    expect(b1.endLine).toBe(40);
    expect(b1.description).toContain('- If deprecating logging');
    expect(b1.guidance).toMatch(/^\*\*COMPLETE \(Attempt #68\):\*\*/);
    const d1 = plan.rows.find((r) => r.id === 'D1')!;
    expect(d1.guidance).toContain('--logger csv | tee plans/active');
    expect(d1.guidance.split('\n')).toHaveLength(4);
  });

  it('implementation.md: phases A–E', () => {
    const plan = read('plans/active/ADR-003-BACKEND-API/implementation.md');
    expect(plan.problems).toEqual([]);
    expect(plan.rows.map((r) => `${r.id} ${r.line}`)).toEqual([
      'A1 26',
      'A2 27',
      'A3 28',
      'B1 37',
      'B2 38',
      'B3 39',
      'C1 48',
      'C2 49',
      'C3 50',
      'C4 51',
      'D1 60',
      'D2 61',
      'D3 62',
      'E1 71',
      'E2 72',
      'E3 73',
    ]);
    expect(plan.rows.every((r) => r.state === '[x]')).toBe(true);
  });

  it('findings.md (data rows above the delimiter, U+202F) holds no plan table and no problem', () => {
    const plan = read('docs/findings.md');
    expect(plan.rows).toEqual([]);
    expect(plan.problems).toEqual([]);
  });

  it('the EB4 summary names EB4.A and EB4.B', () => {
    const ids = read(KNOBS_REL).rows.map((r) => r.id);
    const text = fs.readFileSync(path.join(SHARED, path.dirname(KNOBS_REL), 'runtime_smoke/2025-10-24T061500Z/summary.md'), 'utf8');
    expect(namedRows(text, ids).found).toEqual(['EB4.A', 'EB4.B']);
  });
});

describe('namedRows', () => {
  const ids = ['EB1.A', 'EB1.F', 'EB4.A', 'EB4.B', 'A1'];
  it('matches whole IDs and the team shorthands', () => {
    expect(namedRows('flip EB4.A-B now', ids).found).toEqual(['EB4.A', 'EB4.B']);
    expect(namedRows('Marked EB1.A/F rows', ids).found).toEqual(['EB1.A', 'EB1.F']);
    expect(namedRows('mark EB4.A/EB4.B rows', ids).found).toEqual(['EB4.A', 'EB4.B']);
    expect(namedRows('XEB4.A, EB4.AB, A10, sha1A1', ids).found).toEqual([]);
    expect(namedRows('(A1) and EB4.B.', ids).found).toEqual(['A1', 'EB4.B']);
    expect(namedRows('This run proves EB4.A-B.', ids).found).toEqual(['EB4.A', 'EB4.B']);
    expect(namedRows('Proves EB1.A/F.', ids).found).toEqual(['EB1.A', 'EB1.F']);
  });
  it('never links IDs made of digits or of one character from prose', () => {
    expect(namedRows('trained 2 epochs on 1 GPU; see A', ['1', '2', 'A', 'A1']).found).toEqual([]);
  });

  it('reports IDs of a known family that the plan does not have', () => {
    expect(namedRows('EB4.C was dropped; see EB4.md', ids)).toEqual({ found: [], unknown: ['EB4.C'] });
  });
});
