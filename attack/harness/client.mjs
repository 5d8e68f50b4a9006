#!/usr/bin/env node
// The attacker: run inside the test's network namespace as
//   ip netns exec <ns> node attack/harness/client.mjs <jobs.json> <out.json>
// jobs.json is {"concurrency": N, "requests": [RawRequest…]}; out.json gets
// one result per request, in order.
import fs from 'node:fs';
import { runAll } from './raw-http.mjs';

const [jobsFile, outFile] = process.argv.slice(2);
if (!jobsFile || !outFile) {
  process.stderr.write('usage: client.mjs <jobs.json> <out.json>\n');
  process.exit(2);
}
const jobs = JSON.parse(fs.readFileSync(jobsFile, 'utf8'));
const results = await runAll(jobs.requests, jobs.concurrency ?? 4);
fs.writeFileSync(outFile, JSON.stringify(results));
