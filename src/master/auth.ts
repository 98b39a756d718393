/**
 * Who may talk to the master. A per-KF_HOME secret, the master token, lives in
 * `$KF_HOME/system/master/master/token` (file 0600, directory 0700): whoever can read it is the
 * user who owns KF_HOME, so presenting it (`Authorization: Bearer <token>`) proves a local client of
 * this stack: kfc shutdown, run.sh stop, and every process's registration on the control channel.
 *
 * The master creates the token at its first start and keeps it across restarts, so processes that
 * outlive a master restart, and a second kfc started meanwhile, keep working; to rotate it, delete
 * the file and restart the master. A token file that others could read (wrong mode or owner) is
 * replaced by a new one.
 *
 * The rules, one function for every endpoint (AccessGuard.check):
 * - whatever changes state (shutdown, registration, later halt/resume) needs the token (401) and is
 *   refused when a browser says it comes from another site (`Origin` not the master's own: 403);
 * - reads are open on a loopback address, and need the token too when the master listens elsewhere.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { UserError } from '../util/errors.js';

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/; // 32 random bytes, base64url

export function tokenPath(home: string): string {
  return join(home, 'system', 'master', 'master', 'token');
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** The token in `file` if it is a well-formed token that only this user can read; else undefined. */
function ownToken(file: string): string | undefined {
  let st;
  try {
    st = lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (!st.isFile()) throw new Error('not a regular file');
  if ((st.mode & 0o077) !== 0 || st.uid !== process.getuid?.()) return undefined;
  const token = readFileSync(file, 'utf8').trim();
  return TOKEN_RE.test(token) ? token : undefined;
}

/**
 * The master's side: makes sure the token exists (created if missing or readable by others) and
 * returns it. Throws a UserError saying what to fix if it cannot: the master must not start then.
 */
export function ensureToken(home: string, onReplace?: (why: string) => void): string {
  const file = tokenPath(home);
  const dir = dirname(file);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!lstatSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
    chmodSync(dir, 0o700); // an existing directory may have been created wider
    let existed = true;
    try {
      lstatSync(file);
    } catch {
      existed = false;
    }
    const current = ownToken(file);
    if (current) return current;
    if (existed) onReplace?.(`${file} was readable by others or malformed: replaced it with a new token`);
    const token = randomBytes(32).toString('base64url');
    // Written whole to a new file, then renamed over: a reader sees the old token or the new one.
    const tmp = `${file}.${process.pid}.tmp`;
    rmSync(tmp, { force: true }); // left by a crash (our own 0700 directory: nobody else's)
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, `${token}\n`);
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(tmp, file);
    } catch (err) {
      unlinkSync(tmp);
      throw err;
    }
    return token;
  } catch (err) {
    throw new UserError(`cannot create the master token ${file} (${codeOf(err)}): KF_HOME must be a directory this user can write, and ${file} a regular file; fix or remove it`);
  }
}

/**
 * The clients' side: the token of the master using `home`, or undefined when there is none yet (no
 * master has run with this KF_HOME). Throws a UserError when the file exists but cannot be read.
 */
export function readToken(home: string): string | undefined {
  const file = tokenPath(home);
  try {
    const token = readFileSync(file, 'utf8').trim();
    return TOKEN_RE.test(token) ? token : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`cannot read the master token ${file} (${codeOf(err)}): run kfc as the user that runs the master, with the same KF_HOME`);
  }
}

export function bearer(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const h = host.replace(/^\[|\]$/g, '');
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./i.test(h);
  return false;
}

export type Access = 'read' | 'change';
export interface Refusal {
  status: 401 | 403;
  error: string;
}

/** The one check every master endpoint makes: see the rules at the top of this file. */
export class AccessGuard {
  private readonly digest: Buffer;
  private readonly origins: Set<string>;
  readonly loopback: boolean;

  constructor(token: string, bind: { host: string; port: number }) {
    this.digest = createHash('sha256').update(token).digest();
    this.loopback = isLoopback(bind.host);
    // The master's own pages (the dashboard, later) are the only origins allowed to change state.
    // Fixed names, not the request's Host header: a rebound DNS name must not make a site "ours".
    const hosts = ['127.0.0.1', 'localhost', '[::1]'];
    if (!['0.0.0.0', '::', '[::]'].includes(bind.host)) hosts.push(isIP(bind.host) === 6 ? `[${bind.host}]` : bind.host);
    this.origins = new Set(hosts.map((h) => `http://${h}:${bind.port}`));
  }

  private hasToken(req: IncomingMessage): boolean {
    const m = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(req.headers.authorization ?? '');
    if (!m) return false;
    // Equal-length digests: the comparison takes the same time whatever the guess.
    return timingSafeEqual(createHash('sha256').update(m[1]!).digest(), this.digest);
  }

  /** Undefined when `req` may have `access`; else the status and a one-line reason. */
  check(req: IncomingMessage, access: Access): Refusal | undefined {
    const origin = req.headers.origin;
    if (access === 'change' && origin !== undefined && !this.origins.has(origin)) {
      return { status: 403, error: `refused: a request from another site (Origin ${origin}) may not change the master's state` };
    }
    if ((access === 'change' || !this.loopback) && !this.hasToken(req)) {
      return { status: 401, error: `this needs the master token (Authorization: Bearer <token>), found in $KF_HOME/system/master/master/token; kfc sends it` };
    }
    return undefined;
  }
}
