/** How the CLI reports user errors: "kfc: <one line>" on stderr and a non-zero exit, no stack. */
import { JournalError } from '../journal/errors.js';
import { DecimalError } from '../model/decimal.js';
import { UserError } from '../util/errors.js';

export { UserError };

export function isUserError(err: unknown): err is Error {
  return err instanceof UserError || err instanceof JournalError || err instanceof DecimalError;
}

export function exitCodeOf(err: Error): number {
  return err instanceof UserError ? err.exitCode : 1;
}

/** Runs `main`; a user error becomes "kfc: <message>" on stderr and an exit code. */
export async function runCli(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (isUserError(err)) {
      process.stderr.write(`kfc: ${err.message}\n`);
      process.exitCode = exitCodeOf(err);
      return;
    }
    throw err;
  }
}
