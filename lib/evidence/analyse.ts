/**
 * One function from a bundle's files to the evidence document. Pure: the
 * caller reads the files (importer, worker, tests) and hands over text.
 *
 * Two steps: derive the facts (./facts: what the files say, each config fact
 * known, assumed or unknown, with its source), then judge them (./checks: one
 * pure function per check). This file puts the document together.
 */
import type { StepSeries } from '../lightning/metrics-csv';
import type { Evidence } from './types';
import { CHECKPOINTS_LISTED, cutMessage, ERRORS_KEPT, keepEnds, WARNINGS_KEPT } from './caps';
import { describeVersion } from '../lightning/version';
import { deriveFacts } from './facts';
import { describeBundlePath, type AnalyseOptions, type InputFile } from './facts/files';
import { runChecks } from './checks';
import { failureCause, skipKnockOns } from './cause';

export { classifyFile, describeBundlePath, logParseView, timestampToMs, type AnalyseOptions, type InputFile, type LogParseView } from './facts/files';

export function analyseBundle(files: InputFile[], opts: AnalyseOptions): Evidence {
  return analyseBundleWithSeries(files, opts).evidence;
}

/** The evidence plus the per-step series of its metrics.csv (for storage and charts). */
export function analyseBundleWithSeries(files: InputFile[], opts: AnalyseOptions): { evidence: Evidence; series: StepSeries[] } {
  const facts = deriveFacts(files, opts);
  // A run that never trained: metrics, epochs, early-stop and checkpoints only repeat the failure `exit` names.
  const checks = skipKnockOns(runChecks(facts), facts);
  const { log, knobs, command, requested, epochs, errors, warnings, earlyStop, stop, status } = facts;
  const { found, missing, unexpected, expected, listingFile } = facts.checkpoints;
  const problems = [...facts.problems];
  const logName = facts.logName;
  const desc = describeBundlePath(opts.root);
  const lightningMetrics = facts.metrics?.kind === 'lightning' ? facts.metrics : null;
  // `assumed`: the name or the mode is Runproof's guess (no stated monitor), not read from the bundle.
  const monitor = facts.monitor.value
    ? {
        name: facts.monitor.value.name,
        mode: facts.mode.value,
        source: facts.monitor.value.via,
        ...(facts.monitor.state !== 'known' || facts.mode.state !== 'known' ? { assumed: true as const } : {}),
      }
    : null;
  const checkpointEvidence = facts.checkpoints.evidence;
  // A replay that explains nothing, judged only a warning, is the closest guess: no expectation is claimed from it.
  const ckCheck = checks.find((c) => c.id === 'checkpoints');
  const guessOnly = !!ckCheck && ckCheck.status === 'warn' && facts.checkpoints.canReplay && !facts.checkpoints.explained && !facts.checkpoints.bookkeeping;

  // --- caps: the checks above judged the full sets; the document lists the first and the last of each ---------
  const listedFound = keepEnds(found, CHECKPOINTS_LISTED);
  const listedMissing = keepEnds(missing, CHECKPOINTS_LISTED);
  const listedUnexpected = keepEnds(unexpected, CHECKPOINTS_LISTED);
  if (listedFound.cut)
    problems.push({
      file: listingFile,
      line: null,
      message: cutMessage(found.length, CHECKPOINTS_LISTED, 'checkpoint files', 'listing', '; the checkpoints check compared all of them with the replay'),
    });
  if (listedMissing.cut) problems.push({ file: listingFile, line: null, message: cutMessage(missing.length, CHECKPOINTS_LISTED, 'missing checkpoint files', 'listing') });
  if (listedUnexpected.cut) problems.push({ file: listingFile, line: null, message: cutMessage(unexpected.length, CHECKPOINTS_LISTED, 'unexpected checkpoint files', 'listing') });
  // Each warning's first line in the log, which the warnings table links to (facts list them in the log's order).
  const logWarnings = log?.warnings ?? [];
  const keptWarnings = keepEnds(
    warnings.map((w, i) => ({ ...w, logLine: logWarnings[i]?.message === w.message ? logWarnings[i].logLine : null })),
    WARNINGS_KEPT,
  );
  if (keptWarnings.cut) problems.push({ file: logName, line: null, message: cutMessage(warnings.length, WARNINGS_KEPT, 'distinct warnings', 'keeping', '; the warnings check counted all of them') });
  const keptErrors = keepEnds(errors, ERRORS_KEPT);
  if (keptErrors.cut) problems.push({ file: logName, line: null, message: cutMessage(errors.length, ERRORS_KEPT, 'error lines', 'keeping') });

  const evidence: Evidence = {
    schema: 1,
    title: opts.title ?? desc.title + (opts.logFile ? ` · ${opts.logFile}` : ''),
    status,
    bundle: { root: opts.root, log: facts.logFile, initiative: desc.initiative, phase: desc.phase, timestamp: desc.timestamp },
    command: command ? { text: command.text, argv: command.argv, env: command.env, source: facts.commandSource } : null,
    knobs,
    requested: requested && opts.requested ? { text: requested.text, knobs: requested.knobs, source: opts.requested.source } : null,
    knobTable: facts.knobTable,
    runtime: log?.time ? { ...log.time, source: 'time -p' } : opts.launch?.wallS != null ? { realS: opts.launch.wallS, userS: null, sysS: null, source: 'worker' } : null,
    accelerator: { requested: facts.accelerator.requested.value, resolved: facts.accelerator.resolved, device: facts.accelerator.device, evidence: facts.accelerator.evidence },
    stop,
    maxEpochs: facts.maxEpochs.value,
    seed: log?.seed ?? null,
    params: log?.params ?? { trainable: null, total: null },
    monitor,
    metricColumns: lightningMetrics?.columns ?? [],
    epochs: epochs.map((e) => ({ epoch: e.epoch, step: e.step, metrics: Object.fromEntries(Object.entries(e.metrics).map(([k, v]) => [k, Number.isFinite(v) ? v : null])) })),
    ...(facts.epochsPartial ? { epochsPartial: facts.epochsPartial } : {}),
    ...(facts.lightningVersion.state !== 'unknown' ? { lightning: describeVersion(facts.lightningVersion) } : {}),
    earlyStop,
    checkpoints: {
      template: checkpointEvidence ? facts.checkpoints.template.value.pattern : null,
      saveTopK: checkpointEvidence ? facts.checkpoints.saveTopK.value : null,
      saveLast: checkpointEvidence ? facts.checkpoints.saveLast.value : null,
      found: listedFound.kept,
      ...(guessOnly
        ? { expected: [], missing: [], unexpected: [], expectedUnknown: `no configuration the bundle states explains the files, so what ModelCheckpoint left is not known (${ckCheck!.detail})` }
        : { expected, missing: listedMissing.kept, unexpected: listedUnexpected.kept }),
    },
    warnings: keptWarnings.kept,
    errors: keptErrors.kept,
    cause: failureCause(facts),
    checks,
    files: facts.files,
    problems,
    launch: opts.launch?.facts ?? null,
  };
  return { evidence, series: lightningMetrics?.series ?? [] };
}
