/**
 * Environment, parsed once with zod so a bad value fails at start with a
 * message that names the variable.
 */
import path from 'node:path';
import { z } from 'zod';

const schema = z.object({
  RUNPROOF_ROOT: z.string().optional(),
  RUNPROOF_DB: z.string().min(1).optional(),
  RUNPROOF_HOST: z.string().min(1).default('127.0.0.1'),
  RUNPROOF_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
});

export type Env = z.infer<typeof schema> & { root: string; dbPath: string };

let cached: Env | null = null;

export function getEnv(): Env {
  if (cached && process.env.RUNPROOF_DB === cached.RUNPROOF_DB) return cached;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid environment: ${issues}`);
  }
  const root = path.resolve(/*turbopackIgnore: true*/ parsed.data.RUNPROOF_ROOT ?? process.cwd());
  const dbPath = path.resolve(root, parsed.data.RUNPROOF_DB ?? 'data/runproof.db');
  cached = { ...parsed.data, root, dbPath };
  return cached;
}
