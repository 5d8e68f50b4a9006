/**
 * Environment, parsed once with zod so a bad value fails at start with a
 * message that names the variable.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { parseLabels } from '../lib/workers/labels';
import { DEFAULT_STORED_FILE_MAX_BYTES } from '../lib/stored-files';

const schema = z.object({
  RUNPROOF_ROOT: z.string().optional(),
  RUNPROOF_DB: z.string().min(1).optional(),
  /**
   * `postgres://user:pass@host:5432/db`: every command uses this PostgreSQL
   * database instead of the SQLite file (db/client.ts). Unset: SQLite at
   * RUNPROOF_DB (default data/runproof.db).
   */
  RUNPROOF_DATABASE_URL: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.url({ protocol: /^postgres(ql)?$/, error: 'must be a PostgreSQL URL such as postgres://runproof:secret@db-host:5432/runproof' }).optional(),
  ),
  RUNPROOF_HOST: z.string().min(1).default('127.0.0.1'),
  RUNPROOF_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** JSON file with extra profiles (or replacements for the built-ins): `{ "profiles": [...] }`. */
  RUNPROOF_PROFILES: z.string().min(1).optional(),
  /** Python for the lightning-example profile. */
  RUNPROOF_PYTHON: z.string().min(1).default('python3'),
  /** Runs one worker executes at a time. */
  RUNPROOF_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /** Where launched runs' evidence bundles are written (relative to the root). */
  RUNPROOF_BUNDLES_DIR: z.string().min(1).default('data/bundles'),
  /** Where launched runs' temporary output folders are made (relative to the root). */
  RUNPROOF_WORK_DIR: z.string().min(1).default('data/work'),
  /**
   * Folders of plan files to index (several joined with `:`). Unset: the
   * `plans/` folder of each available profile's checkout, if it has one.
   * Plans above imported bundles are indexed either way.
   */
  RUNPROOF_PLANS_DIR: z.string().min(1).optional(),
  /**
   * Base URL of the repository holding the plans, for links to a row's source
   * line: `<url>/<plan path>#L<line>` (e.g. https://github.com/org/repo/blob/main).
   */
  RUNPROOF_REPO_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/ }).optional()),
  /**
   * `1`: "Propose plan update" may also write the plan files under the plans
   * folders (RUNPROOF_PLANS_DIR, or profile checkouts), for users allowed to
   * launch. Unset: Runproof never writes a plan file.
   */
  RUNPROOF_PLANS_WRITABLE: z
    .enum(['0', '1', 'true', 'false'])
    .optional()
    .transform((v) => v === '1' || v === 'true'),
  /**
   * Addresses of reverse proxies in front of Runproof (comma-separated IPs).
   * Only when the socket peer is one of them do X-Forwarded-For / Forwarded /
   * X-Real-IP / X-Forwarded-Host / X-Forwarded-Proto count (server/auth.ts).
   */
  RUNPROOF_TRUST_PROXY: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .optional()
      .superRefine((v, ctx) => {
        for (const part of (v ?? '').split(',')) {
          const p = part.trim().replace(/^\[|\]$/g, '');
          if (!isIP(p)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(part.trim())} is not an IP address (list the proxies' addresses, comma-separated)` });
        }
      }),
  ),
  /**
   * The URL users reach Runproof at (https://runproof.example.org), for
   * permalinks in copied Markdown, summary.md and badges. Unset: the address
   * the server listens on (never the request's Host header).
   */
  RUNPROOF_PUBLIC_URL: z.preprocess(
    (v) => (v === '' ? undefined : typeof v === 'string' ? v.replace(/\/+$/, '') : v),
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://runproof.example.org' }).optional(),
  ),
  /**
   * Labels of the worker `runproof serve` runs (`gpu,a100`): runs needing
   * labels go only to workers carrying them (lib/workers/labels.ts).
   */
  RUNPROOF_WORKER_LABELS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const { labels, errors } = parseLabels(v ?? '');
      for (const e of errors) ctx.addIssue({ code: 'custom', message: e });
      return labels;
    }),
  /**
   * Bytes of one bundle file stored in the database (launched runs, `import
   * --archive`; lib/stored-files.ts): text over it keeps its first and last
   * half, binary over it is left out, and the run says so. At least 1 MiB.
   */
  RUNPROOF_STORED_FILE_MAX_BYTES: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce
      .number()
      .int()
      .min(1024 * 1024, 'must be a whole number of bytes, at least 1048576 (1 MiB)')
      .max(2 ** 40)
      .default(DEFAULT_STORED_FILE_MAX_BYTES),
  ),
  /**
   * 64 hex digits (`openssl rand -hex 32`) for several web servers on one
   * database: each signs sessions with it, so a login is valid on all of them.
   * Unset: each server keeps its own secret beside RUNPROOF_DB.
   */
  RUNPROOF_SESSION_SECRET: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits (openssl rand -hex 32)')
      .optional(),
  ),
  /** How long a claimed run's lease lasts without a heartbeat before a sweep settles it as lost. */
  RUNPROOF_LEASE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(10_000),
  /**
   * Password for launching, cancelling and importing (server/auth.ts). An
   * empty value counts as unset, so `RUNPROOF_PASSWORD=` in a compose file
   * does not fail the start.
   */
  RUNPROOF_PASSWORD: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(8, 'must be at least 8 characters (or leave it unset: then only a loopback-only server may launch runs)').optional(),
  ),
});

/** The variables the parsed result depends on (every key of the schema): a change to any of them re-parses. */
const SOURCES = Object.keys(schema.shape);

export type Env = z.infer<typeof schema> & {
  root: string;
  dbPath: string;
  /** What openDb() opens: RUNPROOF_DATABASE_URL when set, else the SQLite file. */
  database: string;
};

let cached: Env | null = null;
let cachedKey = '';

export function getEnv(): Env {
  const key = SOURCES.map((k) => process.env[k] ?? '\u0001').join('\u0000');
  if (cached && key === cachedKey) return cached;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid environment: ${issues}`);
  }
  const root = path.resolve(/*turbopackIgnore: true*/ parsed.data.RUNPROOF_ROOT ?? process.cwd());
  const dbPath = path.resolve(root, parsed.data.RUNPROOF_DB ?? 'data/runproof.db');
  cached = { ...parsed.data, root, dbPath, database: parsed.data.RUNPROOF_DATABASE_URL ?? dbPath };
  cachedKey = key;
  return cached;
}
