/**
 * Reading an account without loading SQLite into the calling process: a short-lived child
 * (`node account-reader.js <home> <source> <account>|--receive-md`) opens accounts.db, prints the
 * account as JSON on its stdout (a pipe to the parent: secrets go through no argv, file or log),
 * and exits. Gateway processes use this: the SQLite library, once loaded, stays in a process for
 * good (about 7 MB of a gateway's 60 MB budget); the child costs ~50 ms at start.
 *
 * Exit codes: 0 and the row (or `null`: none receives market data); 2 and one line on stderr for a
 * user error (no such account, a broken config).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.js';
import { checkAccountName, parseAccountConfig, type AccountRow } from './account-config.js';

const SELF = fileURLToPath(import.meta.url);

function readInChild(args: string[]): Promise<AccountRow | undefined> {
  return new Promise((resolve, reject) => {
    // From source (tests under tsx), the child needs the same loader.
    execFile(process.execPath, [...(SELF.endsWith('.ts') ? ['--import', 'tsx'] : []), SELF, ...args], { encoding: 'utf8', timeout: 30_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const code = typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1;
        const line = stderr.trim().split('\n')[0] ?? '';
        return reject(code === 2 ? new UserError(line, 2) : new Error(`reading the accounts database failed: ${line || err.message}`));
      }
      const row = JSON.parse(stdout) as AccountRow | null;
      if (row === null) return resolve(undefined);
      // Checked again here: what crosses a process boundary is checked where it is used.
      resolve({ ...row, config: parseAccountConfig(JSON.stringify(row.config)) });
    });
  });
}

/** The account a TD runs (loadAccount in a child): a UserError (exit code 2) when missing or broken. */
export function readAccount(home: string, source: string, account: string): Promise<AccountRow> {
  checkAccountName(source, account);
  return readInChild([home, source, account]) as Promise<AccountRow>;
}

/** The account whose keys the MD gateway of `source` uses (findMarketDataAccount in a child). */
export function readMarketDataAccount(home: string, source: string): Promise<AccountRow | undefined> {
  return readInChild([home, source, '--receive-md']);
}

if (process.argv[1] === SELF) {
  const [home, source, which] = process.argv.slice(2) as [string, string, string];
  try {
    const { loadAccount, findMarketDataAccount } = await import('./accounts.js');
    const row = which === '--receive-md' ? (findMarketDataAccount(home, source) ?? null) : loadAccount(home, source, which);
    process.stdout.write(JSON.stringify(row));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = err instanceof UserError ? 2 : 1;
  }
}
