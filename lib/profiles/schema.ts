/**
 * Profiles: a named training command with a typed parameter schema. This file
 * is the zod shape of a profile (built in, or from a config file) and of the
 * values a launch supplies. Pure: no I/O.
 */
import { z } from 'zod';
import { LABEL_RE, MAX_LABELS } from '../workers/labels';

/** Knob and profile names: what may appear after `--` on a command line, nothing that a shell or argv parser could read as more. */
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const FLAG = /^--?[A-Za-z][A-Za-z0-9_-]*$/;

const base = {
  name: z.string().regex(NAME, 'a parameter name is letters, digits, - and _'),
  /** The flag this parameter is passed as; defaults to `--<name>`. */
  flag: z.string().regex(FLAG, 'a flag is -x or --name').optional(),
  label: z.string().max(80).optional(),
  help: z.string().max(400).optional(),
  /** Omitted from argv when no value is given (a parameter with a default is always passed, so the evidence shows it). */
  optional: z.boolean().default(false),
};

export const paramSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('int'), default: z.number().int().optional(), min: z.number().int().optional(), max: z.number().int().optional() }),
  z.object({ ...base, type: z.literal('number'), default: z.number().optional(), min: z.number().optional(), max: z.number().optional(), exclusiveMin: z.boolean().default(false) }),
  z.object({ ...base, type: z.literal('enum'), values: z.array(z.string().regex(/^[A-Za-z0-9._:+-]{1,64}$/)).min(1), default: z.string().optional() }),
  z.object({
    ...base,
    type: z.literal('bool'),
    default: z.boolean().optional(),
    /** Flag passed when false (`--no-deterministic`); nothing is passed when absent. */
    falseFlag: z.string().regex(FLAG).optional(),
  }),
  z.object({ ...base, type: z.literal('string'), default: z.string().optional(), pattern: z.string().default('^[A-Za-z0-9._:@+=-]{1,200}$') }),
  z.object({
    ...base,
    type: z.literal('path'),
    default: z.string().optional(),
    /** Folders (relative to the profile's cwd, or absolute) the path must stay inside after resolving. */
    roots: z.array(z.string().min(1)).min(1).default(['.']),
    mustExist: z.boolean().default(true),
  }),
]);
export type ParamSpec = z.infer<typeof paramSchema>;

export const profileSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'a profile name is lower-case letters, digits and -'),
    title: z.string().min(1).max(80),
    description: z.string().max(600).default(''),
    /**
     * argv template. Whole tokens `{param:NAME}` place one parameter (its flag
     * and value, or nothing), `{params}` places every parameter not placed
     * elsewhere, in schema order. Inside other tokens `{node}`, `{python}`,
     * `{output_dir}`, `{runproof_root}`, `{cwd}` are substituted. Parameter
     * values are never substituted into other tokens: each is its own argv
     * element, so no value can become a flag or a shell word.
     */
    argv: z.array(z.string().min(1)).min(1),
    params: z.array(paramSchema).default([]),
    cwd: z.string().min(1).default('{runproof_root}'),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
    /** Environment added when "CPU only" is ticked. */
    cpuOnlyEnv: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({ CUDA_VISIBLE_DEVICES: '' }),
    timeoutSec: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .default(1800),
    /** Relative to the output folder: where the CSVLogger writes (`version_N` is found by itself). */
    logsDir: z.string().default('lightning_logs'),
    /** Relative to the output folder; `null` looks in `<logsDir>/version_N/checkpoints` (Lightning's default). */
    checkpointsDir: z.string().nullable().default('checkpoints'),
    /** Keep the temporary output folder after archiving (the `cleanup` check then fails by design). */
    keepOutput: z.boolean().default(false),
    /** What must hold for the profile to be offered: environment variables set, a folder present, a probe command that exits 0. */
    requires: z
      .object({
        env: z.array(z.string()).default([]),
        paths: z.array(z.string()).default([]),
        probe: z.array(z.string()).optional(),
        hint: z.string().optional(),
        /** Worker labels a run of this profile needs (lib/workers/labels.ts): it waits for a worker carrying all of them. */
        labels: z.array(z.string().regex(LABEL_RE, 'a label is lower-case letters, digits and . _ : -')).max(MAX_LABELS).default([]),
      })
      .default({ env: [], paths: [], labels: [] }),
  })
  .superRefine((p, ctx) => {
    const names = new Set<string>();
    for (const [i, param] of p.params.entries()) {
      if (names.has(param.name)) ctx.addIssue({ code: 'custom', path: ['params', i, 'name'], message: `duplicate parameter ${param.name}` });
      names.add(param.name);
    }
    for (const [i, tok] of p.argv.entries()) {
      const m = /^\{param:([^}]+)\}$/.exec(tok);
      if (m && !names.has(m[1])) ctx.addIssue({ code: 'custom', path: ['argv', i], message: `argv places unknown parameter ${m[1]}` });
    }
  });
export type Profile = z.infer<typeof profileSchema>;
export type ProfileInput = z.input<typeof profileSchema>;

export const profilesFileSchema = z.object({ profiles: z.array(profileSchema) });

/** A launch request as the form, the CLI and the API send it: raw strings (or booleans), validated against the profile. */
export const launchRequestSchema = z.object({
  profile: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'unknown profile'),
  params: z.record(z.string(), z.union([z.string().max(4096), z.number(), z.boolean()])).default({}),
  cpuOnly: z.boolean().default(false),
  /** Plan rows: `ID`, or `<plan id or path>:ID` / `<plan path>#ID` when several plans share the ID. */
  planRows: z
    .array(
      z
        .string()
        .max(400)
        .regex(/^[^\s-][^\u0000-\u001f]*$/, 'a plan row is an ID such as EB4.A, or <plan>#ID'),
    )
    .max(50)
    .default([]),
  /** Worker labels this launch needs on top of its profile's (`gpu`, a host name). */
  labels: z.array(z.string().regex(LABEL_RE, 'a label is lower-case letters, digits and . _ : -')).max(MAX_LABELS).default([]),
});
export type LaunchRequest = z.input<typeof launchRequestSchema>;
