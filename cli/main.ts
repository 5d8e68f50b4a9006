/**
 * The `runproof` command. Exit codes: 0 ok, 1 the work found problems that
 * stop it (e.g. a folder that does not exist), 2 a usage error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { renderSummaryMarkdown } from '../lib/evidence/summary';
import { showBundle, importBundles } from '../server/bundles';
import { openDb } from '../db/client';
import { getRunEvidence } from '../db/queries/runs';
import { getEnv } from '../server/env';

const USAGE = `runproof — run evidence for ML smoke runs

Usage:
  runproof show <bundle-dir | log-file | run-id> [--json] [--requested "<command line>"]
  runproof import <dir>... [--json]
  runproof serve [--port N] [--host H]     start the web server (npm start)
  runproof help

Environment:
  RUNPROOF_DB     SQLite file (default data/runproof.db)
  RUNPROOF_HOST   address the server listens on (default 127.0.0.1)
  RUNPROOF_PORT   port (default 3000)
`;

class UsageError extends Error {}

function cmdShow(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, requested: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('show takes one bundle folder or run id');
  const target = positionals[0];
  let evidence;
  const requested = values.requested ? { text: values.requested, source: '--requested' } : null;
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
    evidence = showBundle(path.resolve(target), { requested });
  } else if (fs.existsSync(target) && target.endsWith('.log')) {
    // One log of a folder that holds several runs: analyse the folder as that run.
    evidence = showBundle(path.resolve(path.dirname(target)), { requested, logFile: path.basename(target) });
  } else {
    if (values.requested) throw new UsageError('--requested applies to a bundle folder, not a stored run');
    if (!fs.existsSync(getEnv().dbPath)) {
      process.stderr.write(`runproof: ${target} is not a folder, and there is no database at ${getEnv().dbPath} to look it up as a run id\n`);
      return 1;
    }
    const found = getRunEvidence({ db: openDb(), id: target });
    if (!found) {
      process.stderr.write(`runproof: ${target} is neither a folder nor a run id in ${getEnv().dbPath}\n`);
      return 1;
    }
    evidence = found.evidence;
  }
  process.stdout.write(values.json ? `${JSON.stringify(evidence, null, 2)}\n` : renderSummaryMarkdown(evidence));
  return 0;
}

function cmdImport(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length === 0) throw new UsageError('import needs at least one folder');
  for (const p of positionals) {
    if (!fs.existsSync(p) || !fs.statSync(p).isDirectory()) {
      process.stderr.write(`runproof: ${p} is not a folder\n`);
      return 1;
    }
  }
  const db = openDb();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = performance.now();
  const result = importBundles({ db, roots: positionals, onProgress: values.json ? undefined : log });
  if (values.json) {
    const { added, updated, unchanged, problems, runs } = result;
    process.stdout.write(`${JSON.stringify({ added, updated, unchanged, problems, runs }, null, 2)}\n`);
  } else {
    for (const p of result.problems) log(`  problem: ${p.file}${p.line ? `:${p.line}` : ''}: ${p.message}`);
    log(`imported into ${path.relative(process.cwd(), getEnv().dbPath)}: ${result.added} added, ${result.updated} updated, ${result.unchanged} unchanged, ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} (${Math.round(performance.now() - started)} ms)`);
  }
  return 0;
}

function cmdServe(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' } } });
  const env = getEnv();
  const host = values.host ?? env.RUNPROOF_HOST;
  const port = values.port ?? String(env.RUNPROOF_PORT);
  if (!fs.existsSync(path.join(env.root, '.next', 'BUILD_ID'))) {
    process.stderr.write('runproof: no production build found; run `npm run build` first (or `npm run setup`)\n');
    return Promise.resolve(1);
  }
  fs.mkdirSync(path.dirname(env.dbPath), { recursive: true });
  process.stderr.write(`Runproof on http://${host}:${port}  (database ${path.relative(env.root, env.dbPath)})\n`);
  const child = spawn(path.join(env.root, 'node_modules/.bin/next'), ['start', '-H', host, '-p', port], {
    cwd: env.root,
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', RUNPROOF_ROOT: env.root, RUNPROOF_DB: env.dbPath },
  });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 0 : 1))));
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'show': return cmdShow(rest);
      case 'import': return cmdImport(rest);
      case 'serve': case 'start': return await cmdServe(rest);
      case undefined: case 'help': case '--help': case '-h':
        process.stdout.write(USAGE);
        return 0;
      default:
        throw new UsageError(`unknown command: ${cmd}`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`runproof: ${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`runproof: ${(e as Error).message}\n`);
    return 1;
  }
}
