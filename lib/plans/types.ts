/**
 * Plan files: markdown with tables that have an ID and a State column
 * (`| ID | Task Description | State | How/Why & Guidance |`). Each table row
 * is a unit of planned work that runs can prove.
 */
import type { Problem } from '../evidence/types';

/** States the team's process writes; anything else is kept verbatim. */
export const KNOWN_STATES = Object.freeze(['[ ]', '[x]', '[P]'] as const);

export interface PlanRow {
  id: string;
  /** The nearest heading above the table (e.g. `Phase EB4 — Runtime Smoke Extensions`), or null. */
  phase: string | null;
  /** The phase's short name when the heading has one (`EB4` from `Phase EB4 — …`). */
  phaseId: string | null;
  description: string;
  /** `[ ]`, `[x]`, `[P]`, or the cell's text verbatim. */
  state: string;
  guidance: string;
  /** 1-based line of the row's first line. */
  line: number;
  /** 1-based line of the row's last line (rows may span lines). */
  endLine: number;
  /** 1-based line of the table's header row. */
  tableLine: number;
}

export interface PlanTable {
  /** 1-based line of the header row. */
  line: number;
  header: string[];
  idColumn: number;
  stateColumn: number;
  /** -1 when the table has no such column. */
  descriptionColumn: number;
  guidanceColumn: number;
  rows: PlanRow[];
}

export interface ParsedPlan {
  /** The first `# ` heading. */
  title: string | null;
  /** From a `Initiative: NAME …` line in the plan's context, when it has one. */
  initiative: string | null;
  tables: PlanTable[];
  /** Every row of every plan table, in file order; the first of a duplicated ID wins. */
  rows: PlanRow[];
  problems: Problem[];
}

/** A run's link to a plan row, as the evidence document carries it. */
export interface PlanRowRef {
  /** The plan file, relative to the repository that holds it (`plans/active/…/plan.md`). */
  plan: string;
  id: string;
  /** The row's state now; null when the plan no longer has the row. */
  state: string | null;
  line: number | null;
  /** Where the link came from. */
  source: 'summary' | 'brief' | 'folder' | 'launch';
  /** True when the plan no longer has this row. */
  missing?: boolean;
  /**
   * Whether the run proves this row as far as what it ran goes (the program
   * and profile the row asks for, lib/plans/qualify.ts); false: "linked, does
   * not qualify", and `why` says why. Absent when not judged.
   */
  qualifies?: boolean;
  why?: string | null;
  /** What the row asks for, with where it says so (`python -m ptycho_torch.train (input.md:7)`); null: any run. */
  requires?: string | null;
  /** The command the row asks for, as written, when it names one. */
  requiredCommand?: string | null;
}
