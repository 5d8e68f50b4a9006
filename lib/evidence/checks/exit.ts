import type { Facts } from '../facts';
import type { Check } from '../types';
import { check } from './check';
import { atLeast, describeVersion, FIT_END_LINE_SINCE } from '../../lightning/version';

export type ExitFacts = Pick<Facts, 'log' | 'logName' | 'exitCode' | 'errors' | 'launch' | 'interrupted' | 'epochs'> & Partial<Pick<Facts, 'stop' | 'logCut' | 'unprintedEnd' | 'lightningVersion'>>;

/**
 * Did the run end normally: exit code, error lines, a signal or an
 * interruption, the log's normal end. A log with no end line fails only when
 * something shows it was cut (facts/log-end.ts); Lightning prints none when
 * a quiet EarlyStopping or a callback ends the fit, so otherwise it warns.
 */
export function checkExit(f: ExitFacts): Check {
  const { log, logName, errors, launch, interrupted } = f;
  const exitCode = f.exitCode.value;
  if (!log && exitCode === null) return check('exit', 'skip', 'no training log in the bundle');
  // The trainer said why (argparse's `error:` line, a traceback): that line first, the one the failure headline quotes.
  const said = log?.crash && !interrupted ? `${log.crash.message} (${logName}:${log.crash.line}); ` : '';
  if (exitCode !== null && exitCode !== 0) return check('exit', 'fail', `${said}exit code ${exitCode}${launch?.signal ? ` (signal ${launch.signal})` : ''}`);
  // Stopped from outside, as the log shows (Lightning's `Received SIGTERM` exits 0): errors after it are its consequence.
  if (log && !launch?.status && (log.stop.reason === 'killed' || log.stop.reason === 'time_limit'))
    return check('exit', 'fail', `${interrupted ?? 'killed'}: ${log.stop.message} (${logName}:${log.stop.line})`);
  // The crash is the first exception of the last chained traceback, not a KeyboardInterrupt raised while shutting down.
  const crash = log?.crash ?? errors[errors.length - 1];
  if (errors.length) return check('exit', 'fail', `${crash.message} (${logName}:${crash.line})`);
  if (launch?.signal && !log?.normalEnd) return check('exit', 'fail', `terminated by ${launch.signal}${interrupted ? ` (${interrupted})` : ''}`);
  if (interrupted && !log?.normalEnd) return check('exit', 'fail', `${interrupted}: ${launch?.facts?.note ?? 'stopped before the end'}`);
  if (log?.normalEnd) return check('exit', 'pass', `${log.stop.message ?? 'training completed'}${exitCode === null ? ' (exit code not recorded)' : ', exit code 0'}`);
  if (f.logCut) return check('exit', 'fail', /^it ends with /.test(f.logCut.evidence) ? `${logName}: ${f.logCut.evidence}` : `${logName} is cut short: ${f.logCut.evidence}`);
  // A quiet EarlyStopping prints nothing when it stops the fit: the replay says it stopped at the last epoch.
  if (f.stop?.reason === 'early_stopping')
    return check(
      'exit',
      'pass',
      `${f.stop.message ?? 'stopped early'}; ${logName} prints no end line (EarlyStopping with verbose=False)${exitCode === null ? ', exit code not recorded' : ', exit code 0'}`,
    );
  // The values show the fit reached its limit; the Lightning that wrote the log prints no end line there (before 1.6), or may not.
  if (f.unprintedEnd) {
    const u = f.unprintedEnd;
    if (u.expected === 'no')
      return check(
        'exit',
        'pass',
        `${u.from} show the fit reached ${u.what}; ${logName} has no \`Trainer.fit\` stopped line, which ${u.version} does not print (Lightning prints it from 1.6)${exitCode === null ? ', exit code not recorded' : ', exit code 0'}`,
      );
    return check(
      'exit',
      'warn',
      `${u.from} show the fit reached ${u.what}, where Lightning 1.6 and later print \`Trainer.fit\` stopped; ${logName} has no such line, and its version (${u.version}) may be one before 1.6, which prints none: runproof.json, or the Lightning version in the log (\`lightning==…\` from pip freeze), would settle whether the log was cut`,
    );
  }
  if (!log?.lightningSeen && !f.epochs.length) return check('exit', 'skip', `${logName} shows no Lightning training (no \`GPU available\` or \`Trainer.fit\` lines) and no error: nothing to judge`);
  if (f.logCut === undefined) return check('exit', 'fail', `${logName} has no normal end (no \`Trainer.fit\` stopped line): the run did not finish or the log is truncated`);
  const old = f.lightningVersion && atLeast(f.lightningVersion, FIT_END_LINE_SINCE) !== 'yes' ? ` (nor at any end before 1.6; this log: ${describeVersion(f.lightningVersion)})` : '';
  return check(
    'exit',
    'warn',
    `${logName} has no \`Trainer.fit\` stopped line and no error; Lightning prints none when a quiet EarlyStopping or a callback ends the fit${old}, and nothing in the bundle says whether one did or the log was cut: runproof.json or the EarlyStopping settings would settle it`,
  );
}
