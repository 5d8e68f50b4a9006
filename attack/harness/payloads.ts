/**
 * Encoded path-traversal payloads for the bundle file routes: each is the
 * raw text put after `/files/` in the request line, sent verbatim. They aim
 * at secrets planted beside the bundle (`../secret-near.txt`,
 * `../../secret.txt`), at an absolute path, and at /etc/passwd, through the
 * encodings that broke other artifact servers: double and triple URL
 * encoding, overlong UTF-8, `\`, `;`, `#`, `?`, NUL, unicode dots,
 * symlinks inside the bundle, and malformed percent-encoding.
 */

export type PayloadKind = 'traversal' | 'malformed' | 'symlink';

export interface Payload {
  name: string;
  /** After `/files/`, sent as is. */
  path: string;
  kind: PayloadKind;
}

const enc = (s: string) =>
  s
    .split('')
    .map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .join('');
const encTwice = (s: string) => enc(s).replace(/%/g, '%25');
const encThrice = (s: string) => encTwice(s).replace(/%/g, '%25');

/**
 * @param secretAbs absolute path of the canary outside the bundle
 */
export function traversalPayloads(secretAbs: string): Payload[] {
  const out: Payload[] = [];
  const add = (kind: PayloadKind, name: string, p: string) => out.push({ kind, name, path: p });
  const t = (name: string, p: string) => add('traversal', name, p);

  // Each target, up one and two levels.
  const targets = ['../secret-near.txt', '../../secret.txt'];
  for (const target of targets) {
    const [dots, file] = [target.slice(0, target.lastIndexOf('/') + 1), target.slice(target.lastIndexOf('/') + 1)];
    const ups = dots.split('/').filter(Boolean).length;
    const rep = (seg: string, sep: string) => Array(ups).fill(seg).join(sep) + sep + file;
    t(`raw ${target}`, rep('..', '/'));
    t(`..%2f ${target}`, rep('..', '%2f'));
    t(`..%2F ${target}`, rep('..', '%2F'));
    t(`%2e%2e/ ${target}`, rep('%2e%2e', '/'));
    t(`%2E%2E%2F ${target}`, rep('%2E%2E', '%2F'));
    t(`.%2e/ ${target}`, rep('.%2e', '/'));
    t(`%2e./ ${target}`, rep('%2e.', '/'));
    t(`all-encoded ${target}`, enc(target));
    t(`double-encoded ${target}`, encTwice(target));
    t(`triple-encoded ${target}`, encThrice(target));
    t(`%252e%252e%252f ${target}`, rep('%252e%252e', '%252f'));
    t(`..%252f ${target}`, rep('..', '%252f'));
    t(`..%25252f ${target}`, rep('..', '%25252f'));
    t(`backslash ${target}`, rep('..', '\\'));
    t(`%5c ${target}`, rep('..', '%5c'));
    t(`%255c ${target}`, rep('..', '%255c'));
    t(`overlong %c0%ae ${target}`, rep('%c0%ae%c0%ae', '/'));
    t(`overlong %c0%af ${target}`, rep('..', '%c0%af'));
    t(`overlong %e0%80%ae ${target}`, rep('%e0%80%ae%e0%80%ae', '/'));
    t(`overlong %c1%9c ${target}`, rep('..', '%c1%9c'));
    t(`overlong %c0%2e ${target}`, rep('%c0%2e%c0%2e', '/'));
    t(`%u002e ${target}`, rep('%u002e%u002e', '/'));
    t(`fullwidth dots ${target}`, rep('%ef%bc%8e%ef%bc%8e', '/'));
    t(`fullwidth solidus ${target}`, rep('..', '%ef%bc%8f'));
    t(`one-dot leader ${target}`, rep('%e2%80%a4%e2%80%a4', '/'));
    t(`..;/ ${target}`, rep('..;', '/'));
    t(`train.log;/ ${target}`, `train.log;/${rep('..', '/')}`);
    t(`%3b ${target}`, `train.log%3b/${rep('..', '/')}`);
    t(`raw # ${target}`, `train.log#/${rep('..', '/')}`);
    t(`%23 ${target}`, `train.log%23/${rep('..', '%2f')}`);
    t(`raw ? ${target}`, `x?/${rep('..', '/')}`);
    t(`%3f ${target}`, `train.log%3f/${rep('..', '%2f')}`);
    t(`NUL after dots ${target}`, rep('..%00', '/'));
    t(`NUL extension ${target}`, `${rep('..', '%2f')}%00.log`);
    t(`....// ${target}`, rep('....', '//'));
    t(`..././ ${target}`, rep('...', './'));
    t(`dot-slash mix ${target}`, rep('./..', '/./'));
    t(`via a real folder ${target}`, `sub/../${rep('..', '/')}`);
    t(`trailing %20 ${target}`, `${rep('..', '%2f')}%20`);
    t(`trailing dot ${target}`, `${rep('..', '%2f')}.`);
  }

  // Absolute paths.
  t('absolute, encoded', enc(secretAbs));
  t('absolute, leading %2f', `%2f${secretAbs.slice(1).split('/').join('%2f')}`);
  t('absolute, double slash', `/${secretAbs.slice(1)}`);
  t('absolute, double-encoded', encTwice(secretAbs));
  t('/etc/passwd encoded', '%2fetc%2fpasswd');
  t('/etc/passwd double slash', '/etc/passwd');
  t('/etc/passwd deep dots', `${'..%2f'.repeat(12)}etc%2fpasswd`);
  t('/etc/passwd backslash', `${'..%5c'.repeat(12)}etc%5cpasswd`);
  t('/etc/passwd overlong', `${'%c0%ae%c0%ae%c0%af'.repeat(12)}etc%c0%afpasswd`);
  t('/proc/self/environ', `${'..%2f'.repeat(12)}proc%2fself%2fenviron`);
  t('file: scheme', `file:${secretAbs}`);
  t('file:// encoded', `file%3a%2f%2f${secretAbs.slice(1).split('/').join('%2f')}`);
  t('drive letter', 'C:%5cWindows%5cwin.ini');
  t('UNC', '%5c%5clocalhost%5cc$%5csecret.txt');
  t('home tilde', '%7e%2f.ssh%2fid_rsa');
  t('very deep dots', `${'../'.repeat(300)}etc/passwd`);

  // Symlinks planted inside the bundle after import.
  add('symlink', 'symlink to the secret (absolute target)', 'leak.txt');
  add('symlink', 'symlink to the secret (relative target)', 'rel-leak.txt');
  add('symlink', 'symlink to a folder outside, file below it', 'outside/secret.txt');
  add('symlink', 'symlink to a folder outside, encoded', 'outside%2fsecret.txt');
  add('symlink', 'symlink named like a log', 'linked.log');
  add('symlink', 'symlink chain (bundle link → link outside)', 'chain.txt');

  // Malformed percent-encoding: a bad request, never a server error.
  const m = (name: string, p: string) => add('malformed', name, p);
  m('lone %', 'train.log%');
  m('%zz', '%zztrain.log');
  m('truncated %e0%a4', 'train%e0%a4.log');
  m('lone continuation %80', '%80train.log');
  m('%c0 alone', '%c0');
  m('%ff', '%ff%fe');
  m('%%32%65 (two-stage %2e)', '%%32%65%%32%65/secret.txt');
  m('%252 (dangling after one decode)', '%252');
  m('%u2215 (IIS unicode slash)', '..%u2215..%u2215secret.txt');
  m('surrogate half %ed%a0%80', '%ed%a0%80.log');
  m('a 10,000-character segment', 'a'.repeat(10_000));
  m('5,000 encoded dots', '%2e'.repeat(5000));
  return out;
}
